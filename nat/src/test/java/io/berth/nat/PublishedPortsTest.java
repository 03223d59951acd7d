package io.berth.nat;

import org.junit.jupiter.api.Test;

import static io.berth.conntrack.TestPackets.ip;
import static io.berth.dataplane.flyweight.Ipv4Flyweight.PROTO_TCP;
import static io.berth.dataplane.flyweight.Ipv4Flyweight.PROTO_UDP;
import static io.berth.nat.PublishedPorts.ANY_ADDRESS;
import static io.berth.nat.PublishedPorts.NONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.lang.management.ManagementFactory;

class PublishedPortsTest
{
    static final int U = ip("192.168.1.10");
    static final int LO = ip("127.0.0.1");
    static final int C = ip("172.17.0.2");

    final PublishedPorts ports = new PublishedPorts();

    @Test
    void exactThenWildcard()
    {
        assertTrue(ports.publish(ANY_ADDRESS, PROTO_TCP, 80, C, 8080));
        assertTrue(ports.publish(LO, PROTO_TCP, 81, C, 9090));
        assertEquals(C, PublishedPorts.targetAddress(ports.lookup(U, PROTO_TCP, 80)));
        assertEquals(8080, PublishedPorts.targetPort(ports.lookup(U, PROTO_TCP, 80)));
        assertEquals(8080, PublishedPorts.targetPort(ports.lookup(LO, PROTO_TCP, 80)));
        assertEquals(9090, PublishedPorts.targetPort(ports.lookup(LO, PROTO_TCP, 81)));
        assertEquals(NONE, ports.lookup(U, PROTO_TCP, 81), "bound to 127.0.0.1 only");
        assertEquals(NONE, ports.lookup(U, PROTO_UDP, 80), "tcp only");
    }

    @Test
    void aHostPortIsPublishedOnceAndRefusalsChangeNothing()
    {
        assertTrue(ports.publish(U, PROTO_TCP, 8080, C, 80));
        assertFalse(ports.publish(U, PROTO_TCP, 8080, C, 81));
        assertFalse(ports.publish(ANY_ADDRESS, PROTO_TCP, 8080, C, 81), "the wildcard would shadow the exact one");
        assertTrue(ports.publish(ANY_ADDRESS, PROTO_UDP, 8080, C, 81), "other protocol");
        assertFalse(ports.publish(LO, PROTO_UDP, 8080, C, 82), "published on every address already");
        assertFalse(ports.publishRange(U, PROTO_TCP, 8078, 8082, C, 1078), "overlaps 8080: all or nothing");
        assertEquals(NONE, ports.lookup(U, PROTO_TCP, 8078));
        assertEquals(2, ports.size());
        assertTrue(ports.unpublish(U, PROTO_TCP, 8080));
        assertTrue(ports.publish(ANY_ADDRESS, PROTO_TCP, 8080, C, 80), "free again");
        assertFalse(ports.unpublish(U, PROTO_TCP, 8080));
        assertThrows(IllegalArgumentException.class, () -> ports.publish(U, PROTO_TCP, 0, C, 80));
        assertThrows(IllegalArgumentException.class, () -> ports.publishRange(U, PROTO_TCP, 65000, 65535, C, 65500));
        assertEquals("tcp 0.0.0.0:8080 -> 172.17.0.2:80",
            PublishedPorts.format(PublishedPorts.key(ANY_ADDRESS, PROTO_TCP, 8080), ports.lookup(U, PROTO_TCP, 8080)));
    }

    @Test
    void rangesMapPortByPort()
    {
        assertTrue(ports.publishRange(U, PROTO_UDP, 5000, 5009, C, 6000));
        for (int i = 0; i < 10; i++)
        {
            assertEquals(6000 + i, PublishedPorts.targetPort(ports.lookup(U, PROTO_UDP, 5000 + i)));
        }
    }

    @Test
    void tenThousandPublishedPortsAreLookedUpWithoutAllocating()
    {
        final PublishedPorts one = new PublishedPorts();
        one.publish(U, PROTO_TCP, 10_000, C, 80);
        for (int i = 0; i < 10_000; i++)
        {
            assertTrue(ports.publish((i & 1) == 0 ? U : ANY_ADDRESS, PROTO_TCP, 10_000 + i, C + (i % 250), 80 + (i % 100)));
        }
        assertEquals(10_000, ports.size());
        for (int i = 0; i < 10_000; i++)
        {
            final long target = ports.lookup(U, PROTO_TCP, 10_000 + i);
            assertEquals(C + (i % 250), PublishedPorts.targetAddress(target));
            assertEquals(80 + (i % 100), PublishedPorts.targetPort(target));
        }

        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int round = 0; round < 20; round++) // warm up both
        {
            sink += lookups(one, 1) + lookups(ports, 10_000);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        sink += lookups(one, 1);
        sink += lookups(ports, 10_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sink != 42);
        assertEquals(0, allocated, "bytes allocated by 2M lookups");
        // how the time stays flat from 1 to 10k ports is a benchmark's question (benchmarks/), not a unit test's
    }

    private static long lookups(final PublishedPorts ports, final int published)
    {
        long sum = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            sum += ports.lookup(U, PROTO_TCP, 10_000 + (i % published) );
        }
        return sum;
    }
}
