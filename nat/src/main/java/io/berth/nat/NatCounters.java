package io.berth.nat;

import io.berth.dataplane.CounterSet;

/** One counter per {@link NatCounter}; written by the worker thread, read by anyone. */
public final class NatCounters extends CounterSet
{
    public NatCounters()
    {
        super(NatCounter.values().length);
    }

    /** Worker thread only. */
    public void count(final NatCounter counter)
    {
        increment(counter.ordinal());
    }

    public long get(final NatCounter counter)
    {
        return get(counter.ordinal());
    }
}
