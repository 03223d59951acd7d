package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortBase;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.WriteBatch;

/**
 * A {@link Port} over a file descriptor whose every read and write is [virtio_net_hdr (10) | Ethernet frame]: a
 * TAP with IFF_VNET_HDR or an AF_PACKET socket with PACKET_VNET_HDR. The kernel writes straight into the pool slot
 * where {@link PacketPool} keeps header and frame, and reads straight out of it: one syscall a frame, no copy.
 * Subclasses say only how one frame is read and which read errors leave later frames readable.
 * <p>
 * {@link #receive} and {@link #transmit} run on the owning worker thread only; {@link #close} on the control path
 * after the worker dropped the port; {@link #counters()} may be read by anyone.
 */
abstract class VnetFdPort extends PortBase
{
    static final int VNET = PacketPool.VNET_HDR_LEN;
    static final long RECEIVE_CAPACITY = PacketPool.receiveCapacity();

    final int fd;
    private volatile boolean closed;

    VnetFdPort(final int id, final String name, final int fd)
    {
        super(id, name);
        this.fd = fd;
    }

    /** Reads one [header | frame] into {@code address} (room: {@link #RECEIVE_CAPACITY}); its length or -errno. */
    abstract long readFrame(long address);

    /** True when a failed read consumed one bad frame and the next may be fine; false ends the burst. */
    abstract boolean isPerFrameError(long negativeErrno);

    /** A frame's port for the graph: this port's id, another port's it stands for, or {@link #FILTERED}. */
    static final int FILTERED = -2;

    /**
     * The in-port of the frame just read at {@code frame} (a pool offset), {@code frameLength} bytes: this port's
     * own id unless a subclass demultiplexes (a parent interface hands each VLAN to its own network's port).
     */
    int inPortOf(final PacketPool pool, final int frame, final int frameLength)
    {
        return id();
    }

    public final int fd()
    {
        return fd;
    }

    @Override
    public final int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        int added = 0;
        // every frame taken off the fd, good or bad, counts against the limit: a burst of bad frames cannot hold
        // the worker longer than a burst of good ones
        for (int attempt = 0; attempt < limit; attempt++)
        {
            final int handle = pool.allocate();
            if (handle == PacketPool.NO_PACKET)
            {
                counters.increment(PortCounters.RX_NO_BUFFER);
                break;
            }
            final int outcome = receiveOne(pool, handle);
            if (outcome == RECEIVED)
            {
                into.add(handle);
                added++;
                continue;
            }
            pool.release(handle);
            if (outcome != SKIPPED)
            {
                break;
            }
        }
        return added;
    }

    @Override
    public final int receiveOne(final PacketPool pool, final int handle)
    {
        final long n = readFrame(pool.baseAddress() + pool.receiveOffset(handle));
        if (n < VNET || n > RECEIVE_CAPACITY)
        {
            if (n == -Errors.EAGAIN || n == 0)
            {
                return NOTHING; // drained: the normal way out
            }
            counters.increment(PortCounters.RX_ERRORS);
            if (n < 0 && !isPerFrameError(n))
            {
                return STOPPED; // device gone, link down, bad fd: retrying now would spin on the same error
            }
            return SKIPPED; // a runt, a truncated frame, or one the header cannot describe: next one
        }
        final int frameLength = (int)n - VNET;
        counters.received(frameLength);
        final int inPort = inPortOf(pool, pool.frameOffset(handle), frameLength);
        if (inPort == FILTERED)
        {
            counters.increment(PortCounters.RX_FILTERED);
            return SKIPPED;
        }
        pool.frameLength(handle, frameLength);
        pool.inPort(handle, inPort);
        return RECEIVED;
    }

    @Override
    public final boolean transmit(final PacketPool pool, final int handle)
    {
        final int length = pool.frameLength(handle);
        final long n = Natives.write(fd, pool.baseAddress() + pool.vnetOffset(handle), length + VNET);
        if (n != length + VNET)
        {
            // EAGAIN/ENOBUFS (queue full), EIO/ENETDOWN (device down), EINVAL (a vnet header the kernel rejects):
            // drop, never block the worker
            counters.increment(PortCounters.TX_ERRORS);
            return false;
        }
        counters.transmitted(length);
        return true;
    }

    @Override
    public final boolean transmitLater(final PacketPool pool, final int handle, final WriteBatch writes, final int tag)
    {
        final int length = pool.frameLength(handle);
        return writes.queue(this, fd, pool.baseAddress() + pool.vnetOffset(handle), length + VNET, length, tag);
    }

    /** A TAP's writev and an AF_PACKET socket's both take one frame from many pieces. */
    @Override
    public final boolean gathers()
    {
        return true;
    }

    @Override
    public final boolean transmitGathered(final long iovecs, final int count, final int frameLength)
    {
        final long n = Natives.writev(fd, iovecs, count);
        if (n != frameLength + VNET)
        {
            counters.increment(PortCounters.TX_ERRORS); // as in transmit: drop, never block
            return false;
        }
        counters.transmitted(frameLength);
        return true;
    }

    @Override
    public final boolean offloads()
    {
        return true;
    }

    @Override
    public final int pollFd()
    {
        return fd;
    }

    /** Closes the fd (idempotent). */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Natives.close(fd);
        }
    }
}
