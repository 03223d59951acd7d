package io.berth.dataplane;

import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import io.berth.dataplane.graph.TestGraphs;
import io.berth.dataplane.graph.TxNode;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assertions;

/**
 * The owner worker and one port worker, both run on the test thread one duty cycle after another (the rings
 * behave the same on one thread): frames read on either side reach the other port, flood copies reach the port
 * worker's port, and every slot is accounted for (the owner's free ones plus the ones it lent).
 */
class PortWorkerTest
{
    private static final int OWNERS_PORT = 0;
    private static final int SHARD_PORT = 1;
    private static final int FLOOD_LIST = 0;

    private final PacketPool pool = new PacketPool(256);
    private final PortTable ports = new PortTable();
    private final AtomicBoolean flood = new AtomicBoolean();
    private final Graph graph;
    private final DataplaneWorker owner;
    private final PortWorker portWorker;
    private final MemoryPort ownersPort = new MemoryPort(OWNERS_PORT, "own", true);
    private final MemoryPort shardPort = new MemoryPort(SHARD_PORT, "shard", true);

    PortWorkerTest()
    {
        // sends each packet to the other port (or floods it, while flood is set), like a two-port switch
        final Node swap = new Node("swap")
        {
            private final Arc next = declareArc("next");

            @Override
            protected void process(final PacketBatch batch)
            {
                for (int i = 0; i < batch.count(); i++)
                {
                    final int handle = batch.get(i);
                    graph.pool().egress(handle, flood.get() ? Egress.flood(FLOOD_LIST) :
                        graph.pool().inPort(handle) == OWNERS_PORT ? SHARD_PORT : OWNERS_PORT);
                    graph.enqueue(next, handle);
                }
            }
        };
        graph = TestGraphs.autowire(pool, new DropCounters(), swap, new TxNode(ports));
        owner = new DataplaneWorker("owner", pool, graph, ports, new BusyPoller(), 10, 0);
        portWorker = new PortWorker("ports-1", pool, owner.newShardLink(), new BusyPoller(), 10, 0);
        owner.attachPort(ownersPort);
        owner.attachRemotePort(new RemotePort(shardPort, portWorker.link()));
        portWorker.attach(shardPort);
        ports.floodList(FLOOD_LIST, new int[] {OWNERS_PORT, SHARD_PORT});
    }

    private static byte[] frame(final int n)
    {
        return Frames.udpFrame(0x0200_0000_0001L, 0x0200_0000_0002L, 1, 2, 1000 + n, 2000, 80 + n);
    }

    private void runBoth(final int cycles)
    {
        for (int i = 0; i < cycles; i++)
        {
            owner.doWork();
            portWorker.doWork();
        }
    }

    private void assertEverySlotAccountedFor()
    {
        owner.doWork(); // takes back what the port worker returned last
        assertEquals(pool.capacity(), pool.available() + portWorker.link().lent, "free + lent");
        // what it kept from writes, and lent slots still waiting in the spare ring: twice its share at most
        assertTrue(portWorker.link().lent <= 2 * portWorker.link().share, "lent: " + portWorker.link().lent);
    }

    @Test
    void framesCrossBothWaysInOrderAndEverySlotComesBack()
    {
        for (int n = 0; n < 300; n++)
        {
            shardPort.inject(frame(n));
            ownersPort.inject(frame(n));
        }
        runBoth(50);
        assertEquals(300, ownersPort.transmittedWaiting());
        assertEquals(300, shardPort.transmittedWaiting());
        for (int n = 0; n < 300; n++)
        {
            assertArrayEquals(frame(n), ownersPort.takeTransmitted(), "frame " + n + " read by the port worker");
            assertArrayEquals(frame(n), shardPort.takeTransmitted(), "frame " + n + " written by the port worker");
        }
        assertEquals(300, shardPort.counters().get(PortCounters.RX_PACKETS));
        assertEquals(300, shardPort.counters().get(PortCounters.TX_PACKETS));
        assertEquals(600, graph.totals().get(Graph.TRANSMITTED));
        assertEverySlotAccountedFor();
    }

    @Test
    void floodCopiesReachTheShardsPortAndTheOriginalIsReleased()
    {
        flood.set(true);
        for (int n = 0; n < 100; n++)
        {
            ownersPort.inject(frame(n));
        }
        runBoth(20);
        assertEquals(100, shardPort.transmittedWaiting());
        assertEquals(0, ownersPort.transmittedWaiting(), "not back out of the port it came in on");
        assertArrayEquals(frame(7), skip(shardPort, 7));
        assertEverySlotAccountedFor();
    }

    private static byte[] skip(final MemoryPort port, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            port.takeTransmitted();
        }
        return port.takeTransmitted();
    }

    @Test
    void aDetachedPortsPacketsStillGiveTheirSlotsBack()
    {
        for (int n = 0; n < 50; n++)
        {
            ownersPort.inject(frame(n));
        }
        owner.doWork(); // lends, reads and hands 50 packets over
        portWorker.detach(shardPort);
        runBoth(10);
        assertEquals(0, shardPort.transmittedWaiting());
        assertEverySlotAccountedFor();
    }

    @Test
    void aPortWorkerWithoutSlotsReadsNothingAndLosesNothing()
    {
        final PacketPool tiny = new PacketPool(4);
        final DataplaneWorker dryOwner = new DataplaneWorker("dry", tiny, TestGraphs.autowire(tiny, new DropCounters(),
            new TxNode(new PortTable())), new PortTable(), new BusyPoller(), 10, 0);
        final PortWorker starved = new PortWorker("starved", tiny, dryOwner.newShardLink(), new BusyPoller(), 10, 0);
        final MemoryPort port = new MemoryPort(3, "p", true);
        starved.attach(port);
        port.inject(frame(1));
        starved.doWork(); // nothing lent yet: the frame waits in its port
        assertEquals(0, port.counters().get(PortCounters.RX_PACKETS));
        assertFalse(starved.link().received.size() > 0);
    }

    @Test
    void theHandOverAllocatesNothingPerPacket()
    {
        shardPort.replay(frame(1)); // endless frames, transmitted ones only counted: the ports allocate nothing
        ownersPort.replay(frame(2));
        runBoth(20_000); // warm up: the JIT, and every lazily sized array
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long before = threads.getCurrentThreadAllocatedBytes();
        final long sentBefore = shardPort.counters().get(PortCounters.TX_PACKETS);
        runBoth(20_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        final long crossed = shardPort.counters().get(PortCounters.TX_PACKETS) - sentBefore;
        assertTrue(crossed > 100_000, "packets crossed: " + crossed);
        assertTrue(allocated < 1024, allocated + " bytes allocated for " + crossed + " packets handed over");
    }

    @Test
    void handleRingPassesEveryHandleInOrderBetweenTwoThreads() throws Exception
    {
        final HandleRing ring = new HandleRing(64);
        final int total = 2_000_000;
        final AtomicInteger wrong = new AtomicInteger(-1);
        final Thread consumer = new Thread(() ->
        {
            int expected = 0;
            while (expected < total)
            {
                final int handle = ring.poll();
                if (handle == PacketPool.NO_PACKET)
                {
                    Thread.onSpinWait();
                    continue;
                }
                if (handle != expected % 1000 && wrong.get() < 0)
                {
                    wrong.set(expected);
                }
                expected++;
            }
        });
        consumer.start();
        for (int i = 0; i < total; )
        {
            if (ring.offer(i % 1000))
            {
                i++;
            }
            else
            {
                Thread.onSpinWait();
            }
        }
        consumer.join(30_000);
        assertFalse(consumer.isAlive());
        assertEquals(-1, wrong.get(), "first handle out of order");
        assertEquals(PacketPool.NO_PACKET, ring.poll());
    }

    @Test
    void handleRingRefusesWhenFullAndSizesArePowersOfTwo()
    {
        final HandleRing ring = new HandleRing(4);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(ring.offer(i));
        }
        assertFalse(ring.offer(9));
        assertEquals(4, ring.size());
        assertEquals(0, ring.poll());
        assertTrue(ring.offer(9));
        assertThrowsIllegal(() -> new HandleRing(3));
        assertThrowsIllegal(() -> new HandleRing(1));
        final ShardLink link = new ShardLink(1024, 128, new AtomicBoolean(), () -> { });
        assertEquals(1024, link.spare.capacity(), "a ring holds the whole pool");
    }

    private static void assertThrowsIllegal(final Runnable r)
    {
        Assertions.assertThrows(IllegalArgumentException.class, r::run);
    }
}
