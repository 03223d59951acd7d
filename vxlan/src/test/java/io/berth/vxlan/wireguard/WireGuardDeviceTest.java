package io.berth.vxlan.wireguard;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two (and three) WireGuard devices joined by memory ports: handshakes, transport, and what they refuse. */
class WireGuardDeviceTest
{
    private static final int VTEP_A = Ipv4Flyweight.parse("192.0.2.1");
    private static final int VTEP_B = Ipv4Flyweight.parse("192.0.2.2");
    private static final int VTEP_C = Ipv4Flyweight.parse("192.0.2.3");

    /** One host: a pool, an uplink port and its device. */
    private static final class Host
    {
        final PacketPool pool = new PacketPool(64);
        final MemoryPort uplink = new MemoryPort(1, "uplink");
        final AtomicLong clock = new AtomicLong(System.currentTimeMillis());
        final WireGuardDevice device = new WireGuardDevice(pool, vtep -> 0x02_00_00_00_00_01L, clock::get);
        final byte[] privateKey = X25519Keys.generatePrivate();
        final byte[] publicKey = X25519Keys.publicOf(privateKey);
        final int vtep;

        Host(final int vtep)
        {
            this.vtep = vtep;
            device.identity(privateKey);
            device.listen(uplink, vtep, WireGuardDevice.DEFAULT_PORT, 0x02_00_00_00_00_02L);
        }

        void knows(final Host other)
        {
            device.putPeer(other.publicKey, other.vtep, other.vtep, WireGuardDevice.DEFAULT_PORT);
        }

        /** Seals a VXLAN datagram from this VTEP to {@code to}'s. */
        boolean send(final byte[] datagram, final int to)
        {
            final int handle = pool.allocate();
            pool.buffer().putBytes(pool.frameOffset(handle), datagram);
            pool.frameLength(handle, datagram.length);
            try
            {
                return device.seal(handle, to);
            }
            finally
            {
                pool.release(handle);
            }
        }

        /** Hands a datagram off the wire to the device; returns the verdict and, for DELIVER, the frame. */
        Object[] receive(final byte[] wire)
        {
            final int handle = pool.allocate();
            pool.buffer().putBytes(pool.frameOffset(handle), wire);
            pool.frameLength(handle, wire.length);
            final ByteBuffer view = ByteBuffer.wrap(wire);
            final int udpLength = view.getShort(14 + 20 + 4) & 0xFFFF;
            final int verdict = device.receive(handle, pool.frameOffset(handle) + 42, udpLength - 8, view.getInt(26),
                view.getShort(34) & 0xFFFF);
            byte[] frame = null;
            if (verdict == WireGuardDevice.DELIVER)
            {
                frame = new byte[pool.frameLength(handle)];
                pool.buffer().getBytes(pool.frameOffset(handle), frame);
            }
            pool.release(handle);
            return new Object[] {verdict, frame, verdict == WireGuardDevice.DROP ? device.dropReason() : null};
        }

        byte[] sent()
        {
            return uplink.takeTransmitted();
        }
    }

    /** An Ethernet frame holding IPv4 from {@code source} to {@code destination}, UDP to 4789, VXLAN, a payload. */
    private static byte[] vxlanDatagram(final int source, final int destination, final int payloadLength)
    {
        final int ipLength = 20 + 8 + 8 + payloadLength;
        final ByteBuffer b = ByteBuffer.allocate(14 + ipLength);
        b.put(new byte[] {2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)ipLength).putInt(0).put((byte)64).put((byte)17).putShort((short)0)
            .putInt(source).putInt(destination);
        b.putShort((short)50000).putShort((short)4789).putShort((short)(ipLength - 20)).putShort((short)0);
        b.put((byte)0x08).put(new byte[3]).putInt(42 << 8);
        final byte[] payload = new byte[payloadLength];
        new Random(payloadLength).nextBytes(payload);
        b.put(payload);
        return b.array();
    }

    private static byte[] inner(final byte[] frame)
    {
        return Arrays.copyOfRange(frame, 14, frame.length);
    }

    private static int messageType(final byte[] wire)
    {
        return wire[42];
    }

    @Test
    void handshakeThenTransportBothWaysAndWhatIsRefused()
    {
        final Host a = new Host(VTEP_A);
        final Host b = new Host(VTEP_B);
        a.knows(b);
        b.knows(a);

        final byte[] first = vxlanDatagram(VTEP_A, VTEP_B, 1000);
        assertTrue(a.send(first, VTEP_B), "kept until the handshake is done");
        final byte[] initiation = a.sent();
        assertEquals(Protocol.TYPE_INITIATION, messageType(initiation));
        assertEquals(42 + Protocol.INITIATION_LENGTH, initiation.length);
        assertNull(a.sent(), "the datagram waits for the handshake");

        assertEquals(WireGuardDevice.CONSUMED, b.receive(initiation)[0]);
        final byte[] response = b.sent();
        assertEquals(Protocol.TYPE_RESPONSE, messageType(response));
        assertEquals(WireGuardDevice.DROP, b.receive(initiation)[0], "an initiation replayed");
        assertEquals(WireGuardDrops.WG_REPLAY, b.device.dropReason());

        assertEquals(WireGuardDevice.CONSUMED, a.receive(response)[0]);
        final byte[] transport = a.sent();
        assertEquals(Protocol.TYPE_TRANSPORT, messageType(transport));
        assertEquals(0, (transport.length - 42 - Protocol.TRANSPORT_OVERHEAD) % 16, "padded to 16");

        final Object[] delivered = b.receive(transport);
        assertEquals(WireGuardDevice.DELIVER, delivered[0]);
        assertArrayEquals(inner(first), inner((byte[])delivered[1]), "the VXLAN datagram as it was sealed");
        assertEquals(WireGuardDrops.WG_REPLAY, b.receive(transport)[2], "a transport message replayed");

        final byte[] flipped = transport.clone();
        flipped[flipped.length - 20] ^= 1;
        assertEquals(WireGuardDrops.WG_REPLAY, b.receive(flipped)[2], "same counter: refused before the tag");

        // B answers with the confirmed keys, no new handshake
        final byte[] back = vxlanDatagram(VTEP_B, VTEP_A, 64);
        assertTrue(b.send(back, VTEP_A));
        final byte[] backWire = b.sent();
        assertEquals(Protocol.TYPE_TRANSPORT, messageType(backWire));
        assertArrayEquals(inner(back), inner((byte[])a.receive(backWire)[1]));

        // a corrupted message with a fresh counter fails authentication
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 200), VTEP_B));
        final byte[] corrupt = a.sent();
        corrupt[corrupt.length - 30] ^= 0x40;
        assertEquals(WireGuardDrops.WG_AUTH, b.receive(corrupt)[2]);

        // a peer may only speak from its own VTEP (allowed IPs)
        assertTrue(a.send(vxlanDatagram(VTEP_C, VTEP_B, 100), VTEP_B));
        assertEquals(WireGuardDrops.WG_INNER_ADDRESS, b.receive(a.sent())[2]);

        // messages out of order within the window are taken
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 10), VTEP_B));
        final byte[] earlier = a.sent();
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 11), VTEP_B));
        assertEquals(WireGuardDevice.DELIVER, b.receive(a.sent())[0]);
        assertEquals(WireGuardDevice.DELIVER, b.receive(earlier)[0]);

        final PeerStatus status = a.device.status().get(0);
        assertEquals(X25519Keys.encode(b.publicKey), status.publicKey());
        assertTrue(status.session() && status.lastHandshakeMs() > 0 && status.handshakes() == 1);
    }

    @Test
    void aKeyNobodyListedIsRefusedAndAnUnknownSessionAsksForANewHandshake()
    {
        final Host a = new Host(VTEP_A);
        final Host b = new Host(VTEP_B);
        final Host stranger = new Host(VTEP_C);
        a.knows(b);
        b.knows(a);
        stranger.knows(b);
        assertTrue(stranger.send(vxlanDatagram(VTEP_C, VTEP_B, 100), VTEP_B));
        assertEquals(WireGuardDrops.WG_UNKNOWN_KEY, b.receive(stranger.sent())[2]);
        assertNull(b.sent(), "no answer to a stranger");

        // a session, then B "restarts": A's transport messages name a session B no longer has
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B));
        b.receive(a.sent());
        a.receive(b.sent());
        a.sent();
        final Host restarted = new Host(VTEP_B);
        final byte[] sameKey = b.privateKey;
        restarted.device.identity(sameKey);
        restarted.device.putPeer(a.publicKey, VTEP_A, VTEP_A, WireGuardDevice.DEFAULT_PORT);
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B));
        assertEquals(WireGuardDrops.WG_UNKNOWN_INDEX, restarted.receive(a.sent())[2]);
        final byte[] nudge = restarted.sent();
        assertNotNull(nudge, "the restarted host initiates at once");
        assertEquals(Protocol.TYPE_INITIATION, messageType(nudge));
        assertEquals(WireGuardDevice.CONSUMED, a.receive(nudge)[0]);
        assertEquals(WireGuardDevice.CONSUMED, restarted.receive(a.sent())[0]);
        final byte[] keepalive = restarted.sent();
        assertEquals(Protocol.TYPE_TRANSPORT, messageType(keepalive));
        assertEquals(WireGuardDevice.CONSUMED, a.receive(keepalive)[0], "a keepalive confirms the responder's keys");
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 300), VTEP_B));
        assertEquals(WireGuardDevice.DELIVER, restarted.receive(a.sent())[0]);
    }

    @Test
    void bothSidesInitiatingAtOnceStillGetKeys()
    {
        final Host a = new Host(VTEP_A);
        final Host b = new Host(VTEP_B);
        a.knows(b);
        b.knows(a);
        final byte[] fromA = vxlanDatagram(VTEP_A, VTEP_B, 100);
        final byte[] fromB = vxlanDatagram(VTEP_B, VTEP_A, 120);
        a.send(fromA, VTEP_B);
        b.send(fromB, VTEP_A);
        final byte[] initiationA = a.sent();
        final byte[] initiationB = b.sent();
        b.receive(initiationA);
        a.receive(initiationB);
        final byte[] responseB = b.sent();
        final byte[] responseA = a.sent();
        a.receive(responseB); // A: initiator keys, sends its staged datagram
        b.receive(responseA);
        byte[] wire;
        int delivered = 0;
        while ((wire = a.sent()) != null)
        {
            delivered += b.receive(wire)[0].equals(WireGuardDevice.DELIVER) ? 1 : 0;
        }
        while ((wire = b.sent()) != null)
        {
            delivered += a.receive(wire)[0].equals(WireGuardDevice.DELIVER) ? 1 : 0;
        }
        assertEquals(2, delivered, "each side's staged datagram arrived");
    }

    @Test
    void underLoadAnInitiationGetsACookieAndTheNextOneWithMac2IsServed()
    {
        final Host a = new Host(VTEP_A);
        final Host b = new Host(VTEP_B);
        a.knows(b);
        b.knows(a);
        final Host flooder = new Host(VTEP_C);
        flooder.knows(b);
        for (int i = 0; i <= Cookies.LOAD_PER_SECOND; i++)
        {
            flooder.device.removePeer(VTEP_B);
            flooder.knows(b);
            flooder.send(vxlanDatagram(VTEP_C, VTEP_B, 10), VTEP_B);
            b.receive(flooder.sent()); // unknown key, but each counts towards the load
        }
        while (b.sent() != null)
        {
            // the flooder's own cookie reply
        }
        a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B);
        final Object[] refused = b.receive(a.sent());
        assertEquals(WireGuardDrops.WG_UNDER_LOAD, refused[2]);
        final byte[] cookie = b.sent();
        assertEquals(Protocol.TYPE_COOKIE_REPLY, messageType(cookie));
        assertEquals(42 + Protocol.COOKIE_REPLY_LENGTH, cookie.length);
        assertEquals(WireGuardDevice.CONSUMED, a.receive(cookie)[0]);
        a.device.doWork(System.currentTimeMillis() + Protocol.REKEY_TIMEOUT_MS + 1); // the retry carries mac2
        final byte[] retry = a.sent();
        assertEquals(Protocol.TYPE_INITIATION, messageType(retry));
        assertEquals(WireGuardDevice.CONSUMED, b.receive(retry)[0], "served despite the load");
        assertEquals(Protocol.TYPE_RESPONSE, messageType(b.sent()));
    }

    /** Moves both hosts' clocks and runs their timers. */
    private static void later(final long millis, final Host... hosts)
    {
        for (final Host host : hosts)
        {
            host.device.doWork(host.clock.addAndGet(millis));
        }
    }

    @Test
    void theInitiatorRekeysAfter120sKeysGoAfter180sAndRetriesStopAfter90s()
    {
        final Host a = new Host(VTEP_A);
        final Host b = new Host(VTEP_B);
        a.knows(b);
        b.knows(a);
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B));
        b.receive(a.sent());
        a.receive(b.sent());
        assertEquals(WireGuardDevice.DELIVER, b.receive(a.sent())[0]);

        later(60_000, a, b);
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B));
        assertEquals(Protocol.TYPE_TRANSPORT, messageType(a.sent()), "no rekey before 120 s");
        later(61_000, a, b);
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B));
        final byte[] rekey = a.sent();
        assertEquals(Protocol.TYPE_INITIATION, messageType(rekey), "after 120 s the initiator starts a new handshake");
        final byte[] stillSealed = a.sent();
        assertEquals(Protocol.TYPE_TRANSPORT, messageType(stillSealed), "and goes on sending with the old keys");
        assertEquals(WireGuardDevice.DELIVER, b.receive(stillSealed)[0]);

        // the rekey is lost; at 180 s the old keys go: what A then sends waits for a handshake
        later(60_000, a, b);
        byte[] wire;
        while ((wire = a.sent()) != null)
        {
            assertEquals(Protocol.TYPE_INITIATION, messageType(wire), "only handshake retries while keys are old");
        }
        assertTrue(a.send(vxlanDatagram(VTEP_A, VTEP_B, 100), VTEP_B), "kept for the next handshake");
        assertNull(a.sent(), "nothing sealed on expired keys (and the retry that just went out is not repeated)");
        assertTrue(a.device.status().stream().noneMatch(PeerStatus::session), "no keys after 180 s");
        // and B, its clock past 180 s too, takes nothing more on them
        assertTrue(b.device.status().stream().noneMatch(PeerStatus::session), "B dropped its keys too");

        // nobody answers: retries every 5 s until 90 s after the attempt began (at 121 s), then given up and what
        // waited dropped
        int retries = 0;
        for (int i = 0; i < 20; i++)
        {
            later(5_100, a);
            while ((wire = a.sent()) != null)
            {
                retries++;
            }
        }
        assertTrue(retries >= 4 && retries <= 7, retries + " retries between 181 s and 211 s");
        later(30_000, a);
        assertNull(a.sent(), "given up");
        assertEquals(64, a.pool.available(), "the kept datagram went with the given-up handshake");
    }

    @Test
    void randomBytesOnThePortAreRefusedNeverThrown()
    {
        final Host a = new Host(VTEP_A);
        final Host b = new Host(VTEP_B);
        a.knows(b);
        b.knows(a);
        final Random random = new Random(2029);
        for (int i = 0; i < 20_000; i++)
        {
            final int length = random.nextInt(200);
            final byte[] message = new byte[length];
            random.nextBytes(message);
            if (length >= 4 && random.nextBoolean())
            {
                message[0] = (byte)(1 + random.nextInt(4));
                message[1] = message[2] = message[3] = 0;
            }
            final ByteBuffer wire = ByteBuffer.allocate(42 + length);
            wire.position(26);
            wire.putInt(VTEP_A).putInt(VTEP_B).putShort((short)51820).putShort((short)51820)
                .putShort((short)(8 + length)).putShort((short)0).put(message);
            final Object[] result = b.receive(wire.array());
            assertEquals(WireGuardDevice.DROP, result[0], "random message " + i);
            assertTrue(WireGuardDrops.ALL.contains((DropReason)result[2]));
        }
        assertEquals(64, b.pool.available(), "nothing kept");
    }
}
