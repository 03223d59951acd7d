package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l2.L2Drops;
import io.berth.l3.frag.FragmentCounter;
import io.berth.l3.frag.FragmentCounters;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Forwards IPv4 between networks, the host link and the uplink: picks the egress port and next-hop MAC,
 * rewrites the Ethernet header, decrements TTL (checksum updated incrementally) and answers with ICMP where the
 * packet cannot go on. Keeps Docker's isolation: no routing from one bridge network into another unless the
 * connection was published (DNAT), and internal networks never reach the uplink. Worker thread.
 */
public final class RouteNode extends Node
{
    /**
     * Says whether a packet may enter a bridge network it does not come from (another network, or the outside):
     * true for published (DNAT) connections and for replies to connections the network opened.
     */
    @FunctionalInterface
    public interface CrossNetworkPermit
    {
        boolean permits(PacketPool pool, int handle);
    }

    /**
     * Told about every packet routing refuses, before it is dropped or turned into an ICMP error: connection
     * tracking forgets a connection whose first packet went nowhere (Linux never confirms such an entry), so
     * refused traffic cannot fill the table.
     */
    @FunctionalInterface
    public interface RefusalListener
    {
        void refused(PacketPool pool, int handle);
    }

    private final Router router;
    private final CrossNetworkPermit permit;
    private final RefusalListener refusals;
    private final Arc next = declareArc("next");
    private final Arc tx = declareArc("tx");
    /** ICMP fragmentation-needed errors, to be translated back (RELATED) before they leave; else {@code tx}. */
    private final Arc fragNeeded = declareOptionalArc("frag-needed");
    private PortTable mtus;
    private FragmentCounters fragmentCounters;
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private NeighborResolver resolver;
    private final IcmpErrors icmpErrors = new IcmpErrors();
    private final TcpResets tcpResets = new TcpResets();
    private final Responder responder = new Responder();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    /** Arcs: {@code next} takes routed packets (source NAT, then transmit), {@code tx} ICMP errors and echo replies. */
    public RouteNode(final Router router, final CrossNetworkPermit permit)
    {
        this(router, permit, (pool, handle) -> { });
    }

    public RouteNode(final Router router, final CrossNetworkPermit permit, final RefusalListener refusals)
    {
        super("route", DropReason.SPOOFED_SOURCE, L3Drops.ISOLATED_NETWORKS, L3Drops.NEIGHBOR_UNRESOLVED,
            L3Drops.INTERNAL_NETWORK, L3Drops.LOCAL_UNHANDLED, DropReason.NO_ROUTE, L3Drops.TTL_EXCEEDED,
            L3Drops.FRAG_NEEDED, L2Drops.ISOLATED, L2Drops.LAN_L3_BROADCAST);
        this.router = router;
        this.permit = permit;
        this.refusals = refusals;
    }

    /** Setup time: the egress ports' MTUs, for DF packets too large for them (without it none is checked). */
    public void mtus(final PortTable ports, final FragmentCounters counters)
    {
        this.mtus = ports;
        this.fragmentCounters = counters;
    }

    /** Setup time: the resolver needs this node's index, so it is set after both exist. */
    public void resolver(final NeighborResolver resolver)
    {
        this.resolver = resolver;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        long now = 0;
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            ethernet.wrap(buffer, pool.frameOffset(handle));
            ipv4.wrap(buffer, ethernet.payloadOffset());
            final int destination = ipv4.destination();
            final int fromDomain = pool.domain(handle);
            if (isSpoofed(pool.inPort(handle), fromDomain, ipv4.source()))
            {
                refusals.refused(pool, handle);
                graph.drop(handle, DropReason.SPOOFED_SOURCE);
                continue;
            }
            if (fromDomain != Router.NONE && router.isLan(fromDomain) && router.isBroadcastFor(fromDomain, destination))
            {
                refusals.refused(pool, handle);
                graph.drop(handle, L2Drops.LAN_L3_BROADCAST); // a LAN network's router forwards no broadcast
                continue;
            }
            final int toDomain = router.domainOf(destination);

            final long neighbor;
            final long sourceMac;
            if (toDomain != Router.NONE && destination != router.gatewayIp(toDomain))
            {
                final int inPort = pool.inPort(handle);
                final boolean fromOutside = inPort == router.uplinkPort() || router.isLanRouter(inPort);
                // an ipvlan L3 network is routed from its own LAN (that is its point: no NAT, no port mapping)
                final boolean fromItsLan = inPort == router.lanRouterOf(toDomain);
                if (((fromDomain != Router.NONE && fromDomain != toDomain) || (fromOutside && !fromItsLan))
                    && !permit.permits(pool, handle))
                {
                    refusals.refused(pool, handle);
                    graph.drop(handle, L3Drops.ISOLATED_NETWORKS); // outside: only replies and published ports
                    continue;
                }
                if (fromDomain == toDomain && router.isIsolated(toDomain))
                {
                    refusals.refused(pool, handle);
                    graph.drop(handle, L2Drops.ISOLATED); // ipvlan private
                    continue;
                }
                if (ipv4.ttl() <= 1)
                {
                    timeExceeded(pool, handle, fromDomain); // TTL first, as Linux does
                    continue;
                }
                neighbor = router.neighbor(destination);
                if (neighbor == Router.NO_NEIGHBOR)
                {
                    unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_HOST_UNREACHABLE, L3Drops.NEIGHBOR_UNRESOLVED);
                    continue;
                }
                sourceMac = router.gatewayMac(toDomain);
            }
            else if (router.hostPort() != Router.NONE && destination == router.hostIp())
            {
                neighbor = router.neighbor(destination);
                sourceMac = router.hostLinkMac();
            }
            else if (router.isLocal(destination))
            {
                if (fromDomain != Router.NONE && router.isInternal(fromDomain))
                {
                    // an internal network has no way out at all: of berthd's addresses only its own gateway
                    unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_NET_UNREACHABLE, L3Drops.INTERNAL_NETWORK);
                    continue;
                }
                if (pool.inPort(handle) != router.uplinkPort() && answerEcho(pool, buffer, handle, destination, fromDomain))
                {
                    continue; // a container or the host pinging the uplink address or another network's gateway
                }
                unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_PORT_UNREACHABLE, L3Drops.LOCAL_UNHANDLED);
                continue;
            }
            else if (router.lanRouterOf(fromDomain) != Router.NONE)
            {
                // an ipvlan L3 network's way out is its parent's LAN, as its own address there, never translated
                final int lanPort = router.lanRouterOf(fromDomain);
                final int nextHop = router.lanNextHop(lanPort, destination);
                if (nextHop == 0)
                {
                    unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_NET_UNREACHABLE, DropReason.NO_ROUTE);
                    continue;
                }
                if (ipv4.ttl() <= 1)
                {
                    timeExceeded(pool, handle, fromDomain);
                    continue;
                }
                neighbor = router.neighbor(nextHop);
                if (neighbor == Router.NO_NEIGHBOR || Router.neighborPort(neighbor) != lanPort)
                {
                    if (now == 0)
                    {
                        now = System.currentTimeMillis();
                    }
                    resolver.park(handle, nextHop, lanPort, now);
                    continue;
                }
                sourceMac = router.lanRouterMac(lanPort);
            }
            else
            {
                // the outside: only through the uplink, never for internal networks, never outside to outside
                if (router.uplinkPort() == Router.NONE || pool.inPort(handle) == router.uplinkPort()
                    || router.isLanRouter(pool.inPort(handle)))
                {
                    unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_NET_UNREACHABLE, DropReason.NO_ROUTE);
                    continue;
                }
                if (fromDomain != Router.NONE && router.isInternal(fromDomain))
                {
                    unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_NET_UNREACHABLE, L3Drops.INTERNAL_NETWORK);
                    continue;
                }
                final int nextHop = router.uplinkNextHop(destination);
                if (nextHop == 0)
                {
                    unreachable(pool, handle, fromDomain, IcmpFlyweight.CODE_NET_UNREACHABLE, DropReason.NO_ROUTE);
                    continue;
                }
                if (ipv4.ttl() <= 1)
                {
                    timeExceeded(pool, handle, fromDomain);
                    continue;
                }
                neighbor = router.neighbor(nextHop);
                if (neighbor == Router.NO_NEIGHBOR)
                {
                    if (now == 0)
                    {
                        now = System.currentTimeMillis();
                    }
                    resolver.park(handle, nextHop, now); // comes back here once ARP answers
                    continue;
                }
                sourceMac = router.uplinkMac();
            }
            if (ipv4.ttl() <= 1)
            {
                timeExceeded(pool, handle, fromDomain);
                continue;
            }
            if (tooBigWithDf(pool, handle, Router.neighborPort(neighbor)))
            {
                fragmentationNeeded(pool, handle, fromDomain, mtus.mtu(Router.neighborPort(neighbor)));
                continue;
            }
            decrementTtl();
            ethernet.destination(Router.neighborMac(neighbor)).source(sourceMac);
            pool.egress(handle, Router.neighborPort(neighbor));
            graph.enqueue(next, handle);
        }
    }

    /** DF set, not a TSO frame (those are segmented to fit), and larger than the egress port's MTU. */
    private boolean tooBigWithDf(final PacketPool pool, final int handle, final int egressPort)
    {
        if (mtus == null || ipv4.totalLength() <= mtus.mtu(egressPort)
            || (pool.buffer().getShort(ipv4.offset() + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x4000) == 0)
        {
            return false;
        }
        vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
        return !vnet.isSegmented();
    }

    /**
     * RFC 1191: the sender learns the next-hop MTU. Answered from the address the packet reached us by (the
     * uplink's too: path MTU discovery from outside must work), never about an ICMP error; it goes back through
     * NAT ({@code frag-needed} arc) so that a translated sender gets it quoting its own packet.
     */
    private void fragmentationNeeded(final PacketPool pool, final int handle, final int fromDomain, final int mtu)
    {
        refusals.refused(pool, handle);
        final int inPort = pool.inPort(handle);
        final int routerIp;
        final long routerMac;
        if (fromDomain != Router.NONE)
        {
            routerIp = router.gatewayIp(fromDomain);
            routerMac = router.gatewayMac(fromDomain);
        }
        else if (inPort == router.hostPort() && inPort != Router.NONE)
        {
            routerIp = router.hostLinkIp();
            routerMac = router.hostLinkMac();
        }
        else if (inPort == router.uplinkPort() && inPort != Router.NONE)
        {
            routerIp = router.uplinkIp();
            routerMac = router.uplinkMac();
        }
        else
        {
            graph.drop(handle, L3Drops.FRAG_NEEDED);
            return;
        }
        if (ipv4.protocol() == Ipv4Flyweight.PROTO_ICMP && isIcmpError(pool, handle))
        {
            graph.drop(handle, L3Drops.FRAG_NEEDED);
            return;
        }
        graph.countDrop(L3Drops.FRAG_NEEDED);
        fragmentCounters.count(FragmentCounter.FRAG_NEEDED_SENT);
        icmpErrors.rewriteFragmentationNeeded(pool, handle, mtu, routerIp, routerMac);
        graph.enqueue(fragNeeded.connected() ? fragNeeded : tx, handle);
    }

    private boolean answerEcho(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int ourIp, final int fromDomain)
    {
        final long ourMac = fromDomain != Router.NONE ? router.gatewayMac(fromDomain) : router.hostLinkMac();
        if (responder.answerEcho(buffer, pool.frameOffset(handle), ourIp, ourMac) != Responder.ANSWERED)
        {
            return false;
        }
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
        graph.enqueue(tx, handle);
        return true;
    }

    /**
     * Reverse-path check: a container sends only from the address it was given, on the port it was given it on;
     * the uplink and the host link never bring in a container's or berthd's own address.
     */
    private boolean isSpoofed(final int inPort, final int fromDomain, final int source)
    {
        if (fromDomain != Router.NONE)
        {
            final long owner = router.neighbor(source);
            return owner == Router.NO_NEIGHBOR || Router.neighborPort(owner) != inPort;
        }
        return router.domainOf(source) != Router.NONE || router.isLocal(source);
    }

    private void decrementTtl()
    {
        final int ttl = ipv4.ttl();
        final int oldWord = (ttl << 8) | ipv4.protocol();
        ipv4.ttl(ttl - 1);
        ipv4.checksum(Checksums.update16(ipv4.checksum(), oldWord, ((ttl - 1) << 8) | ipv4.protocol()));
    }

    private void timeExceeded(final PacketPool pool, final int handle, final int fromDomain)
    {
        answerWithError(pool, handle, fromDomain, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, L3Drops.TTL_EXCEEDED);
    }

    private void unreachable(final PacketPool pool, final int handle, final int fromDomain, final int code, final DropReason reason)
    {
        answerWithError(pool, handle, fromDomain, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, code, reason);
    }

    /**
     * Counts the drop, then sends the sender an ICMP error from the address it reached us by; never an error
     * about an ICMP error (RFC 1122), and none for TCP/UDP from the outside to a local address (no port scans).
     */
    private void answerWithError(final PacketPool pool, final int handle, final int fromDomain, final int type, final int code, final DropReason reason)
    {
        refusals.refused(pool, handle);
        final boolean icmpError = ipv4.protocol() == Ipv4Flyweight.PROTO_ICMP && isIcmpError(pool, handle);
        final int inPort = pool.inPort(handle);
        if (icmpError || ipv4.isFragment())
        {
            graph.drop(handle, reason);
            return;
        }
        if (inPort == router.uplinkPort())
        {
            // from outside only what a host says about its own closed ports: we route nobody else's traffic
            answerAsHost(pool, handle, reason);
            return;
        }
        final int routerIp;
        final long routerMac;
        if (fromDomain != Router.NONE)
        {
            routerIp = router.gatewayIp(fromDomain);
            routerMac = router.gatewayMac(fromDomain);
        }
        else if (inPort == router.hostPort())
        {
            routerIp = router.hostLinkIp();
            routerMac = router.hostLinkMac();
        }
        else
        {
            graph.drop(handle, reason);
            return;
        }
        graph.countDrop(reason); // the packet itself goes no further: it becomes the ICMP error
        icmpErrors.rewrite(pool, handle, type, code, routerIp, routerMac);
        graph.enqueue(tx, handle);
    }

    /** A closed port on the uplink address: RST for TCP, port unreachable for UDP, as a kernel host answers. */
    private void answerAsHost(final PacketPool pool, final int handle, final DropReason reason)
    {
        if (reason != L3Drops.LOCAL_UNHANDLED || ipv4.destination() != router.uplinkIp())
        {
            graph.drop(handle, reason);
            return;
        }
        final int protocol = ipv4.protocol();
        if (protocol == Ipv4Flyweight.PROTO_TCP && tcpResets.rewrite(pool, handle, router.uplinkMac()))
        {
            graph.countDrop(reason);
            graph.enqueue(tx, handle);
        }
        else if (protocol == Ipv4Flyweight.PROTO_UDP)
        {
            graph.countDrop(reason);
            icmpErrors.rewrite(pool, handle, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, IcmpFlyweight.CODE_PORT_UNREACHABLE,
                router.uplinkIp(), router.uplinkMac());
            graph.enqueue(tx, handle);
        }
        else
        {
            graph.drop(handle, reason);
        }
    }

    private boolean isIcmpError(final PacketPool pool, final int handle)
    {
        final int icmpType = pool.buffer().getByte(ipv4.payloadOffset()) & 0xFF;
        return icmpType != IcmpFlyweight.TYPE_ECHO_REQUEST && icmpType != IcmpFlyweight.TYPE_ECHO_REPLY;
    }
}
