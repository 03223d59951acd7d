package io.berth.dataplane;

/**
 * What every port has and says the same way: its id, its name and its counters. A port that is never read itself
 * (a tunnel, a LAN network's port on its parent: frames reach it through another port) extends {@link SendOnly}.
 * Owned by the worker that owns the port; the counters are read by any thread.
 */
public abstract class PortBase implements Port
{
    private final int id;
    private final String name;
    protected final PortCounters counters = new PortCounters();

    protected PortBase(final int id, final String name)
    {
        this.id = id;
        this.name = name;
    }

    @Override
    public final int id()
    {
        return id;
    }

    @Override
    public final String name()
    {
        return name;
    }

    @Override
    public final PortCounters counters()
    {
        return counters;
    }

    /** A port the poller never reads: nothing to receive, no descriptor. */
    public abstract static class SendOnly extends PortBase
    {
        protected SendOnly(final int id, final String name)
        {
            super(id, name);
        }

        @Override
        public final int receive(final PacketPool pool, final PacketBatch into, final int limit)
        {
            return 0;
        }

        @Override
        public final int pollFd()
        {
            return -1;
        }
    }
}
