package io.berth.control.dataplane;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static io.berth.dataplane.Frames.arpReply;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.ping;
import static io.berth.dataplane.Frames.tcpFrame;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.berth.conntrack.Timeouts;
import io.berth.dataplane.Frames;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.capture.CaptureTap;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Once warm, berthd's production graph allocates nothing per packet, whatever path a packet takes: switched,
 * flooded, answered by the gateway, routed between networks, masqueraded to the outside, translated in from a
 * published port, or teaching the neighbour table a new LAN host. Measured with the JVM's per-thread allocation
 * counter over 100,000 packets per path, after a warm-up that lets the JIT settle.
 */
class PacketPathZeroAllocationTest
{
    private static final int PACKETS = 100_000;
    private static final long BUDGET_BYTES = 4096;
    private static final int GW_A = ip("172.18.0.1");
    private static final int IP_A = ip("172.18.0.2");
    private static final int IP_B = ip("172.18.0.3");
    private static final int GW_C = ip("172.19.0.1");
    private static final int IP_C = ip("172.19.0.2");
    private static final int UPLINK_IP = ip("10.99.0.1");
    private static final long UPLINK_MAC = mac("02:aa:0a:63:00:01");
    private static final int LAN_GW = ip("10.99.0.254");
    private static final long LAN_GW_MAC = mac("00:11:22:33:44:fe");
    private static final int OUTSIDE = ip("203.0.113.7");

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private MemoryPacketPath path;
    private final MemoryPort a = new MemoryPort(1, "a");
    private final MemoryPort b = new MemoryPort(2, "b");
    private final MemoryPort c = new MemoryPort(3, "c");
    private final MemoryPort uplink = new MemoryPort(4, "uplink");

    @BeforeEach
    void build()
    {
        path = new MemoryPacketPath(1024, DataplaneOptions.defaults(), SystemEpochClock.INSTANCE)
            .network(1, ip("172.18.0.0"), 16, GW_A, true, false)
            .network(2, ip("172.19.0.0"), 16, GW_C, true, false)
            .container(a, 1, IP_A).container(b, 1, IP_B).container(c, 2, IP_C)
            .uplink(uplink, UPLINK_IP, 24, UPLINK_MAC, LAN_GW)
            .neighbor(LAN_GW, uplink.id(), LAN_GW_MAC)
            .publish(UPLINK_IP, Ipv4Flyweight.PROTO_TCP, 12211, IP_A, 8080)
            .publish(UPLINK_IP, Ipv4Flyweight.PROTO_UDP, 12212, IP_A, 53);
        for (final MemoryPort port : new MemoryPort[] {a, b, c, uplink})
        {
            port.keepTransmitted(false);
        }
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
    }

    /** Bytes this thread allocated while {@code sent} packets left by {@code out}, after as many to warm up. */
    private long allocatedWhile(final MemoryPort out, final Runnable cycle)
    {
        run(out, 3L * PACKETS, cycle);
        final long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread);
        final long before = threads.getThreadAllocatedBytes(thread);
        run(out, PACKETS, cycle);
        return threads.getThreadAllocatedBytes(thread) - before;
    }

    private static void run(final MemoryPort out, final long packets, final Runnable cycle)
    {
        final long target = out.counters().get(PortCounters.TX_PACKETS) + packets;
        while (out.counters().get(PortCounters.TX_PACKETS) < target)
        {
            cycle.run();
        }
    }

    private void assertClean(final long bytes, final String what)
    {
        assertTrue(bytes < BUDGET_BYTES, bytes + " bytes allocated for " + PACKETS + " packets " + what);
        for (final DropReason reason : DropReason.values())
        {
            assertEquals(0, path.graph().drops().get(reason), reason + " while " + what);
        }
        assertEquals(path.pool().capacity(), path.pool().available(), "nothing leaked " + what);
    }

    @Test
    void switchingALearnedStreamAllocatesNothing()
    {
        b.inject(udpFrame(MemoryPacketPath.macFor(IP_B), MemoryPacketPath.macFor(IP_A), IP_B, IP_A, 9, 9, 60));
        path.cycle();
        a.replay(udpFrame(MemoryPacketPath.macFor(IP_A), MemoryPacketPath.macFor(IP_B), IP_A, IP_B, 1, 2, 64));
        assertClean(allocatedWhile(b, path::cycle), "switched");
    }

    @Test
    void anArmedCaptureAllocatesNothing()
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect((1 << 20)
                + RingBufferDescriptor.TRAILER_LENGTH)));
        final boolean[] armed = new boolean[PortTable.MAX_PORTS];
        armed[a.id()] = true;
        final AtomicLong lost = new AtomicLong();
        for (final String stage : new String[] {"parse", "tx"})
        {
            final int node = path.graph().nodes().stream().filter(n -> n.name().equals(stage)).findFirst()
                .orElseThrow().index();
            path.graph().tap(node, new CaptureTap(node, armed, 256, ring, lost));
        }
        final long[] copies = {0};
        final MessageHandler reader = (type, buffer, index, length) -> copies[0]++;
        b.inject(udpFrame(MemoryPacketPath.macFor(IP_B), MemoryPacketPath.macFor(IP_A), IP_B, IP_A, 9, 9, 60));
        path.cycle();
        a.replay(udpFrame(MemoryPacketPath.macFor(IP_A), MemoryPacketPath.macFor(IP_B), IP_A, IP_B, 1, 2, 64));
        assertClean(allocatedWhile(b, () ->
        {
            path.cycle();
            ring.read(reader); // the reader's side, drained as it goes
        }), "switched under an armed capture");
        assertTrue(copies[0] >= 2L * PACKETS, "every packet copied at rx and at tx: " + copies[0]);
        assertEquals(0, lost.get());
    }

    @Test
    void floodingAndTheGatewayAllocateNothing()
    {
        a.replay(udpFrame(MemoryPacketPath.macFor(IP_A), mac("02:42:ac:12:00:fe"), IP_A, ip("172.18.0.254"), 1, 2, 64));
        assertClean(allocatedWhile(b, path::cycle), "flooded");
        a.replay(ping(MemoryPacketPath.macFor(IP_A), MemoryPacketPath.macFor(GW_A), IP_A, GW_A, 1, 1, new byte[56]));
        assertClean(allocatedWhile(a, path::cycle), "answered by the gateway");
    }

    @Test
    void routingBetweenNetworksAndToTheOutsideAllocatesNothing()
    {
        // c reaches a's published port by hairpin: DNAT, routing into a's network, masquerade to a's gateway
        c.replay(udpFrame(MemoryPacketPath.macFor(IP_C), MemoryPacketPath.macFor(GW_C), IP_C, UPLINK_IP, 5000, 12212, 64));
        assertClean(allocatedWhile(a, path::cycle), "routed between networks");
        c.replay(null);
        a.replay(udpFrame(MemoryPacketPath.macFor(IP_A), MemoryPacketPath.macFor(GW_A), IP_A, OUTSIDE, 40000, 53, 64));
        assertClean(allocatedWhile(uplink, path::cycle), "masqueraded to the outside");
    }

    @Test
    void aPublishedPortAllocatesNothing()
    {
        uplink.replay(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50000, 12211, 0x02, new byte[0]));
        path.cycle();
        a.replay(tcpFrame(MemoryPacketPath.macFor(IP_A), MemoryPacketPath.macFor(GW_A), IP_A, OUTSIDE, 8080, 50000, 0x12, new byte[0]));
        path.cycle();
        uplink.replay(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50000, 12211, 0x10, new byte[10]));
        a.replay(null);
        assertClean(allocatedWhile(a, path::cycle), "translated in from a published port");
    }

    /**
     * A 3000-byte UDP datagram from the outside in two fragments, reassembled, de-masqueraded... here: to a's
     * published port, so DNAT-translated, routed, and cut again for a's port of MTU 1400; and one from a out to a
     * 1000-byte uplink, fragmented after SNAT. Neither allocates.
     */
    @Test
    void reassemblyAndFragmentationAllocateNothing()
    {
        path.mtu(a.id(), 1400).mtu(uplink.id(), 1000);
        final byte[] whole = udpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50000, 12212, 14 + 3000);
        whole[14 + 6] = 0; // no DF, as a kernel's fragments have none
        final byte[] first = Arrays.copyOf(whole, 14 + 20 + 1480);
        final byte[] second = new byte[14 + 20 + (whole.length - first.length)];
        System.arraycopy(whole, 0, second, 0, 34);
        System.arraycopy(whole, first.length, second, 34, whole.length - first.length);
        setFragment(first, 1500, 0x2000);
        setFragment(second, second.length - 14, 1480 / 8);
        assertClean(allocatedWhile(a, () ->
        {
            uplink.inject(first);
            uplink.inject(second);
            path.cycle();
        }), "reassembled, translated and fragmented again");
        assertEquals(0, path.inReassembly());

        final byte[] out = udpFrame(MemoryPacketPath.macFor(IP_A), MemoryPacketPath.macFor(GW_A), IP_A, OUTSIDE, 40000, 53, 14 + 3000);
        out[14 + 6] = 0;
        a.replay(out);
        assertClean(allocatedWhile(uplink, path::cycle), "masqueraded and fragmented for the uplink");
    }

    /** Sets total length and flags/offset; the IPv4 checksum is not checked by the path, but fixed anyway. */
    private static void setFragment(final byte[] frame, final int totalLength, final int flagsOffset)
    {
        frame[16] = (byte)(totalLength >>> 8);
        frame[17] = (byte)totalLength;
        frame[20] = (byte)(flagsOffset >>> 8);
        frame[21] = (byte)flagsOffset;
        frame[24] = 0;
        frame[25] = 0;
        final int sum = Frames.checksum(frame, 14, 20, 0);
        frame[24] = (byte)(sum >>> 8);
        frame[25] = (byte)sum;
    }

    /**
     * ARP replies from ever new LAN hosts: the neighbour table learns up to its bound, then refuses (and ages),
     * and learning allocates nothing either way.
     */
    @Test
    void learningNeighboursAllocatesNothingAndIsBounded()
    {
        final int limit = path.router().learnedNeighbors().limit();
        final byte[][] arps = new byte[250][];
        for (int n = 0; n < arps.length; n++)
        {
            arps[n] = lanArp(ip("10.99.0.0") + 2 + n); // hosts of the /24, over and over
        }
        final byte[] echo = ping(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 1, 1, new byte[8]);
        final int[] host = {0};
        final Runnable cycle = () ->
        {
            uplink.inject(arps[host[0]++ % arps.length]);
            uplink.inject(echo); // answered: something sent for the loop to count
            path.cycle();
        };
        final long bytes = allocatedWhile(uplink, cycle);
        assertTrue(bytes < BUDGET_BYTES, bytes + " bytes allocated while learning neighbours");
        assertTrue(path.router().learnedNeighbors().size() <= limit);

        // a LAN of more hosts than the table holds: it stays at its bound and counts what it refused
        final MemoryPacketPath small = new MemoryPacketPath(256,
            new DataplaneOptions(1024, new Timeouts(), 0, 100), SystemEpochClock.INSTANCE);
        final MemoryPort lan = new MemoryPort(1, "lan");
        lan.keepTransmitted(false);
        small.uplink(lan, ip("10.0.0.1"), 8, UPLINK_MAC, 0);
        for (int n = 0; n < 1000; n++)
        {
            lan.inject(arpReply(mac("00:11:00:00:00:00") + n, ip("10.1.0.0") + n, UPLINK_MAC, ip("10.0.0.1")));
            small.cycle();
        }
        assertEquals(100, small.router().learnedNeighbors().size(), "bounded");
        assertEquals(900, small.router().learnedNeighbors().refused());
        assertEquals(small.pool().capacity(), small.pool().available());
    }

    private static byte[] lanArp(final int address)
    {
        return arpReply(mac("00:11:22:00:00:00") + (address & 0xFF), address, UPLINK_MAC, UPLINK_IP);
    }
}
