package io.berth.dataplane.graph;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.Frames;
import io.berth.dataplane.PacketPool;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ParseNodeTest
{
    private static final long HOST = mac("02:42:ac:11:00:02");
    private static final long GATEWAY = mac("02:42:ac:11:00:01");
    private static final byte[] ARP = Frames.arpRequest(HOST, ip("172.17.0.2"), ip("172.17.0.1"));
    private static final byte[] PING = Frames.ping(HOST, GATEWAY, ip("172.17.0.2"), ip("172.17.0.1"), 1, 1, new byte[56]);

    private final PacketPool pool = new PacketPool(64);
    private final DropCounters drops = new DropCounters();
    private Graph graph;
    private TestNodes.Sink sink;

    @BeforeEach
    void build()
    {
        sink = new TestNodes.Sink("sink", new ArrayList<>());
        graph = TestGraphs.autowire(pool, drops, new ParseNode(), sink);
    }

    private void run(final byte[]... frames)
    {
        for (final byte[] frame : frames)
        {
            graph.inject(TestNodes.load(pool, frame, 0));
        }
        graph.run();
    }

    private void assertDropped(final DropReason reason, final byte[] frame)
    {
        final long before = drops.get(reason);
        final int passedBefore = sink.frames.size();
        run(frame);
        assertEquals(before + 1, drops.get(reason), reason.name());
        assertEquals(passedBefore, sink.frames.size(), reason + ": nothing passed");
        assertEquals(pool.capacity(), pool.available(), reason + ": packet released");
    }

    private static byte[] with(final byte[] frame, final int index, final int value)
    {
        final byte[] copy = frame.clone();
        copy[index] = (byte)value;
        return copy;
    }

    @Test
    void soundFramesPass()
    {
        final byte[] ipv6 = Frames.ethernet(GATEWAY, HOST, Frames.ETHER_IPV6, new byte[40]);
        final byte[] padded = Frames.pad(ARP, 60);
        final byte[] tcp = Frames.tcpFrame(HOST, GATEWAY, ip("172.17.0.2"), ip("172.17.0.3"), 1, 2, 0x02, new byte[0]);
        final byte[] udp = Frames.udpFrame(HOST, GATEWAY, ip("172.17.0.2"), ip("172.17.0.3"), 1, 2, 60);
        final byte[] withOptions = ipv4WithHeaderLength(24);
        run(ARP, padded, PING, tcp, udp, ipv6, withOptions);
        assertEquals(7, sink.frames.size());
        assertArrayEquals(ARP, sink.frames.get(0));
        assertArrayEquals(ipv6, sink.frames.get(5));
        for (final DropReason reason : DropReason.values())
        {
            assertEquals(0, drops.get(reason), reason.name());
        }
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void framesShorterThanAnEthernetHeaderAreDropped()
    {
        assertDropped(DropReason.FRAME_TOO_SHORT, new byte[0]);
        assertDropped(DropReason.FRAME_TOO_SHORT, Arrays.copyOf(PING, 13));
    }

    @Test
    void framesLongerThanASlotAreDropped()
    {
        final int handle = TestNodes.load(pool, PING, 0);
        pool.frameLength(handle, PacketPool.MAX_FRAME + 1);
        graph.inject(handle);
        graph.run();
        assertEquals(1, drops.get(DropReason.FRAME_TOO_LONG));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void truncatedArpIsDropped()
    {
        assertDropped(DropReason.ARP_TRUNCATED, Arrays.copyOf(ARP, 41));
        assertDropped(DropReason.ARP_TRUNCATED, Arrays.copyOf(ARP, 14));
    }

    @Test
    void arpThatIsNotEthernetIpv4IsDropped()
    {
        assertDropped(DropReason.ARP_MALFORMED, with(ARP, 15, 6));     // hardware type 6
        assertDropped(DropReason.ARP_MALFORMED, with(ARP, 16, 0x86));  // protocol 0x8600
        assertDropped(DropReason.ARP_MALFORMED, with(ARP, 18, 8));     // hardware length 8
        assertDropped(DropReason.ARP_MALFORMED, with(ARP, 19, 16));    // protocol length 16
    }

    @Test
    void ipv4WithABadVersionOrHeaderLengthIsDropped()
    {
        assertDropped(DropReason.IPV4_MALFORMED, with(PING, 14, 0x65)); // version 6
        assertDropped(DropReason.IPV4_MALFORMED, with(PING, 14, 0x44)); // IHL 4: 16 bytes
        assertDropped(DropReason.IPV4_MALFORMED, with(PING, 14, 0x40)); // IHL 0
        // total length 16 < the 20-byte header
        final byte[] shortTotal = with(PING, 16, 0);
        shortTotal[17] = 16;
        assertDropped(DropReason.IPV4_MALFORMED, shortTotal);
    }

    @Test
    void ipv4LongerThanTheFrameIsDropped()
    {
        assertDropped(DropReason.IPV4_TRUNCATED, Arrays.copyOf(PING, 14 + 19));     // not even a header
        assertDropped(DropReason.IPV4_TRUNCATED, Arrays.copyOf(PING, PING.length - 1)); // total length > frame
        final byte[] claimsMore = with(PING, 16, 0x05);  // total length 0x05xx
        assertDropped(DropReason.IPV4_TRUNCATED, claimsMore);
        // IHL 15 (60 bytes) on a frame with 20 bytes of IPv4 header and no room for options
        final byte[] bigIhl = Arrays.copyOf(PING, 14 + 40);
        bigIhl[14] = 0x4F;
        bigIhl[16] = 0;
        bigIhl[17] = 60;
        assertDropped(DropReason.IPV4_TRUNCATED, bigIhl);
    }

    @Test
    void multicastOrZeroSourceMacsAreDropped()
    {
        assertDropped(DropReason.SOURCE_MAC_INVALID, with(PING, 6, 0x01)); // 01:42:ac:..: group bit
        final byte[] broadcast = PING.clone();
        Arrays.fill(broadcast, 6, 12, (byte)0xFF);
        assertDropped(DropReason.SOURCE_MAC_INVALID, broadcast);
        final byte[] zero = PING.clone();
        Arrays.fill(zero, 6, 12, (byte)0);
        assertDropped(DropReason.SOURCE_MAC_INVALID, zero);
    }

    @Test
    void badFramesInABatchDoNotStopGoodOnes()
    {
        run(PING, new byte[5], ARP, with(ARP, 18, 8), PING, with(PING, 14, 0x65));
        assertEquals(3, sink.frames.size());
        assertEquals(1, drops.get(DropReason.FRAME_TOO_SHORT));
        assertEquals(1, drops.get(DropReason.ARP_MALFORMED));
        assertEquals(1, drops.get(DropReason.IPV4_MALFORMED));
        assertEquals(pool.capacity(), pool.available());
    }

    /** A ping whose IPv4 header has options (NOPs) up to {@code headerLength}. */
    private static byte[] ipv4WithHeaderLength(final int headerLength)
    {
        final byte[] icmp = Frames.icmpEcho(8, 1, 1, new byte[8]);
        final byte[] header = new byte[headerLength];
        header[0] = (byte)(0x40 | headerLength / 4);
        header[2] = (byte)((headerLength + icmp.length) >>> 8);
        header[3] = (byte)(headerLength + icmp.length);
        header[8] = 64;
        header[9] = 1;
        System.arraycopy(Frames.hex("ac 11 00 02 ac 11 00 01"), 0, header, 12, 8);
        Arrays.fill(header, 20, headerLength, (byte)1); // NOP options
        final int sum = Frames.checksum(header, 0, headerLength, 0);
        header[10] = (byte)(sum >>> 8);
        header[11] = (byte)sum;
        return Frames.ethernet(GATEWAY, HOST, Frames.ETHER_IPV4, Frames.concat(header, icmp));
    }
}
