package io.berth.dataplane.graph;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;

import java.util.ArrayList;
import java.util.List;

/** Nodes and helpers for graph tests. */
final class TestNodes
{
    private TestNodes()
    {
    }

    /** Puts a copy of {@code frame} in a fresh packet from {@code inPort}. */
    static int load(final PacketPool pool, final byte[] frame, final int inPort)
    {
        final int handle = pool.allocate();
        if (handle == PacketPool.NO_PACKET)
        {
            throw new IllegalStateException("pool dry");
        }
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        pool.inPort(handle, inPort);
        return handle;
    }

    /** Passes every packet to one later node, logging each batch. */
    static final class Forward extends Node
    {
        final Arc next = declareArc("next");
        final List<String> log;
        final List<Integer> batchSizes = new ArrayList<>();

        Forward(final String name, final List<String> log)
        {
            super(name);
            this.log = log;
        }

        @Override
        protected void process(final PacketBatch batch)
        {
            log.add(name() + ":" + batch.count());
            batchSizes.add(batch.count());
            for (int i = 0; i < batch.count(); i++)
            {
                graph.enqueue(next, batch.get(i));
            }
        }
    }

    /** Records the handles and frames it sees, then releases the packets. */
    static final class Sink extends Node
    {
        final List<String> log;
        final List<Integer> handles = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        final List<Integer> batchSizes = new ArrayList<>();

        Sink(final String name, final List<String> log)
        {
            super(name);
            this.log = log;
        }

        @Override
        protected void process(final PacketBatch batch)
        {
            log.add(name() + ":" + batch.count());
            batchSizes.add(batch.count());
            final PacketPool pool = graph.pool();
            for (int i = 0; i < batch.count(); i++)
            {
                final int handle = batch.get(i);
                handles.add(handle);
                final byte[] frame = new byte[pool.frameLength(handle)];
                pool.buffer().getBytes(pool.frameOffset(handle), frame);
                frames.add(frame);
                graph.transmitted(handle);
            }
        }
    }
}
