package io.berth.l3;

import io.berth.dataplane.Housekeeping;

import java.util.Arrays;
import io.berth.dataplane.VarHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Neighbours learned on routed ports (the uplink's LAN): IPv4 address -> port and MAC, bounded and aged like the
 * MAC table. Fixed-capacity open addressing with linear probing and backward-shift deletion, so learning never
 * allocates and a LAN full of hosts ARPing for berthd's address cannot grow it: once full, new addresses are
 * refused (counted) until aging frees room. Entries not refreshed for {@link #AGE_MILLIS} are removed by
 * {@link #doWork}, a bounded slice per duty cycle.
 *
 * <pre>
 *  slot i:  keys[i] (int address, 0 = empty)   values[i] (port << 48 | MAC)   seen[i] (ms)
 * </pre>
 * Owned by the worker thread.
 */
public final class NeighborTable implements Housekeeping
{
    public static final int DEFAULT_LIMIT = 4096;
    static final long AGE_MILLIS = 300_000;
    private static final int SLICE = 64;

    private final int limit;
    private final int mask;
    private final int[] keys;
    private final long[] values;
    private final long[] seen;
    private int size;
    private int cursor;
    private long refused;
    private long aged;

    public NeighborTable(final int limit)
    {
        if (limit < 1)
        {
            throw new IllegalArgumentException("neighbour limit must be at least 1, got " + limit);
        }
        this.limit = limit;
        final int capacity = Integer.highestOneBit(Math.max(2, limit) * 2 - 1) << 1; // load factor <= 0.5
        this.mask = capacity - 1;
        this.keys = new int[capacity];
        this.values = new long[capacity];
        this.seen = new long[capacity];
    }

    public int limit()
    {
        return limit;
    }

    public int size()
    {
        return size;
    }

    /** size, refused and aged for any thread (counters): no worker command needed. */
    public long[] countsAnyThread()
    {
        return new long[] {(int)SIZE_VH.getAcquire(this), (long)REFUSED_VH.getAcquire(this), (long)AGED_VH.getAcquire(this)};
    }

    private static final VarHandle SIZE_VH =
        VarHandles.field(MethodHandles.lookup(), "size", int.class);
    private static final VarHandle REFUSED_VH =
        VarHandles.field(MethodHandles.lookup(), "refused", long.class);
    private static final VarHandle AGED_VH =
        VarHandles.field(MethodHandles.lookup(), "aged", long.class);

    /** Addresses not learned because the table was full. */
    public long refused()
    {
        return refused;
    }

    /** Entries removed by aging. */
    public long aged()
    {
        return aged;
    }

    /** The neighbour of {@code address} ({@link Router#neighbor(int, long)} packing), or {@link Router#NO_NEIGHBOR}. */
    public long get(final int address)
    {
        if (address == 0)
        {
            return Router.NO_NEIGHBOR;
        }
        for (int i = slot(address); ; i = (i + 1) & mask)
        {
            final int key = keys[i];
            if (key == address)
            {
                return values[i];
            }
            if (key == 0)
            {
                return Router.NO_NEIGHBOR;
            }
        }
    }

    /** Learns or refreshes; false when the table is full and {@code address} is new (nothing changes then). */
    public boolean put(final int address, final long neighbor, final long nowMillis)
    {
        if (address == 0)
        {
            return false;
        }
        int i = slot(address);
        while (keys[i] != 0)
        {
            if (keys[i] == address)
            {
                values[i] = neighbor;
                seen[i] = nowMillis;
                return true;
            }
            i = (i + 1) & mask;
        }
        if (size == limit)
        {
            REFUSED_VH.setRelease(this, refused + 1);
            return false;
        }
        keys[i] = address;
        values[i] = neighbor;
        seen[i] = nowMillis;
        SIZE_VH.setRelease(this, size + 1);
        return true;
    }

    public void remove(final int address)
    {
        for (int i = slot(address); keys[i] != 0; i = (i + 1) & mask)
        {
            if (keys[i] == address)
            {
                removeAt(i);
                return;
            }
        }
    }

    public void clear()
    {
        Arrays.fill(keys, 0);
        SIZE_VH.setRelease(this, 0);
    }

    /** Ages a bounded slice of slots. */
    @Override
    public int doWork(final long nowMillis)
    {
        if (size == 0)
        {
            return 0;
        }
        int removed = 0;
        for (int n = 0; n < SLICE; n++)
        {
            final int i = cursor;
            if (keys[i] != 0 && nowMillis - seen[i] > AGE_MILLIS)
            {
                removeAt(i); // the slot may now hold a shifted entry: look at it again next
                removed++;
                AGED_VH.setRelease(this, aged + 1);
            }
            else
            {
                cursor = (cursor + 1) & mask;
            }
        }
        return removed;
    }

    private void removeAt(final int slot)
    {
        int hole = slot;
        keys[hole] = 0;
        SIZE_VH.setRelease(this, size - 1);
        for (int i = (hole + 1) & mask; keys[i] != 0; i = (i + 1) & mask)
        {
            final int home = slot(keys[i]);
            // move the entry back into the hole unless its home lies cyclically in (hole, i]
            final boolean stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
            if (!stays)
            {
                keys[hole] = keys[i];
                values[hole] = values[i];
                seen[hole] = seen[i];
                keys[i] = 0;
                hole = i;
            }
        }
    }

    private int slot(final int address)
    {
        final int h = address * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
