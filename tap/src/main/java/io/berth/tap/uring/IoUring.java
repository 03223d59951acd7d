package io.berth.tap.uring;

import jnr.ffi.LibraryLoader;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.ffi.Runtime;

/**
 * One io_uring instance: a submission queue the owner fills with reads and writes and submits with one
 * io_uring_enter, and a completion queue it reaps without any syscall.
 * <p>
 * Owned by one thread (the worker whose ports use it): the SQ tail and CQ head are written by that thread only,
 * so the rings need ordered stores and volatile loads, never a lock. {@link #close} runs on that thread too, or
 * after it stopped.
 *
 * <pre>
 * mmap at IORING_OFF_SQ_RING (shared with the CQ ring when the kernel has IORING_FEAT_SINGLE_MMAP):
 *   sq_off.head/tail/ring_mask/ring_entries/flags/dropped  u32 each, kernel owns head, we own tail
 *   sq_off.array   u32[sq_entries]  slot i names the SQE submitted i-th (we keep it the identity)
 *   cq_off.head/tail/ring_mask/ring_entries/overflow       u32 each, kernel owns tail, we own head
 *   cq_off.cqes    struct io_uring_cqe[cq_entries], 16 bytes:
 *                  0 user_data u64 | 8 res s32 | 12 flags u32
 * mmap at IORING_OFF_SQES: struct io_uring_sqe[sq_entries], 64 bytes:
 *   0 opcode u8 | 1 flags u8 | 2 ioprio u16 | 4 fd s32 | 8 off u64 | 16 addr u64 | 24 len u32 |
 *   28 rw_flags u32 | 32 user_data u64 | 40 buf_index u16 | 42 personality u16 | 44 splice_fd_in s32 |
 *   48 addr3 u64 | 56 pad
 * </pre>
 */
public final class IoUring implements AutoCloseable
{
    public static final int OP_NOP = 0;
    public static final int OP_ASYNC_CANCEL = 14;
    public static final int OP_READ = 22;
    public static final int OP_WRITE = 23;
    /** A read that stays armed: one completion per read, each into a buffer the kernel picks from a group. */
    public static final int OP_READ_MULTISHOT = 49;
    /** CQE flags: the completion used a provided buffer (its id is {@code flags >>> CQE_BUFFER_SHIFT}). */
    public static final int CQE_F_BUFFER = 1;
    /** CQE flags: the request stays armed and more completions will come. */
    public static final int CQE_F_MORE = 2;
    public static final int CQE_BUFFER_SHIFT = 16;
    static final int SQE_BUFFER_SELECT = 1 << 5;

    static final int SETUP_CQSIZE = 1 << 3;
    /** IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (6.1). */
    public static final int SETUP_DEFER_TASKRUN = (1 << 12) | (1 << 13);
    static final int FEAT_SINGLE_MMAP = 1;
    static final int ENTER_GETEVENTS = 1;
    /** linux/fs.h: per-request "do not block"; in the SQE's rw_flags. */
    static final int RWF_NOWAIT = 0x8;
    /** IORING_ASYNC_CANCEL_ANY: cancel every request in flight, whatever its user_data (5.19). */
    static final int ASYNC_CANCEL_ANY = 1 << 2;
    static final int REGISTER_PBUF_RING = 22;
    static final int UNREGISTER_PBUF_RING = 23;
    static final long OFF_SQ_RING = 0L;
    static final long OFF_CQ_RING = 0x8000000L;
    static final long OFF_SQES = 0x10000000L;
    static final int SQE_SIZE = 64;
    static final int CQE_SIZE = 16;
    static final int PARAMS_SIZE = 120;

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_POPULATE = 0x8000;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    /** user_data of the cancel request close() sends; real requests should not use it. */
    public static final long CANCEL_USER_DATA = -1L;

    private static final UringSys SYS = UringSys.LIBC;
    private static final Runtime RUNTIME = Runtime.getRuntime(SYS);

    /** What a reaped completion is handed to; called on the owner's thread, must not throw. */
    @FunctionalInterface
    public interface CompletionHandler
    {
        /** {@code result}: bytes moved, or -errno. */
        void onCompletion(long userData, int result, int flags);
    }

    private final int ringFd;
    private final int sqEntries;
    private final int cqEntries;
    private final long sqRingAddress;
    private final long sqRingSize;
    private final long cqRingAddress;
    private final long cqRingSize;
    private final long sqesAddress;
    private final long sqesSize;
    private final UnsafeBuffer sqRing;
    private final UnsafeBuffer cqRing;
    private final UnsafeBuffer sqes;
    /** Offsets into the SQ and CQ ring mappings, as the kernel reported them in sq_off and cq_off. */
    private final int sqHead;
    private final int sqTail;
    private final int cqHead;
    private final int cqTail;
    private final int cqOverflow;
    private final int cqes;
    private final int sqMask;
    private final int cqMask;

    /** Our copies of the indexes we own: the SQ tail we have filled to, and the CQ head we have reaped to. */
    private int localSqTail;
    private int localCqHead;
    /** SQEs filled but not yet passed to io_uring_enter. */
    private int unsubmitted;
    /** Requests submitted whose completion has not been reaped. */
    private int inFlight;
    private boolean closed;

    private IoUring(final int ringFd, final UnsafeBuffer params) throws IOException
    {
        this.ringFd = ringFd;
        this.sqEntries = params.getInt(0);
        this.cqEntries = params.getInt(4);
        final int features = params.getInt(20);
        final int sqOff = 40;
        final int cqOff = 80;
        sqHead = params.getInt(sqOff);
        sqTail = params.getInt(sqOff + 4);
        final int sqMaskAt = params.getInt(sqOff + 8);
        final int sqArray = params.getInt(sqOff + 24);
        cqHead = params.getInt(cqOff);
        cqTail = params.getInt(cqOff + 4);
        final int cqMaskAt = params.getInt(cqOff + 8);
        cqOverflow = params.getInt(cqOff + 16);
        cqes = params.getInt(cqOff + 20);

        long sqSize = sqArray + 4L * sqEntries;
        long cqSize = cqes + (long)CQE_SIZE * cqEntries;
        final boolean single = (features & FEAT_SINGLE_MMAP) != 0;
        if (single)
        {
            sqSize = Math.max(sqSize, cqSize);
            cqSize = sqSize;
        }
        long sq = 0;
        long cq = 0;
        long se = 0;
        final long seSize = (long)SQE_SIZE * sqEntries;
        try
        {
            sq = map(ringFd, sqSize, OFF_SQ_RING);
            cq = single ? sq : map(ringFd, cqSize, OFF_CQ_RING);
            se = map(ringFd, seSize, OFF_SQES);
        }
        catch (final IOException e)
        {
            unmapQuietly(sq, sqSize);
            if (!single)
            {
                unmapQuietly(cq, cqSize);
            }
            throw e;
        }
        sqRingAddress = sq;
        sqRingSize = sqSize;
        cqRingAddress = cq;
        cqRingSize = single ? 0 : cqSize; // unmapped once, with the SQ ring, when shared
        sqesAddress = se;
        sqesSize = seSize;
        sqRing = new UnsafeBuffer(sq, (int)sqSize);
        cqRing = new UnsafeBuffer(cq, (int)cqSize);
        sqes = new UnsafeBuffer(se, (int)seSize);
        // the sq_off/cq_off fields are offsets into the rings; the masks themselves live there
        sqMask = sqRing.getInt(sqMaskAt);
        cqMask = cqRing.getInt(cqMaskAt);
        // the array indirection is kept the identity: SQE i is always named by array slot i
        for (int i = 0; i < sqEntries; i++)
        {
            sqRing.putInt(sqArray + 4 * i, i);
        }
        localSqTail = sqRing.getIntVolatile(sqTail);
        localCqHead = cqRing.getIntVolatile(cqHead);
    }

    /**
     * Sets up a ring of {@code entries} SQEs (rounded up to a power of two by the kernel) and at least
     * {@code completions} CQEs. Control path.
     *
     * @throws IOException naming errno when the kernel has no io_uring, or it is disabled (kernel.io_uring_disabled).
     */
    public static IoUring open(final int entries, final int completions) throws IOException
    {
        return open(entries, completions, 0);
    }

    /**
     * As {@link #open(int, int)}, with setup flags: {@link #SETUP_DEFER_TASKRUN} (which implies
     * {@code SINGLE_ISSUER}) keeps the kernel's completion work for this ring until the owner asks for
     * completions in {@link #submitAndWait}, instead of interrupting the owner whenever a multishot read has data.
     */
    public static IoUring open(final int entries, final int completions, final int setupFlags) throws IOException
    {
        if (entries < 1 || entries > 32768 || completions < entries || completions > 65536)
        {
            throw new IllegalArgumentException("io_uring needs 1..32768 entries and entries..65536 completions, got "
                + entries + " and " + completions);
        }
        if ((setupFlags & ~SETUP_DEFER_TASKRUN) != 0)
        {
            throw new IllegalArgumentException("io_uring setup flags: only SETUP_DEFER_TASKRUN (0x"
                + Integer.toHexString(SETUP_DEFER_TASKRUN) + ") is supported, got 0x" + Integer.toHexString(setupFlags));
        }
        final ByteBuffer raw = BufferUtil.allocateDirectAligned(PARAMS_SIZE, 8);
        final UnsafeBuffer params = new UnsafeBuffer(raw);
        params.setMemory(0, PARAMS_SIZE, (byte)0);
        params.putInt(4, completions);
        params.putInt(8, SETUP_CQSIZE | setupFlags);
        final long fd = SYS.syscall(UringSys.SYS_IO_URING_SETUP, entries, params.addressOffset(), 0, 0, 0, 0);
        if (fd < 0)
        {
            final int errno = RUNTIME.getLastError();
            throw new IOException("io_uring_setup(" + entries + "): errno " + errno
                + (errno == 1 ? " (EPERM: kernel.io_uring_disabled?)" : errno == 38 ? " (ENOSYS: no io_uring)" :
                errno == 22 ? " (EINVAL: a setup flag this kernel lacks?)" : ""));
        }
        try
        {
            return new IoUring((int)fd, params);
        }
        catch (final IOException | RuntimeException e)
        {
            SYS.close((int)fd);
            throw e;
        }
    }

    private static long map(final int fd, final long size, final long offset) throws IOException
    {
        final long address = SYS.syscall(UringSys.SYS_MMAP, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (address == -1L)
        {
            throw new IOException("mmap of io_uring region 0x" + Long.toHexString(offset) + " (" + size + " bytes): errno "
                + RUNTIME.getLastError());
        }
        return address;
    }

    private static void unmapQuietly(final long address, final long size)
    {
        if (address != 0 && size > 0)
        {
            SYS.syscall(UringSys.SYS_MUNMAP, address, size, 0, 0, 0, 0);
        }
    }

    public int submissionEntries()
    {
        return sqEntries;
    }

    public int completionEntries()
    {
        return cqEntries;
    }

    /** SQEs that can still be filled before the next submit. */
    public int submissionSpace()
    {
        return sqEntries - (localSqTail - sqRing.getIntVolatile(sqHead));
    }

    /** Requests submitted and not yet reaped, plus those filled and not submitted. */
    public int inFlight()
    {
        return inFlight + unsubmitted;
    }

    public int unsubmitted()
    {
        return unsubmitted;
    }

    /** Completions the kernel could not post because the CQ was full (it keeps them and posts them later). */
    public int completionOverflows()
    {
        return cqRing.getIntVolatile(cqOverflow);
    }

    /**
     * Queues a read of up to {@code length} bytes into {@code address} that waits in the kernel (io_uring arms a
     * poll, even on an O_NONBLOCK fd) until there is something to read; false when the SQ is full. No syscall.
     */
    public boolean prepareRead(final int fd, final long address, final int length, final long userData)
    {
        return prepare(OP_READ, fd, address, length, -1L, 0, userData);
    }

    /**
     * Queues a read that never waits: with RWF_NOWAIT it completes with -EAGAIN when nothing is there, so a burst
     * of these drains an fd in one submit. -EOPNOTSUPP where the file cannot promise not to block.
     */
    public boolean prepareReadNow(final int fd, final long address, final int length, final long userData)
    {
        return prepare(OP_READ, fd, address, length, -1L, RWF_NOWAIT, userData);
    }

    /** Queues a write of {@code length} bytes from {@code address}; false when the SQ is full. No syscall. */
    public boolean prepareWrite(final int fd, final long address, final int length, final long userData)
    {
        return prepare(OP_WRITE, fd, address, length, -1L, 0, userData);
    }

    /**
     * Queues a write that never waits (RWF_NOWAIT): a full socket buffer completes it with -EAGAIN where a plain
     * write would park until there is room.
     */
    public boolean prepareWriteNow(final int fd, final long address, final int length, final long userData)
    {
        return prepare(OP_WRITE, fd, address, length, -1L, RWF_NOWAIT, userData);
    }

    public boolean prepareNop(final long userData)
    {
        return prepare(OP_NOP, -1, 0, 0, 0, 0, userData);
    }

    /**
     * Queues a multishot read (kernel 6.7+): it stays armed, and each time the fd has data the kernel reads into a
     * buffer it takes from {@code group}'s {@link BufferRing} and posts a completion with {@link #CQE_F_BUFFER}
     * and the buffer's id, and {@link #CQE_F_MORE} while it stays armed. It ends, without F_MORE, when the group
     * has no buffer left (-ENOBUFS), on an error, or when cancelled; then it must be queued again. No syscall.
     */
    public boolean prepareReadMultishot(final int fd, final int group, final long userData)
    {
        if (!prepare(OP_READ_MULTISHOT, fd, 0, 0, 0, 0, userData))
        {
            return false;
        }
        final int sqe = ((localSqTail - 1) & sqMask) * SQE_SIZE;
        sqes.putByte(sqe + 1, (byte)SQE_BUFFER_SELECT);
        sqes.putShort(sqe + 40, (short)group);
        return true;
    }

    /**
     * Registers a ring of {@code entries} provided buffers (a power of two, 1..32768) as buffer group
     * {@code group}, for {@link #prepareReadMultishot}. The owner's thread.
     *
     * @throws IOException naming errno when the kernel refuses (EINVAL: no provided-buffer rings, or a bad size;
     *                     EEXIST: the group is taken).
     */
    public BufferRing registerBufferRing(final int group, final int entries) throws IOException
    {
        if (entries < 1 || entries > 32768 || Integer.bitCount(entries) != 1 || group < 0 || group > 65535)
        {
            throw new IllegalArgumentException("a buffer ring needs a power of two of 1..32768 entries and a group of "
                + "0..65535, got " + entries + " and " + group);
        }
        if (closed)
        {
            throw new IOException("the io_uring is closed");
        }
        final BufferRing ring = new BufferRing(this, group, entries);
        final int result = register(REGISTER_PBUF_RING, ring.registration());
        if (result < 0)
        {
            throw new IOException("io_uring_register(PBUF_RING, group " + group + ", " + entries + " entries): errno "
                + -result + (result == -22 ? " (EINVAL: kernel too old, or a bad size)" : result == -17 ?
                " (EEXIST: group taken)" : ""));
        }
        return ring;
    }

    /** Unregisters {@code ring}'s group, unless the io_uring is closed (which took the registration with it). */
    void unregister(final BufferRing ring)
    {
        if (!closed)
        {
            register(UNREGISTER_PBUF_RING, ring.registration());
        }
    }

    private int register(final int opcode, final long argument)
    {
        final long n = SYS.syscall(UringSys.SYS_IO_URING_REGISTER, ringFd, opcode, argument, 1, 0, 0);
        return n < 0 ? -RUNTIME.getLastError() : (int)n;
    }

    private boolean prepare(final int opcode, final int fd, final long address, final int length, final long offset,
        final int opFlags, final long userData)
    {
        if (closed || submissionSpace() == 0)
        {
            return false;
        }
        final int sqe = (localSqTail & sqMask) * SQE_SIZE;
        sqes.setMemory(sqe, SQE_SIZE, (byte)0);
        sqes.putByte(sqe, (byte)opcode);
        sqes.putInt(sqe + 4, fd);
        sqes.putLong(sqe + 8, offset); // -1: the file's position, which stream files (TAP, sockets) ignore
        sqes.putLong(sqe + 16, address);
        sqes.putInt(sqe + 24, length);
        sqes.putInt(sqe + 28, opFlags);
        sqes.putLong(sqe + 32, userData);
        localSqTail++;
        // the kernel reads the SQE after it sees the tail: the ordered store publishes the SQE's bytes first
        sqRing.putIntOrdered(sqTail, localSqTail);
        unsubmitted++;
        return true;
    }

    /** Passes the filled SQEs to the kernel: one syscall. Returns how many it took, or -errno. */
    public int submit()
    {
        return enter(0, 0);
    }

    /**
     * Submits and waits until at least {@code minComplete} completions are ready to reap (fewer when fewer are
     * in flight). Returns how many were submitted, or -errno (-EINTR when a signal came first).
     */
    public int submitAndWait(final int minComplete)
    {
        final int wait = Math.min(minComplete, inFlight + unsubmitted);
        return enter(wait, wait > 0 ? ENTER_GETEVENTS : 0);
    }

    private int enter(final int minComplete, final int flags)
    {
        if (closed || (unsubmitted == 0 && minComplete == 0))
        {
            return 0;
        }
        final long n = SYS.syscall(UringSys.SYS_IO_URING_ENTER, ringFd, unsubmitted, minComplete, flags, 0, 0);
        if (n < 0)
        {
            // EBUSY: the CQ overflowed and the kernel wants completions reaped first; EAGAIN/EINTR: try again
            return -RUNTIME.getLastError();
        }
        unsubmitted -= (int)n;
        inFlight += (int)n;
        return (int)n;
    }

    /** Hands up to {@code max} ready completions to {@code handler}, oldest first; no syscall. Returns how many. */
    public int reap(final CompletionHandler handler, final int max)
    {
        final int tail = cqRing.getIntVolatile(cqTail); // the CQEs below tail are complete once we see it
        int reaped = 0;
        while (localCqHead != tail && reaped < max)
        {
            final int cqe = cqes + (localCqHead & cqMask) * CQE_SIZE;
            final long userData = cqRing.getLong(cqe);
            final int result = cqRing.getInt(cqe + 8);
            final int flags = cqRing.getInt(cqe + 12);
            localCqHead++;
            reaped++;
            if ((flags & CQE_F_MORE) == 0)
            {
                inFlight--; // a request ended, or close()'s cancel itself; a multishot read that stays armed did not
            }
            handler.onCompletion(userData, result, flags);
        }
        if (reaped > 0)
        {
            cqRing.putIntOrdered(cqHead, localCqHead); // frees the CQEs for the kernel
        }
        return reaped;
    }

    /** Completions ready to reap now. */
    public int ready()
    {
        return cqRing.getIntVolatile(cqTail) - localCqHead;
    }

    /**
     * Cancels whatever is still in flight (reads waiting on an empty fd), reaps every completion, and only then
     * unmaps the rings and closes the ring: when it returns, the kernel writes no buffer a request named.
     * Completions reaped here go to {@code handler}. Idempotent.
     */
    public void close(final CompletionHandler handler)
    {
        if (closed)
        {
            return;
        }
        if (inFlight + unsubmitted > 0)
        {
            submit();
            if (inFlight > 0 && prepare(OP_ASYNC_CANCEL, -1, 0, 0, 0, ASYNC_CANCEL_ANY, CANCEL_USER_DATA))
            {
                submit();
            }
            // every request ends, cancelled or done, so this wait is bounded; a signal just goes round again
            for (int rounds = 0; inFlight > 0 && rounds < 1000; rounds++)
            {
                reap(handler, Integer.MAX_VALUE);
                if (inFlight > 0)
                {
                    final int n = enter(1, ENTER_GETEVENTS);
                    if (n < 0 && n != -EINTR && n != -EAGAIN && n != -EBUSY)
                    {
                        break;
                    }
                }
            }
            reap(handler, Integer.MAX_VALUE);
        }
        closed = true;
        unmapQuietly(sqesAddress, sqesSize);
        unmapQuietly(cqRingAddress, cqRingSize);
        unmapQuietly(sqRingAddress, sqRingSize);
        SYS.close(ringFd);
    }

    @Override
    public void close()
    {
        close((userData, result, flags) -> { });
    }
}
