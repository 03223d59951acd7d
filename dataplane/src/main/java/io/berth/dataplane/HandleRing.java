package io.berth.dataplane;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A single-producer single-consumer ring of packet handles (ints): how a packet slot's ownership passes between
 * two workers. The producer writes the handle and then publishes the tail with a release store; the consumer
 * reads the tail with an acquire load, so everything the producer wrote into the slot and its pool metadata
 * before {@link #offer} is visible to the consumer after {@link #poll}. No locks, no allocation.
 *
 * <pre>
 *   head (consumer's)           tail (producer's)
 *      v                           v
 *  ... | h | h | h | h | h | h | _ | _ | ...   capacity a power of two; index = sequence & mask
 * </pre>
 * One thread offers and one thread polls, for the ring's whole life.
 */
public final class HandleRing
{
    private final int[] slots;
    private final int mask;
    /** Next sequence to write: written by the producer only. */
    private final AtomicLong tail = new AtomicLong();
    /** Next sequence to read: written by the consumer only. */
    private final AtomicLong head = new AtomicLong();
    /** The producer's last view of head and the consumer's of tail: most calls then touch only their own line. */
    private long headCache;
    private long tailCache;

    public HandleRing(final int capacity)
    {
        if (capacity < 2 || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("ring capacity must be a power of two >= 2, got " + capacity);
        }
        slots = new int[capacity];
        mask = capacity - 1;
    }

    public int capacity()
    {
        return slots.length;
    }

    /** Producer: appends {@code handle}; false when the ring is full. */
    public boolean offer(final int handle)
    {
        final long t = tail.getPlain();
        if (t - headCache >= slots.length)
        {
            headCache = head.getAcquire();
            if (t - headCache >= slots.length)
            {
                return false;
            }
        }
        slots[(int)(t & mask)] = handle;
        tail.setRelease(t + 1);
        return true;
    }

    /** Consumer: the oldest handle, or {@link PacketPool#NO_PACKET} when the ring is empty. */
    public int poll()
    {
        final long h = head.getPlain();
        if (h >= tailCache)
        {
            tailCache = tail.getAcquire();
            if (h >= tailCache)
            {
                return PacketPool.NO_PACKET;
            }
        }
        final int handle = slots[(int)(h & mask)];
        head.setRelease(h + 1);
        return handle;
    }

    /** Handles waiting; any thread, a snapshot. */
    public int size()
    {
        return (int)Math.max(0, tail.getAcquire() - head.getAcquire());
    }

    /** True when nothing waits: for a thread about to block, after it announced so (see {@link ShardLink}). */
    public boolean isEmpty()
    {
        return tail.get() == head.get();
    }
}
