package io.berth.l2;

import io.berth.dataplane.Frames;
import io.berth.dataplane.BusyPoller;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Once warm, forwarding allocates nothing: measured with the JVM's per-thread allocation counter. */
class ZeroAllocationTest
{
    private static final int FRAMES = 100_000;
    private static final long BUDGET_BYTES = 4096;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private long allocatedBy(final Runnable work)
    {
        final long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread); // first call may set itself up
        final long before = threads.getThreadAllocatedBytes(thread);
        work.run();
        return threads.getThreadAllocatedBytes(thread) - before;
    }

    private static void cycles(final DataplaneWorker worker, final MemoryPort sink, final long frames)
    {
        final long target = sink.counters().get(PortCounters.TX_PACKETS) + frames;
        while (sink.counters().get(PortCounters.TX_PACKETS) < target)
        {
            worker.doWork();
        }
    }

    private static final class Rig
    {
        final PacketPool pool = new PacketPool(512);
        final L2Pipeline pipeline = new L2Pipeline(pool, new BusyPoller(), 0);
        final DataplaneWorker worker = pipeline.worker();
        final MemoryPort a = new MemoryPort(1, "a");
        final MemoryPort b = new MemoryPort(2, "b");
        final MemoryPort c = new MemoryPort(3, "c");

        Rig(final boolean icc)
        {
            pipeline.l2().addDomain(new BridgeDomain(0, ip("172.17.0.1"), mac("02:42:ac:11:00:01"), icc));
            for (final MemoryPort port : new MemoryPort[] {a, b, c})
            {
                worker.attachPort(port);
                pipeline.l2().addPort(port.id(), 0);
                port.keepTransmitted(false);
            }
        }
    }

    @Test
    void forwardingALearnedUnicastStreamAllocatesNothing()
    {
        final Rig rig = new Rig(true);
        final long macA = mac("02:42:ac:11:00:02");
        final long macB = mac("02:42:ac:11:00:03");
        rig.b.inject(Frames.udpFrame(macB, macA, ip("172.17.0.3"), ip("172.17.0.2"), 2, 1, 64)); // learn B
        rig.worker.doWork();
        rig.a.replay(Frames.udpFrame(macA, macB, ip("172.17.0.2"), ip("172.17.0.3"), 1, 2, 64));

        cycles(rig.worker, rig.b, 300_000); // warm up: let the JIT settle
        final long bytes = allocatedBy(() -> cycles(rig.worker, rig.b, FRAMES));
        assertTrue(bytes < BUDGET_BYTES, bytes + " bytes allocated for " + FRAMES + " frames");
        assertEquals(1, rig.c.counters().get(PortCounters.TX_PACKETS), "unicast: c saw only B's first, flooded frame");
        assertEquals(rig.pool.capacity(), rig.pool.available());
    }

    @Test
    void floodingAndAnsweringPingAllocateNothing()
    {
        final Rig rig = new Rig(true);
        final long macA = mac("02:42:ac:11:00:02");
        rig.a.replay(Frames.udpFrame(macA, mac("02:42:ac:11:00:99"), ip("172.17.0.2"), ip("172.17.0.99"), 1, 2, 64));
        rig.b.replay(Frames.ping(mac("02:42:ac:11:00:03"), mac("02:42:ac:11:00:01"), ip("172.17.0.3"), ip("172.17.0.1"),
            7, 1, new byte[56]));
        cycles(rig.worker, rig.c, 300_000);
        final long bytes = allocatedBy(() -> cycles(rig.worker, rig.c, FRAMES));
        assertTrue(bytes < BUDGET_BYTES, bytes + " bytes allocated for " + FRAMES + " flooded frames and as many pings");
        assertTrue(rig.b.counters().get(PortCounters.TX_PACKETS) > FRAMES, "b got floods and echo replies");
        assertEquals(rig.pool.capacity(), rig.pool.available());
    }
}
