package io.berth.l2;

import io.berth.dataplane.Housekeeping;

/**
 * Ages the MAC table a slice at a time: one sweep over the table per second at most, at least
 * {@value #SLOTS_PER_SLICE} slots per duty cycle, and more when cycles are far apart: an idle worker comes by only
 * every 100 ms or so, and a slice sized to the time since the last call still finishes a sweep in about a second
 * (a fixed slice would take 25 s for a 65,536-slot table). Worker thread.
 */
public final class MacAging implements Housekeeping
{
    static final int SLOTS_PER_SLICE = 256;

    private final L2Switch l2;
    private long sweepDueMillis;
    private int sweptThisRound;
    private long lastCallMillis;

    public MacAging(final L2Switch l2)
    {
        this.l2 = l2;
    }

    @Override
    public int doWork(final long nowMillis)
    {
        final long sinceLastCall = lastCallMillis == 0 ? 0 : Math.max(0, nowMillis - lastCallMillis);
        lastCallMillis = nowMillis;
        if (nowMillis < sweepDueMillis)
        {
            return 0;
        }
        final MacTable macs = l2.macs();
        final int before = macs.agingPosition();
        final int slice = (int)Math.min(macs.capacity(),
            Math.max(SLOTS_PER_SLICE, macs.capacity() * sinceLastCall / 1000));
        macs.age((int)(nowMillis / 1000), l2.macAgeSeconds(), slice);
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
