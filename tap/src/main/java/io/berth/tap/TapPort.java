package io.berth.tap;

import io.berth.dataplane.PacketPool;

import java.io.IOException;

/**
 * A {@link io.berth.dataplane.Port} over a TAP fd opened with IFF_VNET_HDR (see {@link TapDevice}): every read and write carries a
 * 10-byte virtio-net header in front of the Ethernet frame, which lands exactly where {@link PacketPool} keeps it,
 * so frames move between the kernel and the pool with one syscall and no copy.
 * <p>
 * {@link #receive} and {@link #transmit} run on the owning worker thread only; {@link #close} on the control path
 * after the worker dropped the port; {@link #counters()} may be read by anyone.
 */
public final class TapPort extends VnetFdPort
{

    /** Wraps an fd from {@link TapDevice#open}; the port owns it from now on and closes it in {@link #close}. */
    public TapPort(final int id, final String name, final int fd)
    {
        super(id, name, checkFd(fd, name));
    }

    private static int checkFd(final int fd, final String name)
    {
        if (fd < 0)
        {
            throw new IllegalArgumentException("bad fd " + fd + " for port " + name);
        }
        return fd;
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
    long readFrame(final long address)
    {
        return Natives.read(fd, address, RECEIVE_CAPACITY);
    }

    /** A TAP read fails as a whole (EBADFD: detached, EIO: down): nothing per frame. */
    @Override
    boolean isPerFrameError(final long negativeErrno)
    {
        return false;
    }

    /** Closes the fd. A persistent device stays (the owner decides with {@link TapDevice#setPersistent}). */
    @Override
    public void close()
    {
        super.close();
    }

    @Override
    public String toString()
    {
        return "TapPort{id=" + id() + ", name=" + name() + ", fd=" + fd + '}';
    }
}
