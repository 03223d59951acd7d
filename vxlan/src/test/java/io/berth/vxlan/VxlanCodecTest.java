package io.berth.vxlan;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;

import static io.berth.dataplane.Frames.ETHER_IPV4;
import static io.berth.dataplane.Frames.ethernet;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.ipv4;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.toHex;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.berth.dataplane.flyweight.Checksums;
import java.util.Arrays;
import org.agrona.concurrent.UnsafeBuffer;

/** RFC 7348 on the wire, byte for byte: what berth sends, and what it accepts, refuses and ignores. */
class VxlanCodecTest
{
    static final int LOCAL = ip("192.168.50.1");
    static final int REMOTE = ip("192.168.50.2");
    static final long LOCAL_MAC = mac("02:00:c0:a8:32:01");
    static final long NEXT_HOP_MAC = mac("02:00:c0:a8:32:02");
    static final int VNI = 4097;

    final PacketPool pool = new PacketPool(32);
    final VxlanEncapsulation encap = new VxlanEncapsulation();
    final VxlanDecapsulation decap = new VxlanDecapsulation();

    static byte[] inner(final int sourcePort)
    {
        return udpFrame(mac("02:42:0a:00:00:02"), mac("02:42:0a:00:00:03"), ip("10.0.0.2"), ip("10.0.0.3"), sourcePort, 53, 100);
    }

    /** The datagram as RFC 7348 draws it, built by hand: zero UDP checksum, I flag, the VNI, DF, TTL 64. */
    static byte[] expected(final byte[] inner, final int sourcePort, final int vni)
    {
        final ByteBuffer udp = ByteBuffer.allocate(16 + inner.length);
        udp.putShort((short)sourcePort).putShort((short)4789).putShort((short)(16 + inner.length)).putShort((short)0);
        udp.put((byte)0x08).put(new byte[3]).putInt(vni << 8).put(inner);
        return ethernet(NEXT_HOP_MAC, LOCAL_MAC, ETHER_IPV4, ipv4(LOCAL, REMOTE, 17, 64, udp.array()));
    }

    int load(final byte[] frame)
    {
        final int h = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        pool.clearVnetHeader(h);
        return h;
    }

    byte[] frameOf(final int h)
    {
        final byte[] b = new byte[pool.frameLength(h)];
        pool.buffer().getBytes(pool.frameOffset(h), b);
        return b;
    }

    @Test
    void encapsulatesAsTheRfcDrawsIt()
    {
        final byte[] inner = inner(40000);
        final int h = load(inner);
        assertTrue(encap.encapsulate(pool, h, VNI, LOCAL, REMOTE, VxlanFlyweight.IANA_PORT, LOCAL_MAC, NEXT_HOP_MAC));
        final byte[] sent = frameOf(h);
        final int sourcePort = ((sent[34] & 0xFF) << 8) | (sent[35] & 0xFF);
        assertTrue(sourcePort >= 49152 && sourcePort <= 65535, "source port in the dynamic range: " + sourcePort);
        assertEquals(toHex(expected(inner, sourcePort, VNI)), toHex(sent));
        assertEquals(0, Checksums.internet(pool.buffer(), pool.frameOffset(h) + 14, 20, 0), "outer IPv4 checksum");
    }

    @Test
    void theSourcePortFollowsTheInnerFlow()
    {
        final Set<Integer> ports = new HashSet<>();
        for (int flow = 0; flow < 64; flow++)
        {
            final byte[] frame = inner(40000 + flow);
            final int a = FlowHash.sourcePort(new UnsafeBuffer(frame), 0, frame.length);
            final int b = FlowHash.sourcePort(new UnsafeBuffer(frame.clone()), 0, frame.length);
            assertEquals(a, b, "one flow, one port");
            assertTrue(a >= 49152 && a <= 65535);
            ports.add(a);
        }
        assertTrue(ports.size() > 56, "flows spread over the range: " + ports.size() + " ports for 64 flows");
    }

    @Test
    void decapsulatesWhatItSentAndTheKernelsZeroChecksum()
    {
        final byte[] inner = inner(40001);
        // what arrives from the peer: its VTEP is REMOTE, ours LOCAL
        final byte[] datagram = swapVteps(expected(inner, 50000, VNI));
        final int h = load(pad(datagram, 4)); // with Ethernet padding after it
        assertEquals(VxlanDecapsulation.VALID, decap.inspect(pool, h, LOCAL, 4789));
        assertEquals(VNI, decap.vni());
        assertEquals(REMOTE, decap.sourceVtep());
        decap.strip(pool, h);
        assertEquals(toHex(inner), toHex(frameOf(h)));
    }

    @Test
    void refusesWhatIsNotRightAndIgnoresWhatIsNotVxlan()
    {
        final byte[] good = swapVteps(expected(inner(40002), 50000, VNI));
        final byte[] noI = good.clone();
        noI[42] = 0;
        assertEquals(VxlanDecapsulation.MALFORMED, decap.inspect(pool, load(noI), LOCAL, 4789));

        final byte[] reserved = good.clone();
        reserved[42] = (byte)0xFF; // every reserved bit set too: ignored on receipt
        reserved[49] = (byte)0xFF;
        assertEquals(VxlanDecapsulation.VALID, decap.inspect(pool, load(reserved), LOCAL, 4789));

        final byte[] shortUdp = good.clone();
        shortUdp[39] = (byte)(shortUdp[39] - 1); // UDP length one less than IPv4 says
        assertEquals(VxlanDecapsulation.MALFORMED, decap.inspect(pool, load(shortUdp), LOCAL, 4789));

        final byte[] firstFragment = good.clone();
        firstFragment[20] = 0x20; // MF
        assertEquals(VxlanDecapsulation.FRAGMENTED, decap.inspect(pool, load(firstFragment), LOCAL, 4789));
        final byte[] laterFragment = good.clone();
        laterFragment[20] = 0x00;
        laterFragment[21] = 0x10;
        assertEquals(VxlanDecapsulation.NOT_VXLAN, decap.inspect(pool, load(laterFragment), LOCAL, 4789),
            "a later fragment cannot be told from one of a published port's datagrams");

        assertEquals(VxlanDecapsulation.NOT_VXLAN, decap.inspect(pool, load(good), ip("192.168.50.9"), 4789), "another address");
        assertEquals(VxlanDecapsulation.NOT_VXLAN, decap.inspect(pool, load(good), LOCAL, 8472), "another port");
        final byte[] tooShort = Arrays.copyOf(good, 14 + 20 + 8 + 8 + 10);
        tooShort[16] = 0;
        tooShort[17] = (byte)(20 + 8 + 8 + 10);
        tooShort[38] = 0;
        tooShort[39] = (byte)(8 + 8 + 10);
        assertEquals(VxlanDecapsulation.MALFORMED, decap.inspect(pool, load(tooShort), LOCAL, 4789), "no room for an inner Ethernet header");
    }

    /** The same datagram as the peer sends it: addresses swapped (the checksum does not change). */
    static byte[] swapVteps(final byte[] frame)
    {
        final byte[] b = frame.clone();
        System.arraycopy(frame, 26, b, 30, 4);
        System.arraycopy(frame, 30, b, 26, 4);
        return b;
    }

    static byte[] pad(final byte[] frame, final int extra)
    {
        return Arrays.copyOf(frame, frame.length + extra);
    }
}
