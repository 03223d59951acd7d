package io.berth.tap.xdp;

import io.berth.tap.Natives;
import io.berth.tap.uring.UringSys;
import jnr.ffi.Pointer;
import org.agrona.UnsafeAccess;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;

/**
 * An AF_XDP socket bound to queue 0 of an interface, in copy mode (veth has no zero copy), with a UMEM of its own:
 * {@link #FRAMES} chunks of {@link #CHUNK} bytes, the first half lent to the kernel through the fill ring for
 * received frames, the second half a stack of chunks for frames to send, given back by the completion ring. The
 * four rings are mapped from the kernel; indices are free-running u32 counters, published with release stores and
 * read with acquire loads, so the kernel and the owning thread never lock. Created on the control thread; every
 * other method on the owning worker thread only, allocating nothing.
 */
public final class XskSocket implements AutoCloseable
{
    // linux/if_xdp.h and socket.h
    static final int AF_XDP = 44;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_XDP = 283;
    static final int XDP_MMAP_OFFSETS = 1;
    static final int XDP_RX_RING = 2;
    static final int XDP_TX_RING = 3;
    static final int XDP_UMEM_REG = 4;
    static final int XDP_UMEM_FILL_RING = 5;
    static final int XDP_UMEM_COMPLETION_RING = 6;
    /** Linux 6.16+: how many frames one copy-mode wake-up may send (32 before, and by default). */
    static final int XDP_MAX_TX_SKB_BUDGET = 9;
    static final int TX_BUDGET = 256;
    static final int XDP_COPY = 1 << 1;
    static final int XDP_USE_NEED_WAKEUP = 1 << 3;
    static final int XDP_RING_NEED_WAKEUP = 1;
    static final long XDP_PGOFF_RX_RING = 0;
    static final long XDP_PGOFF_TX_RING = 0x80000000L;
    static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;
    static final int MSG_DONTWAIT = 0x40;
    static final long SYS_SENDTO = 44;
    static final long SYS_RECVFROM = 45;
    // sys/mman.h
    static final int PROT_RW = 0x1 | 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final long SYS_MADVISE = 28;
    static final int MADV_HUGEPAGE = 14;
    static final int MADV_POPULATE_WRITE = 23;
    static final long HUGE_PAGE = 2L << 20;

    /** A chunk holds one frame: up to {@link #MAX_FRAME} bytes after the kernel's 256 bytes of XDP headroom. */
    public static final int CHUNK = 4096;
    public static final int MAX_FRAME = CHUNK - 256;
    static final int FRAMES = 4096;
    /** Entries per ring: half the frames each way. */
    static final int RING = FRAMES / 2;
    private static final int MASK = RING - 1;
    private static final int DESC = 16; // struct xdp_desc {u64 addr; u32 len; u32 options}

    private final int fd;
    /** The UMEM: {@link #FRAMES} chunks from a huge-page boundary inside the mapping at {@link #umemMapping}. */
    private final long umem;
    private final long umemMapping;
    private final long umemMappingLength;
    private final Ring rx;
    private final Ring tx;
    private final Ring fill;
    private final Ring completion;
    /** Chunks free for sending (UMEM offsets), a stack. */
    private final long[] freeTx = new long[RING];
    private int freeTxCount;

    /** One mapped ring: its memory and where the kernel keeps producer, consumer, flags and descriptors. */
    private static final class Ring
    {
        final long address;
        final long length;
        final UnsafeBuffer memory;
        final int producer;
        final int consumer;
        final int flags;
        final int desc;

        Ring(final long address, final long length, final Pointer offsets, final int base)
        {
            this.address = address;
            this.length = length;
            this.memory = new UnsafeBuffer(address, (int)length);
            this.producer = (int)offsets.getLong(base);
            this.consumer = (int)offsets.getLong(base + 8);
            this.desc = (int)offsets.getLong(base + 16);
            this.flags = (int)offsets.getLong(base + 24);
        }
    }

    private XskSocket(final int fd, final long umemMapping, final long umemMappingLength, final Ring rx,
        final Ring tx, final Ring fill, final Ring completion)
    {
        this.fd = fd;
        this.umemMapping = umemMapping;
        this.umemMappingLength = umemMappingLength;
        this.umem = hugePageAligned(umemMapping);
        this.rx = rx;
        this.tx = tx;
        this.fill = fill;
        this.completion = completion;
        for (int i = 0; i < RING; i++)
        {
            freeTx[i] = (long)(RING + i) * CHUNK;
        }
        freeTxCount = RING;
        // every receive chunk goes to the kernel at once
        for (int i = 0; i < RING; i++)
        {
            fill.memory.putLong(fill.desc + i * 8, (long)i * CHUNK);
        }
        fill.memory.putIntOrdered(fill.producer, RING);
    }

    /** Opens the socket on {@code ifindex}, queue 0, in the calling thread's namespace. */
    public static XskSocket open(final int ifindex, final String ifname) throws IOException
    {
        final int fd = Natives.socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0, ifname);
        long umemMapping = 0;
        final long umemLength = (long)FRAMES * CHUNK;
        final long umemMappingLength = umemLength + HUGE_PAGE;
        final long[] mapped = new long[8];
        try
        {
            umemMapping = mmap(0, umemMappingLength, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "UMEM");
            final long umem = hugePageAligned(umemMapping);
            backWithHugePages(umem, umemLength);
            final Pointer reg = Natives.allocateDirect(32); // struct xdp_umem_reg
            reg.putLong(0, umem);
            reg.putLong(8, umemLength);
            reg.putInt(16, CHUNK);
            reg.putInt(20, 0); // headroom
            Natives.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, reg, 32, "XDP_UMEM_REG", ifname);
            Natives.setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, RING, "XDP_UMEM_FILL_RING", ifname);
            Natives.setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, RING, "XDP_UMEM_COMPLETION_RING", ifname);
            Natives.setsockopt(fd, SOL_XDP, XDP_RX_RING, RING, "XDP_RX_RING", ifname);
            Natives.setsockopt(fd, SOL_XDP, XDP_TX_RING, RING, "XDP_TX_RING", ifname);
            try
            {
                Natives.setsockopt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, TX_BUDGET, "XDP_MAX_TX_SKB_BUDGET", ifname);
            }
            catch (final IOException older)
            {
                // a kernel before 6.16: 32 frames a wake-up, kick() repeats
            }
            final Pointer offsets = Natives.allocateDirect(128); // struct xdp_mmap_offsets: rx, tx, fr, cr
            final int got = Natives.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, offsets, 128, "XDP_MMAP_OFFSETS",
                ifname);
            if (got != 128)
            {
                throw new IOException("XDP_MMAP_OFFSETS of " + ifname + ": " + got + " bytes, not 128 (a kernel " +
                    "before 5.4)");
            }
            final long rxLength = offsets.getLong(16) + (long)RING * DESC;
            final long txLength = offsets.getLong(48) + (long)RING * DESC;
            final long fillLength = offsets.getLong(80) + (long)RING * 8;
            final long completionLength = offsets.getLong(112) + (long)RING * 8;
            mapped[0] = mmap(0, rxLength, PROT_RW, MAP_SHARED | MAP_POPULATE, fd, XDP_PGOFF_RX_RING, "RX ring");
            mapped[1] = rxLength;
            mapped[2] = mmap(0, txLength, PROT_RW, MAP_SHARED | MAP_POPULATE, fd, XDP_PGOFF_TX_RING, "TX ring");
            mapped[3] = txLength;
            mapped[4] = mmap(0, fillLength, PROT_RW, MAP_SHARED | MAP_POPULATE, fd, XDP_UMEM_PGOFF_FILL_RING,
                "fill ring");
            mapped[5] = fillLength;
            mapped[6] = mmap(0, completionLength, PROT_RW, MAP_SHARED | MAP_POPULATE, fd,
                XDP_UMEM_PGOFF_COMPLETION_RING, "completion ring");
            mapped[7] = completionLength;
            final XskSocket socket = new XskSocket(fd, umemMapping, umemMappingLength,
                new Ring(mapped[0], mapped[1], offsets, 0), new Ring(mapped[2], mapped[3], offsets, 32),
                new Ring(mapped[4], mapped[5], offsets, 64), new Ring(mapped[6], mapped[7], offsets, 96));
            final Pointer address = Natives.allocateDirect(16); // struct sockaddr_xdp
            address.putShort(0, (short)AF_XDP);
            address.putShort(2, (short)(XDP_COPY | XDP_USE_NEED_WAKEUP));
            address.putInt(4, ifindex);
            address.putInt(8, 0); // queue 0
            Natives.bind(fd, address, 16, ifname);
            return socket;
        }
        catch (final IOException | RuntimeException ex)
        {
            for (int i = 0; i < mapped.length; i += 2)
            {
                munmap(mapped[i], mapped[i + 1]);
            }
            munmap(umemMapping, umemMappingLength);
            Natives.close(fd);
            throw ex;
        }
    }

    public int fd()
    {
        return fd;
    }

    // ---------------------------------------------------------------------------------------------- receive

    /** How many received frames wait in the RX ring (acquire: their descriptors are visible). */
    public int received()
    {
        return rx.memory.getIntVolatile(rx.producer) - rx.memory.getInt(rx.consumer);
    }

    /** The UMEM address of the {@code i}-th waiting frame. */
    public long receivedAddress(final int i)
    {
        final int index = (rx.memory.getInt(rx.consumer) + i) & MASK;
        return umem + rx.memory.getLong(rx.desc + index * DESC);
    }

    /** The length of the {@code i}-th waiting frame. */
    public int receivedLength(final int i)
    {
        final int index = (rx.memory.getInt(rx.consumer) + i) & MASK;
        return rx.memory.getInt(rx.desc + index * DESC + 8);
    }

    /** Takes the first {@code count} waiting frames off the RX ring and lends their chunks to the kernel again. */
    public void consumeReceived(final int count)
    {
        final int consumer = rx.memory.getInt(rx.consumer);
        int fillProducer = fill.memory.getInt(fill.producer);
        for (int i = 0; i < count; i++)
        {
            final long offset = rx.memory.getLong(rx.desc + ((consumer + i) & MASK) * DESC);
            fill.memory.putLong(fill.desc + (fillProducer & MASK) * 8, offset & ~(long)(CHUNK - 1));
            fillProducer++;
        }
        rx.memory.putIntOrdered(rx.consumer, consumer + count);
        fill.memory.putIntOrdered(fill.producer, fillProducer);
    }

    // --------------------------------------------------------------------------------------------- transmit

    /**
     * A free chunk's UMEM address to write a frame into, or 0 when every chunk is in flight. Reclaims the chunks the
     * kernel has sent first.
     */
    public long transmitBuffer()
    {
        if (freeTxCount == 0)
        {
            reclaim();
        }
        return freeTxCount == 0 ? 0 : umem + freeTx[freeTxCount - 1];
    }

    /**
     * Queues the frame written at {@link #transmitBuffer()} ({@code length} bytes) on the TX ring; sends nothing yet
     * ({@link #kick()}). False when the ring is full (the chunk stays free).
     */
    public boolean queueTransmit(final int length)
    {
        final int producer = tx.memory.getInt(tx.producer);
        if (producer - tx.memory.getIntVolatile(tx.consumer) >= RING)
        {
            return false;
        }
        final long offset = freeTx[--freeTxCount];
        final int at = tx.desc + (producer & MASK) * DESC;
        tx.memory.putLong(at, offset);
        tx.memory.putInt(at + 8, length);
        tx.memory.putInt(at + 12, 0);
        tx.memory.putIntOrdered(tx.producer, producer + 1);
        return true;
    }

    /**
     * Has the kernel send what the TX ring holds, when it asks to be woken (copy mode always does). In copy mode a
     * wake-up sends at most 32 frames, so it is repeated until the ring is empty.
     */
    public boolean kick()
    {
        try
        {
            for (int attempt = 0; attempt < RING / 32 + 1; attempt++)
            {
                if (tx.memory.getIntVolatile(tx.consumer) == tx.memory.getInt(tx.producer) ||
                    (tx.memory.getIntVolatile(tx.flags) & XDP_RING_NEED_WAKEUP) == 0)
                {
                    return true;
                }
                final long rc = UringSys.LIBC.syscall(SYS_SENDTO, fd, 0, 0, MSG_DONTWAIT, 0, 0);
                if (rc < 0)
                {
                    final int errno = Natives.errno();
                    return errno == 11 || errno == 16 || errno == 105; // EAGAIN, EBUSY, ENOBUFS: sent at the next kick
                }
            }
            return true;
        }
        finally
        {
            // copy mode completes what a wake-up sent before it returns: the chunks go back on top of the stack,
            // so the next frames reuse the same few cache lines instead of walking all 2048 chunks
            reclaim();
        }
    }

    /** Chunks the kernel has sent go back to the free stack. */
    private void reclaim()
    {
        final int consumer = completion.memory.getInt(completion.consumer);
        final int available = completion.memory.getIntVolatile(completion.producer) - consumer;
        for (int i = 0; i < available; i++)
        {
            freeTx[freeTxCount++] = completion.memory.getLong(completion.desc + ((consumer + i) & MASK) * 8);
        }
        completion.memory.putIntOrdered(completion.consumer, consumer + available);
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    public void close()
    {
        Natives.close(fd);
        for (final Ring ring : new Ring[] {rx, tx, fill, completion})
        {
            munmap(ring.address, ring.length);
        }
        munmap(umemMapping, umemMappingLength);
    }

    private static long hugePageAligned(final long address)
    {
        return (address + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    }

    /**
     * Asks for 2 MiB pages under the UMEM, then faults it all in. With 4 KiB pages every chunk is a page of its own
     * and the fill ring cycles through 2048 of them, more than the TLB holds; eight huge pages cover all 4096. On
     * this machine it made no measurable difference at 64-byte frames (the kernel's own per-frame work dominates),
     * and it costs nothing. Where transparent huge pages are off (or the kernel predates MADV_POPULATE_WRITE, 5.14)
     * the UMEM stays on small pages: the first refusal is ignored, the second falls back to touching each page.
     */
    private static void backWithHugePages(final long umem, final long length)
    {
        UringSys.LIBC.syscall(SYS_MADVISE, umem, length, MADV_HUGEPAGE, 0, 0, 0);
        if (UringSys.LIBC.syscall(SYS_MADVISE, umem, length, MADV_POPULATE_WRITE, 0, 0, 0) < 0)
        {
            for (long page = 0; page < length; page += 4096)
            {
                UnsafeAccess.UNSAFE.putByte(umem + page, (byte)0);
            }
        }
    }

    private static long mmap(final long address, final long length, final int prot, final int flags, final int fd,
        final long offset, final String what) throws IOException
    {
        final long rc = UringSys.LIBC.syscall(UringSys.SYS_MMAP, address, length, prot, flags, fd, offset);
        if (rc < 0 && rc > -4096)
        {
            throw new IOException("mmap of the AF_XDP " + what + " (" + length + " bytes): errno " + Natives.errno());
        }
        return rc;
    }

    private static void munmap(final long address, final long length)
    {
        if (address != 0 && length > 0)
        {
            UringSys.LIBC.syscall(UringSys.SYS_MUNMAP, address, length, 0, 0, 0, 0);
        }
    }
}
