package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Housekeeping;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.graph.Node;

/**
 * ARP for next hops on the uplink. A packet whose next hop's MAC is unknown waits here (a few, like the kernel's
 * neighbour queue) while an ARP request goes out; when the answer is learned the waiting packets go back to the
 * route stage, and packets that waited longer than {@link #WAIT_MILLIS} are dropped. Worker thread.
 */
public final class NeighborResolver implements Housekeeping
{
    static final int CAPACITY = 64;
    static final long WAIT_MILLIS = 1000;
    static final long REQUEST_INTERVAL_MILLIS = 250;
    private static final int ARP_FRAME = EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.LENGTH;

    private final Router router;
    private final PortTable ports;
    private final Node routeNode;
    private final int[] handles = new int[CAPACITY];
    private final int[] nextHops = new int[CAPACITY];
    /** The routed port each waits to be sent on (the uplink, or an ipvlan L3 network's LAN router port). */
    private final int[] viaPorts = new int[CAPACITY];
    private final long[] since = new long[CAPACITY];
    private int count;
    private int lastRequested;
    private long lastRequestAt = Long.MIN_VALUE;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    /** @param routeNode where answered packets go back to; its drops are counted for it. */
    public NeighborResolver(final Router router, final PortTable ports, final Node routeNode)
    {
        this.router = router;
        this.ports = ports;
        this.routeNode = routeNode;
    }

    /** Keeps the packet until {@code nextHop} answers ARP (or drops it when the queue is full). */
    public void park(final int handle, final int nextHop, final long nowMillis)
    {
        park(handle, nextHop, router.uplinkPort(), nowMillis);
    }

    /** Like {@link #park(int, int, long)}, for a next hop on routed port {@code port}. */
    public void park(final int handle, final int nextHop, final int port, final long nowMillis)
    {
        if (count == CAPACITY)
        {
            routeNode.graph().drop(handle, L3Drops.NEIGHBOR_UNRESOLVED);
            return;
        }
        routeNode.graph().pool().location(handle, PacketPool.PARKED); // ours now: a crash of the route node must not free it
        handles[count] = handle;
        nextHops[count] = nextHop;
        viaPorts[count] = port;
        since[count] = nowMillis;
        count++;
        if (nextHop != lastRequested || nowMillis - lastRequestAt >= REQUEST_INTERVAL_MILLIS)
        {
            request(nextHop, port, nowMillis);
        }
    }

    /**
     * Asks for {@code nextHop}'s MAC without parking a packet (a VXLAN tunnel's remote VTEP): at most one request
     * per {@link #REQUEST_INTERVAL_MILLIS} for the same address.
     */
    public void solicit(final int nextHop, final long nowMillis)
    {
        if (nextHop != lastRequested || nowMillis - lastRequestAt >= REQUEST_INTERVAL_MILLIS)
        {
            request(nextHop, router.uplinkPort(), nowMillis);
        }
    }

    /** A neighbour became known: its waiting packets go back to routing (from a stage before it). */
    public void learned(final int address)
    {
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (nextHops[i] == address)
            {
                routeNode.graph().enqueue(routeNode.index(), handles[i]);
            }
            else
            {
                handles[kept] = handles[i];
                nextHops[kept] = nextHops[i];
                viaPorts[kept] = viaPorts[i];
                since[kept] = since[i];
                kept++;
            }
        }
        count = kept;
    }

    public int waiting()
    {
        return count;
    }

    @Override
    public int doWork(final long nowMillis)
    {
        int work = 0;
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (nowMillis - since[i] > WAIT_MILLIS)
            {
                routeNode.graph().drop(routeNode, handles[i], L3Drops.NEIGHBOR_UNRESOLVED);
                work++;
            }
            else
            {
                if (nowMillis - lastRequestAt >= REQUEST_INTERVAL_MILLIS)
                {
                    request(nextHops[i], viaPorts[i], nowMillis); // ask again: the first request may have been lost
                }
                handles[kept] = handles[i];
                nextHops[kept] = nextHops[i];
                viaPorts[kept] = viaPorts[i];
                since[kept] = since[i];
                kept++;
            }
        }
        count = kept;
        return work;
    }

    /** Broadcasts "who has nextHop" from berth's address on {@code via}; a pool packet, sent and released at once. */
    void request(final int nextHop, final int via, final long nowMillis)
    {
        lastRequested = nextHop;
        lastRequestAt = nowMillis;
        final Port uplink = via < 0 ? null : ports.get(via);
        final PacketPool pool = routeNode.graph().pool();
        if (uplink == null)
        {
            return;
        }
        final int handle = pool.allocate();
        if (handle == PacketPool.NO_PACKET)
        {
            return;
        }
        pool.clearVnetHeader(handle);
        final int frame = pool.frameOffset(handle);
        ethernet.wrap(pool.buffer(), frame)
            .destination(EthernetFlyweight.BROADCAST).source(router.lanRouterMac(via)).etherType(EthernetFlyweight.TYPE_ARP);
        arp.wrap(pool.buffer(), ethernet.payloadOffset())
            .fill(ArpFlyweight.OP_REQUEST, router.lanRouterMac(via), router.lanRouterIp(via), 0L, nextHop);
        pool.frameLength(handle, ARP_FRAME);
        uplink.transmit(pool, handle);
        pool.release(handle);
    }
}
