package io.berth.dataplane.graph;

import io.berth.dataplane.PacketBatch;

/**
 * One stage of the packet path. The graph hands it a batch; for every packet it decides where the packet goes
 * next: {@link Graph#enqueue(int, int)} to a later node, {@link Graph#drop} with a reason, or it consumes it.
 * Owned by the worker thread that owns its graph.
 */
public abstract class Node
{
    private final String name;
    final PacketBatch input = new PacketBatch();
    protected Graph graph;
    int index = -1;

    protected Node(final String name)
    {
        this.name = name;
    }

    public final String name()
    {
        return name;
    }

    /** Position in the graph; later nodes have higher indexes. */
    public final int index()
    {
        return index;
    }

    void attach(final Graph graph, final int index)
    {
        this.graph = graph;
        this.index = index;
    }

    /** Handles every packet of {@code batch}; the batch is cleared by the graph afterwards. */
    protected abstract void process(PacketBatch batch);
}
