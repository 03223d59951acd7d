package io.berth.tap.uring;

import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.WriteBatch;

import java.io.IOException;
import java.util.function.IntConsumer;

/**
 * A {@link WriteBatch} on its own io_uring: each queued write is one SQE (RWF_NOWAIT, so a full device or
 * socket fails the write as a plain non-blocking write would, and never parks the worker), and {@link #flush}
 * is one io_uring_enter that submits them all and waits for their completions, which TAP and packet-socket
 * writes give at once.
 * <p>
 * Owned by the worker thread; {@link #close} on the control path after the worker stopped.
 */
public final class UringWriteBatch implements WriteBatch
{
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    /** Rounds of io_uring_enter a flush tries before it counts what is left as failed. */
    private static final int MAX_ROUNDS = 64;

    private final IoUring ring;
    private final int capacity;
    private final Port[] ports;
    private final int[] lengths;
    private final int[] frameLengths;
    private final int[] tags;
    private final boolean[] done;
    private int count;
    private int completed;
    private IntConsumer failed;
    private final IoUring.CompletionHandler onCompletion = this::completed;

    private UringWriteBatch(final IoUring ring, final int capacity)
    {
        this.ring = ring;
        this.capacity = capacity;
        ports = new Port[capacity];
        lengths = new int[capacity];
        frameLengths = new int[capacity];
        tags = new int[capacity];
        done = new boolean[capacity];
    }

    /** A batch of up to {@code capacity} writes; throws naming errno when io_uring is missing or disabled. */
    public static UringWriteBatch open(final int capacity) throws IOException
    {
        return new UringWriteBatch(IoUring.open(capacity, capacity * 2), capacity);
    }

    @Override
    public boolean queue(final Port port, final int fd, final long address, final int length, final int frameLength,
        final int tag)
    {
        if (count == capacity || !ring.prepareWriteNow(fd, address, length, count))
        {
            return false;
        }
        ports[count] = port;
        lengths[count] = length;
        frameLengths[count] = frameLength;
        tags[count] = tag;
        done[count] = false;
        count++;
        return true;
    }

    @Override
    public boolean isFull()
    {
        return count == capacity;
    }

    @Override
    public boolean isEmpty()
    {
        return count == 0;
    }

    @Override
    public void flush(final IntConsumer onFailed)
    {
        if (count == 0)
        {
            return;
        }
        failed = onFailed;
        completed = 0;
        for (int round = 0; completed < count && round < MAX_ROUNDS; round++)
        {
            final int n = ring.submitAndWait(count - completed);
            ring.reap(onCompletion, Integer.MAX_VALUE);
            if (n < 0 && n != -EINTR && n != -EAGAIN && n != -EBUSY)
            {
                break; // the ring itself is broken: what did not complete is lost, below
            }
        }
        for (int i = 0; i < count && completed < count; i++)
        {
            if (!done[i])
            {
                fail(i); // never completed: counted, and the packet path goes on
            }
        }
        for (int i = 0; i < count; i++)
        {
            ports[i] = null;
        }
        count = 0;
        failed = null;
    }

    private void completed(final long userData, final int result, final int flags)
    {
        final int slot = (int)userData;
        if (slot < 0 || slot >= count || done[slot])
        {
            return; // a late completion of a write already counted lost
        }
        if (result == lengths[slot])
        {
            done[slot] = true;
            completed++;
            ports[slot].counters().transmitted(frameLengths[slot]);
        }
        else
        {
            fail(slot);
        }
    }

    private void fail(final int slot)
    {
        done[slot] = true;
        completed++;
        ports[slot].counters().increment(PortCounters.TX_ERRORS);
        failed.accept(tags[slot]);
    }

    @Override
    public void close()
    {
        ring.close();
    }
}
