package io.berth.dataplane.graph;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class GraphTest
{
    private final PacketPool pool = new PacketPool(600);
    private final DropCounters drops = new DropCounters();
    private final Graph graph = new Graph(pool, drops);
    private final List<String> log = new ArrayList<>();

    @Test
    void nodesGetIndexesInOrderAndRunInOrder()
    {
        // a -> c directly and a -> b -> c: c must run once, after b, with everything
        final Node a = new Node("a")
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                log.add("a:" + batch.count());
                for (int i = 0; i < batch.count(); i++)
                {
                    graph.enqueue(i % 2 == 0 ? 1 : 2, batch.get(i));
                }
            }
        };
        final TestNodes.Forward b = new TestNodes.Forward("b", 2, log);
        final TestNodes.Sink c = new TestNodes.Sink("c", log);
        assertEquals(0, graph.add(a));
        assertEquals(1, graph.add(b));
        assertEquals(2, graph.add(c));
        assertEquals(3, graph.nodeCount());
        assertSame(b, graph.node(1));
        assertEquals(2, c.index());
        assertSame(pool, graph.pool());
        assertSame(drops, graph.drops());

        for (int i = 0; i < 10; i++)
        {
            graph.inject(pool.allocate());
        }
        assertEquals(10, graph.entry().count());
        graph.run();
        assertEquals(List.of("a:10", "b:5", "c:10"), log);
        assertEquals(0, graph.entry().count());
        assertEquals(pool.capacity(), pool.available());
        // odd handles went straight to c, even ones through b: c saw the direct ones first
        assertEquals(List.of(1, 3, 5, 7, 9, 0, 2, 4, 6, 8), c.handles);

        log.clear();
        graph.run();
        assertEquals(List.of(), log, "nothing pending: no node runs");
    }

    @Test
    void aFullInputRunsItsNodeAtOnce()
    {
        final TestNodes.Forward first = new TestNodes.Forward("first", 1, log);
        final TestNodes.Sink sink = new TestNodes.Sink("sink", log);
        graph.add(first);
        graph.add(sink);
        final int total = 2 * PacketBatch.DEFAULT_CAPACITY + 44;
        for (int i = 0; i < total; i++)
        {
            final int handle = pool.allocate();
            pool.buffer().putInt(pool.frameOffset(handle), i);
            pool.frameLength(handle, 4);
            graph.inject(handle);
            // the entry batch never holds more than it can
            assertEquals((i + 1) % PacketBatch.DEFAULT_CAPACITY, graph.entry().count());
        }
        // each time the entry filled, "first" ran and filled "sink", which ran inside it
        assertEquals(List.of("first:256", "sink:256", "first:256", "sink:256"), log);
        graph.run();
        assertEquals(List.of("first:256", "sink:256", "first:256", "sink:256", "first:44", "sink:44"), log);
        assertEquals(total, sink.handles.size());
        for (int i = 0; i < total; i++)
        {
            assertEquals(i, java.nio.ByteBuffer.wrap(sink.frames.get(i)).order(java.nio.ByteOrder.nativeOrder()).getInt(),
                "packets keep their order");
        }
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void dropCountsTheReasonAndReleases()
    {
        graph.add(new Node("dropper")
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                for (int i = 0; i < batch.count(); i++)
                {
                    graph.drop(batch.get(i), i == 0 ? DropReason.NO_ROUTE : DropReason.NO_EGRESS);
                }
            }
        });
        graph.inject(pool.allocate());
        graph.inject(pool.allocate());
        graph.inject(pool.allocate());
        graph.run();
        assertEquals(1, drops.get(DropReason.NO_ROUTE));
        assertEquals(2, drops.get(DropReason.NO_EGRESS));
        assertEquals(pool.capacity(), pool.available());
    }
}
