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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.berth.dataplane.Frames;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

class GraphTest
{
    private final PacketPool pool = new PacketPool(600);
    private final DropCounters drops = new DropCounters();
    private final List<String> log = new ArrayList<>();

    /** Sends even packets along "even", odd ones along "odd". */
    private final class Splitter extends Node
    {
        final Arc even = declareArc("even");
        final Arc odd = declareArc("odd");

        Splitter(final String name)
        {
            super(name);
        }

        @Override
        protected void process(final PacketBatch batch)
        {
            log.add(name() + ":" + batch.count());
            for (int i = 0; i < batch.count(); i++)
            {
                graph.enqueue(i % 2 == 0 ? even : odd, batch.get(i));
            }
        }
    }

    @Test
    void nodesAreOrderedByTheirArcsAndRunInOrder()
    {
        // a -> c directly and a -> b -> c: c must run once, after b, with everything; c is registered before b
        final TestNodes.Sink c = new TestNodes.Sink("c", log);
        final TestNodes.Forward b = new TestNodes.Forward("b", log);
        final Graph graph = new GraphBuilder().add(new Splitter("a")).add(c).add(b)
            .connect("a", "even", "b").connect("a", "odd", "c").connect("b", "next", "c")
            .build(pool, drops);
        assertEquals(3, graph.nodeCount());
        assertSame(b, graph.node(1), "b leads to c, so it runs before c whatever the registration order");
        assertSame(c, graph.node("c"));
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
        assertEquals(pool.capacity(), pool.available());
        assertEquals(List.of(1, 3, 5, 7, 9, 0, 2, 4, 6, 8), c.handles);
        assertEquals(10, graph.totals().get(Graph.RECEIVED));
        assertEquals(10, graph.totals().get(Graph.TRANSMITTED));
        assertEquals(10, graph.packets(c));
        assertEquals(5, graph.packets(b));

        log.clear();
        graph.run();
        assertEquals(List.of(), log, "nothing pending: no node runs");
    }

    @Test
    void anArcThatGoesBackwardsIsRefused()
    {
        final GraphBuilder builder = new GraphBuilder()
            .add(new TestNodes.Forward("first", log)).add(new TestNodes.Forward("second", log))
            .add(new TestNodes.Sink("sink", log))
            .connect("first", "next", "second");
        final IllegalArgumentException cycle = assertThrows(IllegalArgumentException.class,
            () -> builder.connect("second", "next", "first"));
        assertTrue(cycle.getMessage().contains("backwards"), cycle.getMessage());
        final IllegalArgumentException self = assertThrows(IllegalArgumentException.class,
            () -> builder.connect("second", "next", "second"));
        assertTrue(self.getMessage().contains("backwards"), self.getMessage());
        builder.connect("second", "next", "sink");
        assertThrows(IllegalArgumentException.class, () -> builder.connect("nosuch", "next", "sink"));
        final IllegalArgumentException noArc = assertThrows(IllegalArgumentException.class,
            () -> builder.connect("first", "other", "sink"));
        assertTrue(noArc.getMessage().contains("[next]"), noArc.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.add(new TestNodes.Sink("sink", log)));
    }

    @Test
    void aRequiredArcLeftUnconnectedIsRefused()
    {
        final GraphBuilder builder = new GraphBuilder().add(new TestNodes.Forward("lonely", log));
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> builder.build(pool, drops));
        assertTrue(e.getMessage().contains("lonely.next"), e.getMessage());
    }

    @Test
    void spliceInsertsANodeIntoAnArc()
    {
        final TestNodes.Sink sink = new TestNodes.Sink("sink", log);
        final Graph graph = new GraphBuilder().add(new TestNodes.Forward("parse", log)).add(sink)
            .connect("parse", "next", "sink")
            .splice("parse", "next", new TestNodes.Forward("decap", log), "next")
            .build(pool, drops);
        assertEquals("decap", graph.node(1).name());
        graph.inject(pool.allocate());
        graph.run();
        assertEquals(List.of("parse:1", "decap:1", "sink:1"), log);
    }

    @Test
    void aFullInputRunsItsNodeAtOnce()
    {
        final TestNodes.Sink sink = new TestNodes.Sink("sink", log);
        final Graph graph = TestGraphs.autowire(pool, drops, new TestNodes.Forward("first", log), sink);
        final int total = 2 * PacketBatch.DEFAULT_CAPACITY + 44;
        for (int i = 0; i < total; i++)
        {
            final int handle = pool.allocate();
            pool.buffer().putInt(pool.frameOffset(handle), i);
            pool.frameLength(handle, 4);
            graph.inject(handle);
            assertEquals((i + 1) % PacketBatch.DEFAULT_CAPACITY, graph.entry().count());
        }
        assertEquals(List.of("first:256", "sink:256", "first:256", "sink:256"), log);
        graph.run();
        assertEquals(List.of("first:256", "sink:256", "first:256", "sink:256", "first:44", "sink:44"), log);
        assertEquals(total, sink.handles.size());
        for (int i = 0; i < total; i++)
        {
            assertEquals(i, ByteBuffer.wrap(sink.frames.get(i)).order(ByteOrder.nativeOrder()).getInt(),
                "packets keep their order");
        }
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void dropCountsTheReasonForTheNodeAndReleases()
    {
        final Node dropper = new Node("dropper", DropReason.NO_ROUTE, DropReason.NO_EGRESS)
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                for (int i = 0; i < batch.count(); i++)
                {
                    graph.drop(batch.get(i), i == 0 ? DropReason.NO_ROUTE : DropReason.NO_EGRESS);
                }
            }
        };
        final Graph graph = TestGraphs.autowire(pool, drops, dropper);
        graph.inject(pool.allocate());
        graph.inject(pool.allocate());
        graph.inject(pool.allocate());
        graph.run();
        assertEquals(1, drops.get(DropReason.NO_ROUTE));
        assertEquals(2, drops.get(DropReason.NO_EGRESS));
        assertEquals(2, graph.drops(dropper, DropReason.NO_EGRESS));
        assertEquals(3, graph.totals().get(Graph.DROPPED));
        assertEquals(pool.capacity(), pool.available());
    }

    /**
     * A node that throws half-way through a batch: the packets it already passed on go on, those it still held
     * are released and counted as node_exception, and the next batch runs as usual.
     */
    @Test
    void aNodeThatThrowsLosesNeitherTheBatchNorThePool()
    {
        final TestNodes.Sink sink = new TestNodes.Sink("sink", log);
        final int[] calls = {0};
        final Node faulty = new Node("faulty")
        {
            final Arc next = declareArc("next");

            @Override
            protected void process(final PacketBatch batch)
            {
                calls[0]++;
                for (int i = 0; i < batch.count(); i++)
                {
                    if (calls[0] == 1 && i == 3)
                    {
                        throw new IllegalStateException("a bug in faulty");
                    }
                    graph.enqueue(next, batch.get(i));
                }
            }
        };
        final Graph graph = TestGraphs.autowire(pool, drops, faulty, sink);
        for (int i = 0; i < 10; i++)
        {
            graph.inject(pool.allocate());
        }
        graph.run();
        assertEquals(3, sink.handles.size(), "what went on before the throw arrives");
        assertEquals(7, drops.get(DropReason.NODE_EXCEPTION));
        assertEquals(1, graph.exceptions(faulty));
        assertEquals(pool.capacity(), pool.available(), "nothing leaked");

        for (int i = 0; i < 4; i++)
        {
            graph.inject(pool.allocate());
        }
        graph.run();
        assertEquals(7, sink.handles.size(), "the worker goes on with the next batch");
        assertEquals(pool.capacity(), pool.available());
        assertEquals(14, graph.totals().get(Graph.RECEIVED));
        assertEquals(graph.totals().get(Graph.RECEIVED),
            graph.totals().get(Graph.TRANSMITTED) + graph.totals().get(Graph.DROPPED));
    }

    @Test
    void aDoubleReleaseIsDetected()
    {
        final int handle = pool.allocate();
        pool.release(handle);
        assertThrows(IllegalStateException.class, () -> pool.release(handle), "strict under tests (-ea)");
        assertEquals(1, pool.counters().get(PacketPool.DOUBLE_RELEASES));
        assertEquals(pool.capacity(), pool.available(), "the free stack holds the slot once");
        final int a = pool.allocate();
        final int b = pool.allocate();
        assertTrue(a != b, "one slot is never handed out twice");
    }

    @Test
    void aDoubleReleaseInsideANodeIsContained()
    {
        final Node releasesTwice = new Node("twice")
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                for (int i = 0; i < batch.count(); i++)
                {
                    graph.pool().release(batch.get(i));
                    graph.pool().release(batch.get(i));
                }
            }
        };
        final Graph graph = TestGraphs.autowire(pool, drops, releasesTwice);
        graph.inject(pool.allocate());
        graph.inject(pool.allocate());
        graph.run();
        assertEquals(1, graph.exceptions(releasesTwice));
        assertEquals(pool.capacity(), pool.available());
        assertEquals(1, pool.counters().get(PacketPool.DOUBLE_RELEASES));
    }

    @Test
    void localDeliveryHandsRegisteredTrafficToItsHandler()
    {
        final TestNodes.Sink rest = new TestNodes.Sink("rest", log);
        final TestNodes.Sink tx = new TestNodes.Sink("tx", log);
        final LocalDeliveryNode local = new LocalDeliveryNode();
        final Graph graph = TestGraphs.autowire(pool, drops, local, rest, tx);
        final int gateway = Ipv4Flyweight.parse("172.18.0.1");
        final List<Integer> seen = new ArrayList<>();
        assertTrue(local.register(gateway, 17, 53, (p, h) ->
        {
            seen.add(h);
            return seen.size() == 1 ? LocalDeliveryNode.Outcome.ANSWERED : LocalDeliveryNode.Outcome.CONSUMED;
        }));
        assertTrue(!local.register(gateway, 17, 53, (p, h) -> LocalDeliveryNode.Outcome.DECLINED), "taken");
        final byte[] dns = Frames.udpFrame(0x0242_ac12_0002L, 0x0242_ac12_0001L,
            Ipv4Flyweight.parse("172.18.0.2"), gateway, 40000, 53, 60);
        final byte[] other = Frames.udpFrame(0x0242_ac12_0002L, 0x0242_ac12_0001L,
            Ipv4Flyweight.parse("172.18.0.2"), gateway, 40000, 54, 60);
        graph.inject(TestNodes.load(pool, dns, 0));
        graph.inject(TestNodes.load(pool, dns, 0));
        graph.inject(TestNodes.load(pool, other, 0));
        graph.run();
        assertEquals(2, seen.size());
        assertEquals(1, tx.handles.size(), "the answer leaves by tx");
        assertEquals(1, rest.handles.size(), "port 54 is nobody's: it goes on");
        assertEquals(1, graph.totals().get(Graph.DELIVERED));
        assertEquals(pool.capacity(), pool.available());
        local.unregister(gateway, 17, 53);
        assertEquals(0, local.registered());
    }
}
