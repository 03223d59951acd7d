package io.berth.dataplane;

import java.util.function.IntConsumer;

/**
 * Frame writes gathered over one transmit pass and handed to the kernel together (io_uring: one io_uring_enter
 * for all of them) instead of one syscall each. A port that can ({@link Port#transmitLater}) queues its write
 * here; the transmit stage flushes before it returns, so every slot a queued write names is still intact then:
 * nothing allocates between the queueing and the flush.
 * <p>
 * Owned by the worker thread. Implementations allocate nothing per write and never throw on the packet path.
 */
public interface WriteBatch
{
    /**
     * Queues {@code length} bytes at native {@code address} for {@code fd}; on completion the batch counts the
     * frame ({@code frameLength} bytes) or the error on {@code port}'s counters.
     *
     * @param tag handed back to {@link #flush}'s callback if this write fails
     * @return false when the batch is full: flush, then queue again
     */
    boolean queue(Port port, int fd, long address, int length, int frameLength, int tag);

    /** True when another write would not fit. */
    boolean isFull();

    /** True when nothing is queued. */
    boolean isEmpty();

    /** Submits what is queued and waits for all of it; calls {@code failed} with the tag of each write that failed. */
    void flush(IntConsumer failed);

    /** Releases the batch's resources; control path, after the worker stopped. */
    void close();
}
