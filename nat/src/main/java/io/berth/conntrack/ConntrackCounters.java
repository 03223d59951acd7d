package io.berth.conntrack;

import io.berth.dataplane.CounterSet;

/** One counter per {@link ConntrackCounter}; written by the worker thread, read by anyone. */
public final class ConntrackCounters extends CounterSet
{
    public ConntrackCounters()
    {
        super(ConntrackCounter.values().length);
    }

    /** Worker thread only. */
    public void count(final ConntrackCounter counter)
    {
        increment(counter.ordinal());
    }

    public long get(final ConntrackCounter counter)
    {
        return get(counter.ordinal());
    }
}
