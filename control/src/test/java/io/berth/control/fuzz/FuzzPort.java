package io.berth.control.fuzz;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortBase;
import io.berth.dataplane.PortCounters;

/**
 * A port that receives fuzzed frames (as many as it is given budget for) and counts what it is sent, like a
 * device would. Allocation-free; owned by the thread that drives the graph.
 */
public final class FuzzPort extends PortBase
{
    private final boolean offloads;
    private final FrameMutator mutator;
    private long budget;
    private long received;

    public FuzzPort(final int id, final String name, final boolean offloads, final FrameMutator mutator)
    {
        super(id, name);
        this.offloads = offloads;
        this.mutator = mutator;
    }

    /** How many more frames this port will deliver. */
    public void budget(final long frames)
    {
        budget = frames;
    }

    public long received()
    {
        return received;
    }

    @Override
    public int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        int n = 0;
        while (n < limit && budget > 0)
        {
            final int handle = pool.allocate();
            if (handle == PacketPool.NO_PACKET)
            {
                counters.increment(PortCounters.RX_NO_BUFFER);
                break;
            }
            mutator.fill(pool, handle, offloads);
            pool.inPort(handle, id());
            into.add(handle);
            counters.received(pool.frameLength(handle));
            budget--;
            received++;
            n++;
        }
        return n;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        counters.transmitted(pool.frameLength(handle));
        return true;
    }

    @Override
    public boolean offloads()
    {
        return offloads;
    }

    @Override
    public int pollFd()
    {
        return -1;
    }

    @Override
    public void close()
    {
    }
}
