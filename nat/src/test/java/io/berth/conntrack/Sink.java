package io.berth.conntrack;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.graph.Node;

/** The end of a test graph: keeps what reaches it, in order. */
public final class Sink extends Node
{
    private final int[] received = new int[1 << 16];
    private int count;

    public Sink()
    {
        super("sink");
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        for (int i = 0; i < batch.count(); i++)
        {
            received[count++ & 0xFFFF] = batch.get(i);
        }
    }

    public int count()
    {
        return count;
    }

    public int get(final int index)
    {
        return received[index & 0xFFFF];
    }

    public int last()
    {
        return received[(count - 1) & 0xFFFF];
    }

    public void clear()
    {
        count = 0;
    }
}
