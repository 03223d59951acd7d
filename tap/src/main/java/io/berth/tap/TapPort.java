package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;

import java.io.IOException;

/**
 * A {@link Port} over a TAP fd opened with IFF_VNET_HDR (see {@link TapDevice}): every read and write carries a
 * 10-byte virtio-net header in front of the Ethernet frame, which lands exactly where {@link PacketPool} keeps it,
 * so frames move between the kernel and the pool with one syscall and no copy.
 * <p>
 * {@link #receive} and {@link #transmit} run on the owning worker thread only; {@link #close} on the control path
 * after the worker dropped the port; {@link #counters()} may be read by anyone.
 */
public final class TapPort implements Port
{
    private static final int VNET = PacketPool.VNET_HDR_LEN;

    private final int id;
    private final String name;
    private final int fd;
    private final PortCounters counters = new PortCounters();
    private volatile boolean closed;

    /** Wraps an fd from {@link TapDevice#open}; the port owns it from now on and closes it in {@link #close}. */
    public TapPort(final int id, final String name, final int fd)
    {
        if (fd < 0)
        {
            throw new IllegalArgumentException("bad fd " + fd + " for port " + name);
        }
        this.id = id;
        this.name = name;
        this.fd = fd;
    }

    /** Opens (or, with {@code attachExisting}, re-attaches to) TAP {@code device} in the caller's namespace. */
    public static TapPort open(final int id, final String device, final boolean attachExisting) throws IOException
    {
        final int fd = TapDevice.open(device, attachExisting);
        try
        {
            return new TapPort(id, TapDevice.name(fd), fd);
        }
        catch (final IOException | RuntimeException e)
        {
            Natives.close(fd);
            throw e;
        }
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String name()
    {
        return name;
    }

    public int fd()
    {
        return fd;
    }

    @Override
    public int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        final long base = pool.baseAddress();
        int added = 0;
        while (added < limit)
        {
            final int handle = pool.allocate();
            if (handle == PacketPool.NO_PACKET)
            {
                counters.increment(PortCounters.RX_NO_BUFFER);
                break;
            }
            // the kernel writes [virtio_net_hdr | frame] straight into the slot, header where the pool expects it
            final long n = Natives.read(fd, base + pool.receiveOffset(handle), PacketPool.receiveCapacity());
            if (n < VNET)
            {
                pool.release(handle);
                if (n == -Errors.EAGAIN || n == 0)
                {
                    break; // drained: the normal way out
                }
                counters.increment(PortCounters.RX_ERRORS);
                if (n < 0)
                {
                    break; // EBADFD (device gone) etc.: retrying now would spin on the same error
                }
                continue; // a runt without a full header: drop it, keep reading
            }
            final int frameLength = (int)n - VNET;
            pool.frameLength(handle, frameLength);
            pool.inPort(handle, id);
            into.add(handle);
            counters.received(frameLength);
            added++;
        }
        return added;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        final int length = pool.frameLength(handle);
        final long n = Natives.write(fd, pool.baseAddress() + pool.vnetOffset(handle), length + VNET);
        if (n != length + VNET)
        {
            // EAGAIN (tx queue full), EIO (device down), EINVAL (bad vnet header): drop, never block the worker
            counters.increment(PortCounters.TX_ERRORS);
            return false;
        }
        counters.transmitted(length);
        return true;
    }

    @Override
    public boolean offloads()
    {
        return true;
    }

    @Override
    public int pollFd()
    {
        return fd;
    }

    @Override
    public PortCounters counters()
    {
        return counters;
    }

    /** Closes the fd. A persistent device stays (the owner decides with {@link TapDevice#setPersistent}). */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Natives.close(fd);
        }
    }

    @Override
    public String toString()
    {
        return "TapPort{id=" + id + ", name=" + name + ", fd=" + fd + '}';
    }
}
