package io.berth.l2;

import io.berth.dataplane.Housekeeping;

/**
 * Ages the MAC table a slice at a time: one sweep over the table per second at most, {@value #SLOTS_PER_SLICE}
 * slots per duty cycle. Worker thread.
 */
public final class MacAging implements Housekeeping
{
    static final int SLOTS_PER_SLICE = 256;

    private final L2Switch l2;
    private long sweepDueMillis;
    private int sweptThisRound;

    public MacAging(final L2Switch l2)
    {
        this.l2 = l2;
    }

    @Override
    public int doWork(final long nowMillis)
    {
        if (nowMillis < sweepDueMillis)
        {
            return 0;
        }
        final MacTable macs = l2.macs();
        final int before = macs.agingPosition();
        macs.age((int)(nowMillis / 1000), l2.macAgeSeconds(), SLOTS_PER_SLICE);
        // progress is how far the cursor moved, not how many slots were looked at: a removal makes the cursor
        // look at the same slot again, and counting that would end the round before it covered the table
        sweptThisRound += (macs.agingPosition() - before) & (macs.capacity() - 1);
        if (sweptThisRound >= macs.capacity())
        {
            sweptThisRound = 0;
            sweepDueMillis = nowMillis + 1000;
        }
        return 0; // aging is background: it never keeps the worker from idling
    }
}
