package io.berth.l3;

import io.berth.dataplane.PortCounters;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static io.berth.l3.RouterRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Once warm, routing between networks allocates nothing: the JVM's per-thread allocation counter says so. */
class RoutingZeroAllocationTest
{
    private static final int PACKETS = 100_000;
    private static final long BUDGET_BYTES = 4096;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private static void route(final RouterRig rig, final long packets)
    {
        final long target = rig.b.counters().get(PortCounters.TX_PACKETS) + packets;
        while (rig.b.counters().get(PortCounters.TX_PACKETS) < target)
        {
            rig.a.receive(rig.pool, rig.graph.entry(), 64);
            rig.graph.run();
        }
    }

    @Test
    void routingIntoAnotherNetworkAllocatesNothing()
    {
        final RouterRig rig = new RouterRig();
        rig.permitted = true;
        rig.b.keepTransmitted(false);
        rig.a.replay(Packets.udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, 64, 64));
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        route(rig, 300_000); // warm up: let the JIT settle

        final long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread);
        final long before = threads.getThreadAllocatedBytes(thread);
        route(rig, PACKETS);
        final long bytes = threads.getThreadAllocatedBytes(thread) - before;

        assertTrue(bytes < BUDGET_BYTES, bytes + " bytes allocated for " + PACKETS + " routed packets");
        assertEquals(0, rig.totalDrops());
        assertEquals(rig.pool.capacity(), rig.pool.available());
        assertTrue(rig.permitAsked >= 400_000);
    }
}
