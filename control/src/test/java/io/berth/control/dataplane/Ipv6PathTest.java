package io.berth.control.dataplane;

import com.fasterxml.jackson.core.type.TypeReference;
import io.berth.control.wire.Json;
import io.berth.l3.Route6Drops;
import io.berth.nat.ConnectionSnapshot;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PortCounters;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.berth.dataplane.Frames.concat;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.ipv6Frame;
import static io.berth.dataplane.Frames.l4v6;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IPv6 routed path in berthd's production graph (issue 27), frame by frame: NAT66 out and back with the
 * upper layer's checksum still right, the hop limit decremented and answered with time exceeded when it runs out,
 * the uplink's next hop learned from its Neighbor Advertisement, and a warm masqueraded stream allocating nothing.
 */
class Ipv6PathTest
{
    private static final long V6_A = 0xfd00_0018_0000_0000L;
    private static final long[] A6 = {V6_A, 2};
    private static final long[] UPLINK6 = {0xfd00_0099_0000_0000L, 1};
    private static final long[] LAN_GW6 = {0xfd00_0099_0000_0000L, 0xfe};
    private static final long[] OUTSIDE6 = {0x2001_0db8_ffff_0000L, 5};
    private static final int IP_A = ip("172.18.0.2");
    private static final long MAC_A = MemoryPacketPath.macFor(IP_A);
    private static final long GW_MAC = MemoryPacketPath.macFor(ip("172.18.0.1"));
    private static final long UPLINK_MAC = mac("02:aa:0a:63:00:01");
    private static final long LAN_GW_MAC = mac("00:11:22:33:44:fe");

    private final MemoryPort a = new MemoryPort(1, "a");
    private final MemoryPort uplink = new MemoryPort(4, "uplink");
    private MemoryPacketPath path;

    @BeforeEach
    void build()
    {
        path = new MemoryPacketPath(1024, DataplaneOptions.defaults(), SystemEpochClock.INSTANCE)
            .network(1, ip("172.18.0.0"), 16, ip("172.18.0.1"), true, false)
            .container(a, 1, IP_A)
            .uplink(uplink, ip("10.99.0.1"), 24, UPLINK_MAC, ip("10.99.0.254"))
            .ipv6Network(1, V6_A, ip("172.18.0.0"), true)
            .ipv6Container(a, A6[0], A6[1])
            .ipv6Routes(new long[] {0xfd00_a9fe_7b00_0000L, 2}, new long[] {0xfd00_a9fe_7b00_0000L, 1}, UPLINK6, LAN_GW6);
        // the uplink's gateway advertises itself (target link-layer option: its MAC)
        uplink.inject(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, LAN_GW6, UPLINK6, 58, 255, concat(l4v6(58, 136, 0, new byte[0]),
            ByteBuffer.allocate(24).putLong(LAN_GW6[0]).putLong(LAN_GW6[1]).put((byte)2).put((byte)1)
                .putShort((short)(LAN_GW_MAC >>> 32)).putInt((int)LAN_GW_MAC).array())));
        path.cycle();
    }

    @Test
    void aUniqueLocalNetworkLeavesAsTheUplinkAddressAndItsRepliesComeBackTranslated()
    {
        a.inject(ipv6Frame(GW_MAC, MAC_A, A6, OUTSIDE6, 17, 64, l4v6(17, 40000, 53, new byte[24])));
        path.cycle();
        final ByteBuffer out = ByteBuffer.wrap(uplink.takeTransmitted());
        assertEquals(LAN_GW_MAC, macAt(out, 0), "to the next hop the advertisement taught");
        assertEquals(UPLINK_MAC, macAt(out, 6));
        assertEquals(63, out.get(14 + 7) & 0xFF, "hop limit decremented");
        assertEquals(UPLINK6[0], out.getLong(14 + 8));
        assertEquals(UPLINK6[1], out.getLong(14 + 16), "masqueraded to the uplink's address");
        assertEquals(40000, out.getShort(54) & 0xFFFF, "the container's port kept: it was free");
        assertTrue(checksumValid(out), "UDP checksum still right after NAT66");
        uplink.inject(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, UPLINK6, 17, 60, l4v6(17, 53, 40000, new byte[40])));
        path.cycle();
        final ByteBuffer back = ByteBuffer.wrap(a.takeTransmitted());
        assertEquals(MAC_A, macAt(back, 0));
        assertEquals(A6[1], back.getLong(14 + 32), "the reply's destination is the container again");
        assertEquals(40000, back.getShort(56) & 0xFFFF);
        assertEquals(59, back.get(14 + 7) & 0xFF);
        assertTrue(checksumValid(back), "UDP checksum right after NAT66 back");
        // an unasked datagram from outside to the container's address stays out
        uplink.inject(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, A6, 17, 60, l4v6(17, 53, 40001, new byte[8])));
        path.cycle();
        assertEquals(0, a.transmittedWaiting());
    }

    @Test
    void fragmentedUdpIsReassembledTranslatedAndCutBackIntoItsFragments()
    {
        final byte[] whole = ipv6Frame(GW_MAC, MAC_A, A6, OUTSIDE6, 17, 64, l4v6(17, 40005, 53, pattern(2000)));
        for (final byte[] piece : fragments(whole, 1280, 0x1234))
        {
            a.inject(piece);
        }
        path.cycle();
        final ByteBuffer first = ByteBuffer.wrap(uplink.takeTransmitted());
        final ByteBuffer second = ByteBuffer.wrap(uplink.takeTransmitted());
        assertEquals(0, uplink.transmittedWaiting());
        assertEquals(44, first.get(14 + 6) & 0xFF, "left as fragments again");
        assertEquals(1280, 40 + (first.getShort(14 + 4) & 0xFFFF), "no larger than they came");
        assertEquals(UPLINK6[1], first.getLong(14 + 16), "masqueraded");
        assertEquals(UPLINK6[1], second.getLong(14 + 16));
        final byte[] joined = reassemble(first, second);
        assertEquals(40005, ((joined[54] & 0xFF) << 8) | (joined[55] & 0xFF), "the container's port kept");
        assertTrue(checksumValid(ByteBuffer.wrap(joined)), "the whole datagram's UDP checksum is right after NAT66");
        // the reply, fragmented by the outside, comes back whole through NAT66 and in fragments to the container
        final byte[] reply = ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, UPLINK6, 17, 60, l4v6(17, 53, 40005, pattern(1800)));
        for (final byte[] piece : fragments(reply, 1000, 0x99))
        {
            uplink.inject(piece);
        }
        path.cycle();
        final ByteBuffer in1 = ByteBuffer.wrap(a.takeTransmitted());
        final ByteBuffer in2 = ByteBuffer.wrap(a.takeTransmitted());
        assertEquals(A6[1], in1.getLong(14 + 32));
        final byte[] back = reassemble(in1, in2);
        assertEquals(40005, ((back[56] & 0xFF) << 8) | (back[57] & 0xFF));
        assertTrue(checksumValid(ByteBuffer.wrap(back)));
        assertEquals(path.pool().capacity(), path.pool().available(), "nothing held or leaked");
    }

    private static byte[] pattern(final int length)
    {
        final byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i * 7);
        }
        return data;
    }

    /** Cuts an unfragmented IPv6 frame into fragments of at most {@code size} IPv6 bytes, as a sender's kernel does. */
    private static List<byte[]> fragments(final byte[] frame, final int size, final int id)
    {
        final List<byte[]> out = new ArrayList<>();
        final int rest = frame.length - 54;
        final int chunk = (size - 48) & ~7;
        for (int offset = 0; offset < rest; offset += chunk)
        {
            final int length = Math.min(chunk, rest - offset);
            final ByteBuffer piece = ByteBuffer.allocate(62 + length);
            piece.put(frame, 0, 54);
            piece.put(14 + 6, (byte)44);
            piece.putShort(14 + 4, (short)(8 + length));
            piece.position(54);
            piece.put(frame[14 + 6]).put((byte)0).putShort((short)(offset | (offset + length < rest ? 1 : 0))).putInt(id);
            piece.put(frame, 54 + offset, length);
            out.add(piece.array());
        }
        return out;
    }

    /** Two fragments joined back into one unfragmented frame. */
    private static byte[] reassemble(final ByteBuffer first, final ByteBuffer second)
    {
        final int firstData = (first.getShort(14 + 4) & 0xFFFF) - 8;
        final int secondData = (second.getShort(14 + 4) & 0xFFFF) - 8;
        final ByteBuffer whole = ByteBuffer.allocate(54 + firstData + secondData);
        whole.put(first.array(), 0, 54);
        whole.put(14 + 6, first.get(54));
        whole.putShort(14 + 4, (short)(firstData + secondData));
        whole.position(54);
        whole.put(first.array(), 62, firstData);
        whole.put(second.array(), 62, secondData);
        return whole.array();
    }

    @Test
    void savedTablesReadBackAndAnIpv6ConnectionIsListedWithItsAddresses() throws Exception
    {
        a.inject(ipv6Frame(GW_MAC, MAC_A, A6, OUTSIDE6, 17, 64, l4v6(17, 40006, 53, new byte[8])));
        path.cycle();
        final List<ConnectionSnapshot> listed = path.path().natCommands().connections().get();
        assertEquals(1, listed.size());
        assertEquals("fd00:18::2", listed.get(0).original().source6());
        assertEquals("2001:db8:ffff::5", listed.get(0).original().destination6());
        assertEquals("fd00:99::1", listed.get(0).reply().destination6(), "masqueraded");
        // what berthd writes every second (with an IPv4 connection beside it) reads back (the saved-table format)
        final byte[] json = Json.WIRE.writeValueAsBytes(List.of(listed.get(0), new ConnectionSnapshot(6, 3, 10, 0,
            new ConnectionSnapshot.Tuple(1, 2, 3, 4), new ConnectionSnapshot.Tuple(2, 1, 4, 3))));
        final List<ConnectionSnapshot> read = Json.WIRE.readValue(json, new TypeReference<List<ConnectionSnapshot>>() { });
        assertEquals(2, read.size());
        assertTrue(read.get(0).original().carriesIpv6());
        assertEquals(listed.get(0), read.get(0));
    }

    @Test
    void aPacketTooBigFromBeyondTheUplinkReachesTheMasqueradedContainerAboutItsOwnPacket()
    {
        a.inject(ipv6Frame(GW_MAC, MAC_A, A6, OUTSIDE6, 17, 64, l4v6(17, 40007, 53, new byte[24])));
        path.cycle();
        final byte[] translated = uplink.takeTransmitted();
        // a router beyond the uplink: too big for its next link, quoting the packet as it saw it (translated)
        final byte[] quoted = Arrays.copyOfRange(translated, 14, translated.length);
        final ByteBuffer error = ByteBuffer.allocate(8 + quoted.length).put((byte)2).put((byte)0).putShort((short)0)
            .putInt(1280).put(quoted);
        uplink.inject(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, LAN_GW6, UPLINK6, 58, 64, error.array()));
        path.cycle();
        final byte[] got = a.takeTransmitted();
        assertTrue(got != null, "the error did not reach the container");
        final ByteBuffer in = ByteBuffer.wrap(got);
        assertEquals(2, in.get(54) & 0xFF, "Packet Too Big");
        assertEquals(1280, in.getInt(58));
        assertEquals(A6[1], in.getLong(14 + 32), "to the container");
        assertEquals(A6[1], in.getLong(62 + 16), "quoting the container's own address");
        assertEquals(40007, in.getShort(62 + 40) & 0xFFFF, "and port");
        assertTrue(checksumValid(in), "ICMPv6 checksum computed afresh");
    }

    @Test
    void theLastHopAnswersTimeExceededFromTheGateway()
    {
        a.inject(ipv6Frame(GW_MAC, MAC_A, A6, OUTSIDE6, 58, 1, l4v6(58, 128, 9, new byte[16])));
        path.cycle();
        final ByteBuffer error = ByteBuffer.wrap(a.takeTransmitted());
        assertEquals(58, error.get(14 + 6) & 0xFF);
        assertEquals(V6_A, error.getLong(14 + 8));
        assertEquals(1, error.getLong(14 + 16), "from the network's gateway address");
        assertEquals(3, error.get(54) & 0xFF, "ICMPv6 time exceeded");
        assertEquals(OUTSIDE6[1], error.getLong(62 + 32), "quoting the packet");
        assertTrue(checksumValid(error));
        assertEquals(1, path.graph().drops().get(Route6Drops.HOP_LIMIT_EXCEEDED));
    }

    @Test
    void aWarmMasqueradedStreamAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        uplink.keepTransmitted(false);
        a.replay(ipv6Frame(GW_MAC, MAC_A, A6, OUTSIDE6, 17, 64, l4v6(17, 40002, 53, new byte[24])));
        run(300_000);
        final long thread = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(thread);
        run(100_000);
        final long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertTrue(allocated < 4096, allocated + " bytes for 100,000 routed, tracked and masqueraded IPv6 packets");
        assertEquals(path.pool().capacity(), path.pool().available());
    }

    private void run(final long packets)
    {
        final long target = uplink.counters().get(PortCounters.TX_PACKETS) + packets;
        while (uplink.counters().get(PortCounters.TX_PACKETS) < target)
        {
            path.cycle();
        }
    }

    private static long macAt(final ByteBuffer frame, final int at)
    {
        return ((frame.getShort(at) & 0xFFFFL) << 32) | (frame.getInt(at + 2) & 0xFFFF_FFFFL);
    }

    /** The upper layer's checksum over the IPv6 pseudo-header sums to all ones. */
    private static boolean checksumValid(final ByteBuffer frame)
    {
        final int payload = frame.getShort(14 + 4) & 0xFFFF;
        long sum = payload + (frame.get(14 + 6) & 0xFF);
        for (int i = 14 + 8; i < 14 + 40; i += 2)
        {
            sum += frame.getShort(i) & 0xFFFF;
        }
        for (int i = 54; i < 54 + payload; i += 2)
        {
            sum += i + 1 < 54 + payload ? frame.getShort(i) & 0xFFFF : (frame.get(i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum == 0xFFFF;
    }
}
