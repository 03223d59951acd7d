package io.berth.tap.xdp;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortBase;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.offload.TcpSegmenter;
import io.berth.tap.Natives;
import org.agrona.UnsafeAccess;

import java.io.IOException;

/**
 * A {@link io.berth.dataplane.Port} over an AF_XDP socket on a veth end: the XDP program redirects every frame the
 * container sends into the RX ring, which {@link #receive} drains in a batch with no system call at all, copying
 * each frame into a pool slot; {@link #transmit} copies a frame into a free UMEM chunk, queues it on the TX ring and
 * wakes the kernel once per pass ({@link #flushTransmits()}, called by whoever transmitted). The wire has no virtio-net header: a partial checksum
 * is completed and a TSO super-frame (from a TAP container, berth0 or the uplink's GRO) cut into segments here
 * ({@link TcpSegmenter}), so the port takes what a TAP port takes; what it receives is complete, since the
 * container's end has its transmit offloads off. {@link #receive} and {@link #transmit} run on the owning worker thread only; {@link #close}
 * on the control path after the worker dropped the port.
 */
public final class XdpPort extends PortBase
{
    private final XskSocket socket;
    private final XdpRedirect redirect;
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    /** Segments carry no virtio-net header here: only its room is kept in front of each. */
    private final TcpSegmenter segmenter = new TcpSegmenter(PacketPool.VNET_HDR_LEN);
    private final TcpSegmenter.SegmentSink queueSegment = this::queue;
    private volatile boolean closed;

    private XdpPort(final int id, final String name, final XskSocket socket, final XdpRedirect redirect)
    {
        super(id, name);
        this.socket = socket;
        this.redirect = redirect;
    }

    /**
     * Opens the port on interface {@code ifname} in the calling thread's namespace: the socket first, then the
     * program, then the socket into the program's map, so that no frame is redirected before a socket takes it.
     */
    public static XdpPort open(final int id, final String ifname) throws IOException
    {
        final int ifindex = Natives.ifNameToIndex(ifname);
        final XskSocket socket = XskSocket.open(ifindex, ifname);
        XdpRedirect redirect = null;
        try
        {
            redirect = XdpRedirect.attach(ifindex, ifname);
            redirect.redirectTo(socket.fd(), ifname);
            return new XdpPort(id, ifname, socket, redirect);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (redirect != null)
            {
                redirect.close();
            }
            socket.close();
            throw ex;
        }
    }

    @Override
    public int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        final int waiting = Math.min(socket.received(), limit);
        int taken = 0;
        int added = 0;
        for (; taken < waiting; taken++)
        {
            final int length = socket.receivedLength(taken);
            if (!fits(length))
            {
                counters.increment(PortCounters.RX_ERRORS);
                continue;
            }
            final int handle = pool.allocate();
            if (handle == PacketPool.NO_PACKET)
            {
                counters.increment(PortCounters.RX_NO_BUFFER);
                break; // the rest stay in the ring for the next cycle
            }
            copyIn(pool, handle, taken, length);
            into.add(handle);
            added++;
        }
        socket.consumeReceived(taken);
        return added;
    }

    /** One frame into a packet the caller holds (a port worker's lent slot); the chunk goes back to the kernel. */
    @Override
    public int receiveOne(final PacketPool pool, final int handle)
    {
        if (socket.received() == 0)
        {
            return NOTHING;
        }
        final int length = socket.receivedLength(0);
        if (!fits(length))
        {
            socket.consumeReceived(1);
            counters.increment(PortCounters.RX_ERRORS);
            return SKIPPED;
        }
        copyIn(pool, handle, 0, length);
        socket.consumeReceived(1);
        return RECEIVED;
    }

    /** Whether a received frame fits a pool slot and holds an Ethernet header at least. */
    private static boolean fits(final int length)
    {
        return length >= 14 && length <= PacketPool.receiveCapacity() - PacketPool.VNET_HDR_LEN;
    }

    /** The {@code i}-th waiting frame into the packet, with no virtio-net header, from this port; counted. */
    private void copyIn(final PacketPool pool, final int handle, final int i, final int length)
    {
        UnsafeAccess.UNSAFE.copyMemory(socket.receivedAddress(i), pool.baseAddress() + pool.frameOffset(handle), length);
        pool.clearVnetHeader(handle);
        pool.frameLength(handle, length);
        pool.inPort(handle, id());
        counters.received(length);
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
        if (vnet.isSegmented())
        {
            final int sent = segmenter.segment(pool, handle, queueSegment);
            if (sent < 0)
            {
                counters.increment(PortCounters.TX_ERRORS); // a super-frame that is not IPv4/TCP: cannot be cut
                return false;
            }
            return sent > 0;
        }
        if ((vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0)
        {
            vnet.completeChecksum(pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle));
        }
        return queue(pool, handle);
    }

    /** Frames wait in the TX ring until the pass ends: one wake-up of the kernel for all of them. */
    @Override
    public boolean defersTransmits()
    {
        return true;
    }

    @Override
    public void flushTransmits()
    {
        kicked();
    }

    /** Copies the packet's frame into a free chunk and puts it on the TX ring; counted either way. */
    private boolean queue(final PacketPool pool, final int handle)
    {
        final int length = pool.frameLength(handle);
        final long buffer = length > XskSocket.MAX_FRAME ? 0 : socket.transmitBuffer();
        if (buffer == 0)
        {
            counters.increment(PortCounters.TX_ERRORS); // too long for a chunk, or every chunk in flight: drop
            return false;
        }
        UnsafeAccess.UNSAFE.copyMemory(pool.baseAddress() + pool.frameOffset(handle), buffer, length);
        if (!socket.queueTransmit(length))
        {
            counters.increment(PortCounters.TX_ERRORS);
            return false;
        }
        counters.transmitted(length);
        return true;
    }

    private boolean kicked()
    {
        if (!socket.kick())
        {
            counters.increment(PortCounters.TX_ERRORS);
            return false;
        }
        return true;
    }

    /** Takes partial checksums and TSO frames as a TAP port does, finishing them in software. */
    @Override
    public boolean offloads()
    {
        return true;
    }

    /** The socket is readable when the RX ring has frames. */
    @Override
    public int pollFd()
    {
        return socket.fd();
    }

    /** The RX ring's indices are in memory berthd maps: a polling worker reads them, not epoll. */
    @Override
    public boolean pollsInMemory()
    {
        return true;
    }

    @Override
    public boolean framesWaiting()
    {
        return socket.received() > 0;
    }

    /** Detaches the program (frames then go to the kernel again) and closes the socket and its memory. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            redirect.close();
            socket.close();
        }
    }

    @Override
    public String toString()
    {
        return "XdpPort{id=" + id() + ", name=" + name() + ", fd=" + socket.fd() + '}';
    }
}
