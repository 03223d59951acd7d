package io.berth.tap.uring;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING, kernel 5.19+): the buffers a multishot read of its group
 * picks from. The kernel takes entries from the head (which it keeps to itself); we add them at the tail and
 * publish it with an ordered store. The memory is ours, page-aligned and held here for as long as the kernel may
 * read it. Owned by the io_uring's thread, like the ring.
 *
 * <pre>
 *  entry i (16 bytes), i = 0 .. entries-1         the tail shares entry 0's last two bytes
 *  0               8       12      14      16
 *  +---------------+-------+-------+-------+
 *  | addr (u64)    |len u32|bid u16|resv   |      entry 0's resv is the ring's u16 tail
 *  +---------------+-------+-------+-------+
 * </pre>
 */
public final class BufferRing implements AutoCloseable
{
    static final int ENTRY_SIZE = 16;
    private static final int TAIL_OFFSET = 14;
    private static final int REGISTRATION_SIZE = 40;

    private final IoUring ring;
    private final int group;
    private final int entries;
    private final int mask;
    /** Kept reachable: the kernel reads these entries until the group is unregistered. */
    private final ByteBuffer memory;
    private final UnsafeBuffer entriesBuffer;
    /** struct io_uring_buf_reg {u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u64 resv[3]}. */
    private final UnsafeBuffer registration;
    private int localTail;
    private boolean closed;

    BufferRing(final IoUring ring, final int group, final int entries)
    {
        this.ring = ring;
        this.group = group;
        this.entries = entries;
        this.mask = entries - 1;
        this.memory = BufferUtil.allocateDirectAligned(Math.max(4096, entries * ENTRY_SIZE), 4096);
        this.entriesBuffer = new UnsafeBuffer(memory);
        entriesBuffer.setMemory(0, entriesBuffer.capacity(), (byte)0);
        this.registration = new UnsafeBuffer(BufferUtil.allocateDirectAligned(REGISTRATION_SIZE, 8));
        registration.setMemory(0, REGISTRATION_SIZE, (byte)0);
        registration.putLong(0, entriesBuffer.addressOffset());
        registration.putInt(8, entries);
        registration.putShort(12, (short)group);
    }

    /** The address of the registration struct, for io_uring_register. */
    long registration()
    {
        return registration.addressOffset();
    }

    public int group()
    {
        return group;
    }

    public int entries()
    {
        return entries;
    }

    /**
     * Stages buffer {@code bufferId} ({@code length} bytes at {@code address}) at the tail; the kernel sees it
     * after {@link #publish()}. The caller keeps at most {@link #entries()} buffers in the ring.
     */
    public void add(final long address, final int length, final int bufferId)
    {
        final int at = (localTail & mask) * ENTRY_SIZE;
        entriesBuffer.putLong(at, address);
        entriesBuffer.putInt(at + 8, length);
        entriesBuffer.putShort(at + 12, (short)bufferId);
        localTail++;
    }

    /** Makes the staged buffers visible to the kernel: the entries' bytes are ordered before the tail. */
    public void publish()
    {
        entriesBuffer.putShortVolatile(TAIL_OFFSET, (short)localTail);
    }

    /** Unregisters the group (after the reads using it ended or were cancelled). Idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            ring.unregister(this);
        }
    }
}
