package io.berth.dataplane;

/**
 * What the owner worker's port table holds for a port another worker owns ({@link PortWorker}): transmitting
 * to it hands the packet over on the link's egress ring. A unicast packet goes itself ({@link #handOff}, no
 * copy: 64 KiB TSO frames cross as a handle); a flood copy is copied into a fresh slot first, since the same
 * packet also goes to other ports. The owner never reads it: its frames reach the owner on the received ring.
 * <p>
 * Owned by the owner worker's thread. Its counters are the real port's, written by the port worker; the
 * owner only reads them (a write the owner cannot hand over is a drop in the transmit stage's counters).
 */
public final class RemotePort implements Port
{
    private final Port port;
    private final ShardLink link;

    public RemotePort(final Port port, final ShardLink link)
    {
        this.port = port;
        this.link = link;
    }

    /** The port the other worker reads and writes. */
    public Port port()
    {
        return port;
    }

    public ShardLink link()
    {
        return link;
    }

    @Override
    public int id()
    {
        return port.id();
    }

    @Override
    public String name()
    {
        return port.name();
    }

    @Override
    public int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        return 0; // the port worker reads it
    }

    @Override
    public boolean handOff(final PacketPool pool, final int handle)
    {
        if (pool.trace(handle) != 0)
        {
            return false; // berth trace reports the packet's end after the send: it goes as a copy
        }
        pool.egress(handle, port.id());
        pool.location(handle, PacketPool.OUTSIDE); // the graph's recovery must not release what is not its own
        if (!link.egress.offer(handle))
        {
            return false;
        }
        link.handedOver();
        return true;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        final int copy = pool.allocate();
        if (copy == PacketPool.NO_PACKET)
        {
            return false;
        }
        final int length = PacketPool.VNET_HDR_LEN + pool.frameLength(handle);
        pool.buffer().putBytes(pool.vnetOffset(copy), pool.buffer(), pool.vnetOffset(handle), length);
        pool.frameLength(copy, pool.frameLength(handle));
        pool.inPort(copy, pool.inPort(handle));
        pool.egress(copy, port.id());
        if (!link.egress.offer(copy))
        {
            pool.release(copy);
            return false;
        }
        link.handedOver();
        return true;
    }

    @Override
    public boolean offloads()
    {
        return port.offloads();
    }

    @Override
    public int pollFd()
    {
        return -1; // never registered with the owner's poller
    }

    @Override
    public PortCounters counters()
    {
        return port.counters();
    }

    @Override
    public void close()
    {
        // the port is closed by whoever attached it, after both workers let it go
    }
}
