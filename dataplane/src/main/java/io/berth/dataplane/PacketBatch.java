package io.berth.dataplane;

/**
 * A vector of packet handles that moves through the stage graph together (VPP frames, OVS dp_packet_batch).
 * Owned by the worker thread that fills it.
 */
public final class PacketBatch
{
    public static final int DEFAULT_CAPACITY = 256;

    private final int[] handles;
    private int count;

    public PacketBatch(final int capacity)
    {
        handles = new int[capacity];
    }

    public PacketBatch()
    {
        this(DEFAULT_CAPACITY);
    }

    public int count()
    {
        return count;
    }

    public int capacity()
    {
        return handles.length;
    }

    public boolean isFull()
    {
        return count == handles.length;
    }

    public int remaining()
    {
        return handles.length - count;
    }

    public int get(final int index)
    {
        return handles[index];
    }

    /** Appends a handle; the caller checks {@link #isFull()} (the graph sizes batches so they cannot overflow). */
    public void add(final int handle)
    {
        handles[count++] = handle;
    }

    public void clear()
    {
        count = 0;
    }
}
