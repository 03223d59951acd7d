package io.berth.dataplane;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A fixed set of 64-bit counters with one writer (the worker thread) and any number of readers (the control
 * plane). The writer uses ordered stores, which on x86 are plain stores: no lock, no fence on the packet path.
 */
public class CounterSet
{
    private final UnsafeBuffer values;
    private final int size;

    public CounterSet(final int size)
    {
        this.size = size;
        this.values = new UnsafeBuffer(new byte[Math.max(1, size) * Long.BYTES]);
    }

    public final int size()
    {
        return size;
    }

    /** Writer thread only. */
    public final void add(final int index, final long delta)
    {
        final int offset = index * Long.BYTES;
        values.putLongOrdered(offset, values.getLong(offset) + delta);
    }

    /** Writer thread only. */
    public final void increment(final int index)
    {
        add(index, 1);
    }

    /** Any thread. */
    public final long get(final int index)
    {
        return values.getLongVolatile(index * Long.BYTES);
    }
}
