package io.berth.l3.frag;

import io.berth.dataplane.CounterSet;

/** One counter per {@link FragmentCounter}; written by the worker thread, read by anyone. */
public final class FragmentCounters extends CounterSet
{
    public FragmentCounters()
    {
        super(FragmentCounter.values().length);
    }

    /** Worker thread only. */
    public void count(final FragmentCounter counter)
    {
        increment(counter.ordinal());
    }

    /** A datagram cut into {@code pieces} fragments. Worker thread only. */
    public void fragmented(final int pieces)
    {
        count(FragmentCounter.FRAGMENTED);
        add(FragmentCounter.FRAGMENTS_CREATED, pieces);
    }

    public void add(final FragmentCounter counter, final long delta)
    {
        add(counter.ordinal(), delta);
    }

    public long get(final FragmentCounter counter)
    {
        return get(counter.ordinal());
    }
}
