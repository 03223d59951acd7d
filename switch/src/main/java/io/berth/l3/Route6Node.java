package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Forwards IPv6 between dual-stack networks, the host link and the uplink (issue 27), as {@link RouteNode} does
 * IPv4: picks the egress port and next-hop MAC, rewrites the Ethernet header and decrements the hop limit (no
 * header checksum in IPv6), and answers with ICMPv6 where the packet cannot go on: time exceeded, destination
 * unreachable (no route, prohibited, address, port), and Packet Too Big where it does not fit the egress MTU
 * (routers never fragment IPv6, so this is what path MTU discovery hears). Docker's isolation holds as for IPv4:
 * nothing enters a network from another one or from the outside but replies and published connections
 * ({@link RouteNode.CrossNetworkPermit}); internal networks never reach the uplink. Link-local, multicast and
 * unspecified addresses are never routed. Worker thread; allocation-free.
 */
public final class Route6Node extends Node
{
    private final Router6 router6;
    private final Router router;
    private final RouteNode.CrossNetworkPermit permit;
    private final RouteNode.RefusalListener refusals;
    private final Ipv6Neighbors neighbors;
    private final Arc next = declareArc("next");
    private final Arc tx = declareArc("tx");
    private final Icmp6Errors errors = new Icmp6Errors();
    private final Ipv6Responder responder = new Ipv6Responder();
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final long[] nextHop = new long[2];
    private PortTable mtus;

    /** Arcs: {@code next} takes routed packets (NAT66, then transmit), {@code tx} ICMPv6 errors and echo replies. */
    public Route6Node(final Router6 router6, final Ipv6Neighbors neighbors, final RouteNode.CrossNetworkPermit permit,
        final RouteNode.RefusalListener refusals)
    {
        super("route6", DropReason.SPOOFED_SOURCE, L3Drops.ISOLATED_NETWORKS, L3Drops.NEIGHBOR_UNRESOLVED,
            L3Drops.INTERNAL_NETWORK, L3Drops.LOCAL_UNHANDLED, DropReason.NO_ROUTE, Route6Drops.HOP_LIMIT_EXCEEDED,
            Route6Drops.PACKET_TOO_BIG, Route6Drops.NOT_ROUTABLE, Route6Drops.ADDRESS_UNREACHABLE,
            DropReason.L4_TRUNCATED);
        this.router6 = router6;
        this.router = router6.ipv4();
        this.neighbors = neighbors;
        this.permit = permit;
        this.refusals = refusals;
    }

    /** Setup time: the egress ports' MTUs, for Packet Too Big. */
    public void mtus(final PortTable ports)
    {
        this.mtus = ports;
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
            final int frame = pool.frameOffset(handle);
            final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
            if (pool.frameLength(handle) < EthernetFlyweight.HEADER_LENGTH + Ipv6Header.LENGTH
                || !Ipv6Header.isIpv6(buffer, ip))
            {
                graph.drop(handle, DropReason.L4_TRUNCATED);
                continue;
            }
            final long sourceHi = Ipv6Header.sourceHi(buffer, ip);
            final long sourceLo = Ipv6Header.sourceLo(buffer, ip);
            final long destinationHi = Ipv6Header.destinationHi(buffer, ip);
            final long destinationLo = Ipv6Header.destinationLo(buffer, ip);
            if (!routable(sourceHi, sourceLo) || !routable(destinationHi, destinationLo))
            {
                refusals.refused(pool, handle);
                graph.drop(handle, Route6Drops.NOT_ROUTABLE);
                continue;
            }
            final int inPort = pool.inPort(handle);
            final int fromDomain = pool.domain(handle);
            if (isSpoofed(inPort, fromDomain, sourceHi, sourceLo))
            {
                refusals.refused(pool, handle);
                graph.drop(handle, DropReason.SPOOFED_SOURCE);
                continue;
            }
            final int toDomain = router6.domainOf(destinationHi, destinationLo);
            final int egress;
            final long nextMac;
            final long sourceMac;
            if (toDomain != Router.NONE && !router6.isGateway(toDomain, destinationHi, destinationLo))
            {
                final boolean fromOutside = inPort == router.uplinkPort();
                if (((fromDomain != Router.NONE && fromDomain != toDomain) || fromOutside) && !permit.permits(pool, handle))
                {
                    refusals.refused(pool, handle);
                    graph.drop(handle, L3Drops.ISOLATED_NETWORKS); // outside: only replies and published ports
                    continue;
                }
                if (Ipv6Header.hopLimit(buffer, ip) <= 1)
                {
                    error(pool, handle, fromDomain, Icmp6Errors.TIME_EXCEEDED, 0, 0, Route6Drops.HOP_LIMIT_EXCEEDED);
                    continue;
                }
                final int ipv4 = router6.ipv4Of(toDomain, destinationLo);
                final long neighbor = ipv4 == 0 ? Router.NO_NEIGHBOR : router.neighbor(ipv4);
                if (neighbor == Router.NO_NEIGHBOR)
                {
                    error(pool, handle, fromDomain, Icmp6Errors.DESTINATION_UNREACHABLE,
                        Icmp6Errors.CODE_ADDRESS_UNREACHABLE, 0, Route6Drops.ADDRESS_UNREACHABLE);
                    continue;
                }
                egress = Router.neighborPort(neighbor);
                nextMac = Router.neighborMac(neighbor);
                sourceMac = router.gatewayMac(toDomain);
            }
            else if (router6.hasHostLink() && router6.isHost(destinationHi, destinationLo))
            {
                final long host = router.neighbor(router.hostIp());
                egress = router.hostPort();
                nextMac = Router.neighborMac(host);
                sourceMac = router.hostLinkMac();
            }
            else if (router6.isLocal(destinationHi, destinationLo))
            {
                if (fromDomain != Router.NONE && router.isInternal(fromDomain))
                {
                    error(pool, handle, fromDomain, Icmp6Errors.DESTINATION_UNREACHABLE,
                        Icmp6Errors.CODE_ADMINISTRATIVELY_PROHIBITED, 0, L3Drops.INTERNAL_NETWORK);
                    continue;
                }
                if (answerEcho(pool, buffer, handle, frame, destinationHi, destinationLo, fromDomain))
                {
                    continue; // the host link's, the uplink's or another network's gateway address, pinged
                }
                error(pool, handle, fromDomain, Icmp6Errors.DESTINATION_UNREACHABLE,
                    Icmp6Errors.CODE_PORT_UNREACHABLE, 0, L3Drops.LOCAL_UNHANDLED);
                continue;
            }
            else
            {
                // the outside: only through the uplink, never for internal networks, never outside to outside
                if (!router6.hasUplink() || inPort == router.uplinkPort()
                    || !router6.uplinkNextHop(destinationHi, destinationLo, nextHop))
                {
                    error(pool, handle, fromDomain, Icmp6Errors.DESTINATION_UNREACHABLE, Icmp6Errors.CODE_NO_ROUTE, 0,
                        DropReason.NO_ROUTE);
                    continue;
                }
                if (fromDomain != Router.NONE && router.isInternal(fromDomain))
                {
                    error(pool, handle, fromDomain, Icmp6Errors.DESTINATION_UNREACHABLE,
                        Icmp6Errors.CODE_ADMINISTRATIVELY_PROHIBITED, 0, L3Drops.INTERNAL_NETWORK);
                    continue;
                }
                if (Ipv6Header.hopLimit(buffer, ip) <= 1)
                {
                    error(pool, handle, fromDomain, Icmp6Errors.TIME_EXCEEDED, 0, 0, Route6Drops.HOP_LIMIT_EXCEEDED);
                    continue;
                }
                final long mac = neighbors.mac(nextHop[0], nextHop[1]);
                if (mac == Ipv6Neighbors.NO_MAC)
                {
                    if (now == 0)
                    {
                        now = System.currentTimeMillis();
                    }
                    neighbors.park(handle, nextHop[0], nextHop[1], now); // comes back here once NS is answered
                    continue;
                }
                egress = router.uplinkPort();
                nextMac = mac;
                sourceMac = router.uplinkMac();
            }
            if (Ipv6Header.hopLimit(buffer, ip) <= 1)
            {
                error(pool, handle, fromDomain, Icmp6Errors.TIME_EXCEEDED, 0, 0, Route6Drops.HOP_LIMIT_EXCEEDED);
                continue;
            }
            if (tooBig(pool, handle, buffer, ip, egress))
            {
                error(pool, handle, fromDomain, Icmp6Errors.PACKET_TOO_BIG, 0, mtus.mtu(egress),
                    Route6Drops.PACKET_TOO_BIG);
                continue;
            }
            buffer.putByte(ip + Ipv6Header.HOP_LIMIT_OFFSET, (byte)(Ipv6Header.hopLimit(buffer, ip) - 1));
            writeMacs(buffer, frame, nextMac, sourceMac);
            pool.egress(handle, egress);
            graph.enqueue(next, handle);
        }
    }

    private static boolean routable(final long hi, final long lo)
    {
        return !Ipv6Header.isLinkLocal(hi) && !Ipv6Header.isMulticast(hi) && (hi != 0 || (lo != 0 && lo != 1));
    }

    /**
     * A container sends only from the address it was given, on the port it was given it on (port security checked
     * that already at L2; this is the router's own reverse-path check); the uplink and the host link never bring
     * in a container's or berthd's own address.
     */
    private boolean isSpoofed(final int inPort, final int fromDomain, final long hi, final long lo)
    {
        final int sourceDomain = router6.domainOf(hi, lo);
        if (fromDomain != Router.NONE)
        {
            if (sourceDomain != fromDomain)
            {
                return true;
            }
            final int ipv4 = router6.ipv4Of(sourceDomain, lo);
            final long owner = ipv4 == 0 ? Router.NO_NEIGHBOR : router.neighbor(ipv4);
            return owner == Router.NO_NEIGHBOR || Router.neighborPort(owner) != inPort;
        }
        return sourceDomain != Router.NONE || router6.isLocal(hi, lo);
    }

    /**
     * Larger than the egress port's MTU and not a GSO frame (those are segmented to fit); a datagram berth
     * reassembled is cut back into its fragments on the way out, so their size is what must fit.
     */
    private boolean tooBig(final PacketPool pool, final int handle, final UnsafeBuffer buffer, final int ip,
        final int egress)
    {
        if (mtus == null)
        {
            return false;
        }
        if (pool.fragmentSize(handle) != 0)
        {
            return pool.fragmentSize(handle) > mtus.mtu(egress);
        }
        if (Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip) <= mtus.mtu(egress))
        {
            return false;
        }
        vnet.wrap(buffer, pool.vnetOffset(handle));
        return !vnet.isSegmented();
    }

    private boolean answerEcho(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int frame,
        final long hi, final long lo, final int fromDomain)
    {
        final long ourMac = routerMac(pool.inPort(handle), fromDomain);
        if (ourMac == 0 || responder.answer(buffer, frame, pool.frameLength(handle), hi, lo, ourMac, 0, 0, false)
            != Ipv6Responder.ANSWERED)
        {
            return false;
        }
        pool.frameLength(handle, responder.answerLength());
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
        graph.enqueue(tx, handle);
        return true;
    }

    /**
     * Counts the drop and sends the sender an ICMPv6 error from the router's address on the link it came by; never
     * an error about an ICMPv6 error (RFC 4443 2.4), and none to the outside (we route nobody else's traffic).
     */
    private void error(final PacketPool pool, final int handle, final int fromDomain, final int type, final int code,
        final int word, final DropReason reason)
    {
        refusals.refused(pool, handle);
        final UnsafeBuffer buffer = pool.buffer();
        final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
        final int inPort = pool.inPort(handle);
        final long routerMac = routerMac(inPort, fromDomain);
        if (routerMac == 0 || isIcmpError(buffer, ip, pool.frameOffset(handle) + pool.frameLength(handle))
            || (inPort == router.uplinkPort() && type != Icmp6Errors.PACKET_TOO_BIG))
        {
            graph.drop(handle, reason);
            return;
        }
        final long routerHi;
        final long routerLo;
        if (fromDomain != Router.NONE)
        {
            routerHi = router6.gatewayHi(fromDomain);
            routerLo = router6.gatewayLo(fromDomain);
        }
        else if (inPort == router.hostPort())
        {
            routerHi = router6.hostLinkHi();
            routerLo = router6.hostLinkLo();
        }
        else
        {
            routerHi = router6.uplinkHi();
            routerLo = router6.uplinkLo();
        }
        graph.countDrop(reason); // the packet itself goes no further: it becomes the error
        errors.rewrite(pool, handle, type, code, word, routerHi, routerLo, routerMac);
        graph.enqueue(tx, handle);
    }

    private long routerMac(final int inPort, final int fromDomain)
    {
        if (fromDomain != Router.NONE)
        {
            return router6.hasIpv6(fromDomain) ? router.gatewayMac(fromDomain) : 0;
        }
        if (inPort == router.hostPort() && inPort != Router.NONE)
        {
            return router6.hasHostLink() ? router.hostLinkMac() : 0;
        }
        if (inPort == router.uplinkPort() && inPort != Router.NONE)
        {
            return router6.hasUplink() ? router.uplinkMac() : 0;
        }
        return 0;
    }

    private static boolean isIcmpError(final UnsafeBuffer buffer, final int ip, final int end)
    {
        final long upper = Ipv6Header.upperLayer(buffer, ip, end);
        if (upper < 0)
        {
            return upper == Ipv6Header.MALFORMED;
        }
        return Ipv6Header.protocolOf(upper) == Ipv6Header.PROTO_ICMPV6 && Ipv6Header.offsetOf(upper) < end
            && (buffer.getByte(Ipv6Header.offsetOf(upper)) & 0xFF) < 128;
    }

    private static void writeMacs(final UnsafeBuffer buffer, final int frame, final long destination, final long source)
    {
        buffer.putShort(frame, (short)(destination >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 2, (int)destination, ByteOrder.BIG_ENDIAN);
        buffer.putShort(frame + 6, (short)(source >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 8, (int)source, ByteOrder.BIG_ENDIAN);
    }
}
