package io.berth.conntrack;

import java.util.Arrays;

/**
 * The connection table's expiry: a hashed timer wheel whose buckets are intrusive doubly linked lists threaded
 * through int arrays indexed by entry. The packet path only writes an entry's deadline; the wheel keeps it filed
 * under an older, earlier tick and, when that tick comes round, either expires it or files it again under its
 * real deadline (the lazy re-arm of VPP and OVS). A deadline moved earlier is re-filed at once
 * ({@link #deadlineSet}). {@link #advance} examines a bounded number of entries per call. Owned by the
 * {@link ConnectionTable}'s worker thread; allocation-free after construction.
 */
final class ExpiryWheel
{
    /** Told of an entry whose deadline has passed; it must {@link #unschedule} it (by removing the entry). */
    @FunctionalInterface
    interface Expiry
    {
        void expire(int entry, long nowMillis);
    }

    private static final int NONE = -1;
    private static final int CURSOR_HEAD = -2;
    private static final long UNSET = Long.MIN_VALUE;

    private final long tickMillis;
    private final int wheelMask;
    /** The table's deadlines by entry (shared, read here). */
    private final long[] expiry;
    private final int[] bucketHead;
    private final int[] timerNext;
    private final int[] timerPrev;
    private final long[] timerTick;
    private long currentTick = UNSET;
    private int cursor = CURSOR_HEAD;

    /** @param expiry the table's deadline array, which the wheel reads and the table writes. */
    ExpiryWheel(final int capacity, final long tickMillis, final int wheelSize, final long[] expiry)
    {
        this.tickMillis = tickMillis;
        this.wheelMask = wheelSize - 1;
        this.expiry = expiry;
        bucketHead = new int[wheelSize];
        Arrays.fill(bucketHead, NONE);
        timerNext = new int[capacity];
        timerPrev = new int[capacity];
        timerTick = new long[capacity];
    }

    /** Files a new entry under its deadline; the first one starts the wheel's clock. */
    void schedule(final int e, final long nowMillis)
    {
        if (currentTick == UNSET)
        {
            currentTick = nowMillis / tickMillis;
        }
        file(e);
    }

    /** After the table set a new deadline: cheap when it moved later, re-filed at once when it moved earlier. */
    void deadlineSet(final int e)
    {
        if (expiry[e] / tickMillis < timerTick[e])
        {
            unschedule(e);
            file(e);
        }
    }

    /**
     * Advances to {@code nowMillis}, examining at most {@code budget} entries: each one due goes to {@code due},
     * each one whose deadline moved later is filed again. Returns the entries examined.
     */
    int advance(final long nowMillis, final int budget, final Expiry due)
    {
        final long nowTick = nowMillis / tickMillis;
        if (currentTick == UNSET)
        {
            currentTick = nowTick;
            return 0;
        }
        if (nowTick - currentTick > wheelMask + 1)
        {
            currentTick = nowTick - (wheelMask + 1); // one revolution visits every bucket: skip the rest
            cursor = CURSOR_HEAD;
        }
        int left = budget;
        int work = 0;
        while (currentTick < nowTick && left > 0)
        {
            int e = cursor == CURSOR_HEAD ? bucketHead[(int)(currentTick & wheelMask)] : cursor;
            while (e != NONE && left > 0)
            {
                left--;
                work++;
                final int next = timerNext[e];
                cursor = next;
                if (expiry[e] <= nowMillis)
                {
                    due.expire(e, nowMillis); // unschedules it
                }
                else
                {
                    unschedule(e); // re-filed at its head; the walk goes on from the saved next
                    file(e);
                }
                e = next;
            }
            if (e == NONE)
            {
                currentTick++;
                cursor = CURSOR_HEAD;
            }
        }
        return work;
    }

    private void file(final int e)
    {
        final long tick = Math.max(expiry[e] / tickMillis, currentTick + 1);
        timerTick[e] = tick;
        final int bucket = (int)(tick & wheelMask);
        final int head = bucketHead[bucket];
        timerNext[e] = head;
        timerPrev[e] = NONE;
        if (head != NONE)
        {
            timerPrev[head] = e;
        }
        bucketHead[bucket] = e;
    }

    void unschedule(final int e)
    {
        if (cursor == e)
        {
            cursor = timerNext[e]; // the packet path removed the entry the expiry walk would look at next
        }
        final int prev = timerPrev[e];
        final int next = timerNext[e];
        if (prev == NONE)
        {
            bucketHead[(int)(timerTick[e] & wheelMask)] = next;
        }
        else
        {
            timerNext[prev] = next;
        }
        if (next != NONE)
        {
            timerPrev[next] = prev;
        }
    }
}
