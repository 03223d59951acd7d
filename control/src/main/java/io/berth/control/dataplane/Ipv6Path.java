package io.berth.control.dataplane;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackNode;
import io.berth.conntrack.CtInfo;
import io.berth.conntrack.Ipv6Tokens;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.WorkerCommands;
import io.berth.dataplane.graph.GraphBuilder;
import io.berth.l3.Ipv6Neighbors;
import io.berth.l3.Route6Node;
import io.berth.l3.RouteNode;
import io.berth.l3.RoutedPortNode;
import io.berth.l3.Router;
import io.berth.l3.Router6;
import io.berth.l3.Router6Commands;
import io.berth.l3.frag.Fragment6Node;
import io.berth.l3.frag.FragmentCounters;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.nat.Masquerade6Policy;
import io.berth.nat.Nat66InNode;
import io.berth.nat.Nat66OutNode;
import io.berth.nat.NatCounters;
import io.berth.nat.PortAllocator;
import io.berth.nat.PublishedPorts6;

/**
 * The packet path's IPv6 routing (issue 27), beside IPv4's in {@link PacketPath}: IPv6 leaves the conntrack stage
 * (tracked in the same table, its addresses as {@link Ipv6Tokens}) by its {@code ipv6} arc:
 * <pre>
 *   local-delivery -fragments-> defrag -> conntrack (IPv4 and IPv6 fragments reassembled first)
 *   conntrack -ipv6-> nat66-in -> route6 -> nat66-out -> ip6-fragment -> tx
 *                                  route6 (ICMPv6 errors, echo replies) -> tx
 * </pre>
 * The gateway hands it IPv6 for other addresses than its own, the routed ports IPv6 for berthd's MAC that is not
 * neighbour discovery or ping. Setup time only; afterwards the tables belong to the worker.
 */
final class Ipv6Path
{
    final Router6 router6;
    final Ipv6Neighbors neighbors;
    final Ipv6Tokens tokens;
    final PublishedPorts6 published = new PublishedPorts6();
    private final Router router;
    private final Route6Node route6;

    Ipv6Path(final Router router, final PortTable ports, final ConnectionTable connections,
        final RouteNode.CrossNetworkPermit permit, final RouteNode.RefusalListener refusals, final int neighborMax)
    {
        this.router = router;
        router6 = new Router6(router);
        neighbors = new Ipv6Neighbors(router6, ports, neighborMax);
        tokens = new Ipv6Tokens(Math.max(1024, connections.capacity() * 2));
        route6 = new Route6Node(router6, neighbors, permit, refusals);
        route6.mtus(ports);
        neighbors.routeNode(route6);
        connections.onKeys(tokens);
    }

    void contribute(final GraphBuilder builder, final ConnectionTable connections, final CtInfo ctInfo,
        final ConntrackNode conntrack, final RoutedPortNode routedPort, final NatCounters natCounters,
        final FragmentCounters fragmentCounters)
    {
        conntrack.trackIpv6(tokens);
        routedPort.ipv6(router6, neighbors);
        builder.add(new Nat66InNode(connections, ctInfo, tokens, published, natCounters))
            .add(route6)
            .add(new Nat66OutNode(connections, ctInfo, tokens, new PortAllocator(connections), new Policy(),
                natCounters))
            .connect("conntrack", "ipv6", "nat66-in")
            .connect("nat66-in", "next", "route6")
            .connect("route6", "next", "nat66-out")
            .add(new Fragment6Node(fragmentCounters))
            .connect("route6", "tx", "tx")
            .connect("nat66-out", "next", "ip6-fragment")
            .connect("ip6-fragment", "next", "tx");
    }

    void started(final DataplaneWorker worker)
    {
        worker.addHousekeeping(neighbors);
    }

    Router6Commands commands(final WorkerCommands commands)
    {
        return new Router6Commands(router6, neighbors, commands);
    }

    /**
     * A unique-local network's connection leaving by the uplink leaves as the uplink's address, unless told not
     * to; a container's connection to a published port (hairpin) as the target network's gateway address.
     */
    private final class Policy implements Masquerade6Policy
    {
        @Override
        public boolean masquerade(final PacketPool pool, final int handle, final boolean published,
            final long[] address)
        {
            final int domain = pool.domain(handle);
            if (published && domain != Router.NONE)
            {
                final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
                final int target = router6.domainOf(Ipv6Header.destinationHi(pool.buffer(), ip),
                    Ipv6Header.destinationLo(pool.buffer(), ip));
                if (target == Router.NONE)
                {
                    return false;
                }
                address[0] = router6.gatewayHi(target);
                address[1] = router6.gatewayLo(target);
                return true;
            }
            if (pool.egress(handle) != router.uplinkPort() || !router6.hasIpv6(domain) || !router6.masquerades(domain))
            {
                return false;
            }
            address[0] = router6.uplinkHi();
            address[1] = router6.uplinkLo();
            return true;
        }
    }
}
