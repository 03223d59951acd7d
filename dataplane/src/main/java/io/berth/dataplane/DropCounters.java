package io.berth.dataplane;

/** One counter per {@link DropReason}; written by the worker, read by anyone. */
public final class DropCounters extends CounterSet
{
    public DropCounters()
    {
        super(DropReason.capacity());
    }

    public void count(final DropReason reason)
    {
        increment(reason.ordinal());
    }

    public long get(final DropReason reason)
    {
        return get(reason.ordinal());
    }
}
