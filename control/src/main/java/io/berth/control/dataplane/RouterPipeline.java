package io.berth.control.dataplane;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounters;
import io.berth.conntrack.ConntrackNode;
import io.berth.conntrack.CtInfo;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.DropCounters;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Poller;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.ParseNode;
import io.berth.dataplane.graph.TxNode;
import io.berth.l2.GatewayNode;
import io.berth.l2.L2ForwardNode;
import io.berth.l2.L2Switch;
import io.berth.l2.MacAging;
import io.berth.l3.NeighborResolver;
import io.berth.l3.RouteNode;
import io.berth.l3.RoutedPortNode;
import io.berth.l3.Router;
import io.berth.nat.DnatNode;
import io.berth.nat.NatCounters;
import io.berth.nat.PortAllocator;
import io.berth.nat.PublishedPorts;
import io.berth.nat.SnatNode;
import io.berth.nat.SnatPolicy;
import org.agrona.concurrent.SystemEpochClock;

/**
 * The whole packet path of one worker, switch and router together:
 * <pre>
 *  parse -> l2-forward --------------------------------------------------------------> tx
 *              |  \-> gateway (ARP/ping for the gateway) ----------------------------> tx
 *              |            \-> conntrack -> dnat -> route -> snat -----------------> tx
 *              \-> routed-port (uplink, berth0: ARP/ping for berthd's addresses) -/
 * </pre>
 * Like Linux, destination NAT happens before routing and source NAT after it. Setup time only; afterwards
 * everything belongs to the worker thread.
 */
final class RouterPipeline
{
    static final int PARSE = 0;
    static final int L2 = 1;
    static final int GATEWAY = 2;
    static final int ROUTED_PORT = 3;
    static final int CONNTRACK = 4;
    static final int DNAT = 5;
    static final int ROUTE = 6;
    static final int SNAT = 7;
    static final int TX = 8;

    final PortTable ports = new PortTable();
    final DropCounters drops = new DropCounters();
    final L2Switch l2 = new L2Switch(ports);
    final Router router = new Router();
    final ConntrackCounters conntrackCounters = new ConntrackCounters();
    final ConnectionTable connections;
    final NatCounters natCounters = new NatCounters();
    final PublishedPorts published = new PublishedPorts();
    final DataplaneWorker worker;
    private final CtInfo ctInfo;

    RouterPipeline(final PacketPool pool, final Poller poller, final int idleTimeoutMs, final DataplaneOptions options)
    {
        connections = new ConnectionTable(options.conntrackMax(), conntrackCounters);
        ctInfo = new CtInfo(pool.capacity());
        final Graph graph = new Graph(pool, drops);
        final RouteNode route = new RouteNode(router, this::mayEnter, this::forgetIfNew, SNAT, TX);
        final NeighborResolver resolver = new NeighborResolver(router, ports, graph, ROUTE);
        route.resolver(resolver);
        add(graph, new ParseNode(L2), PARSE);
        add(graph, new L2ForwardNode(l2, GATEWAY, TX, ROUTED_PORT), L2);
        add(graph, new GatewayNode(l2, TX, CONNTRACK), GATEWAY);
        add(graph, new RoutedPortNode(router, resolver, CONNTRACK, TX), ROUTED_PORT);
        add(graph, new ConntrackNode(connections, ctInfo, options.timeouts(), SystemEpochClock.INSTANCE, true, DNAT), CONNTRACK);
        add(graph, new DnatNode(connections, ctInfo, published, natCounters, ROUTE), DNAT);
        add(graph, route, ROUTE);
        add(graph, new SnatNode(connections, ctInfo, new PortAllocator(connections), this::masqueradeAddress, natCounters, TX), SNAT);
        add(graph, new TxNode(ports), TX);
        worker = new DataplaneWorker("berth-dataplane", pool, graph, ports, poller, idleTimeoutMs, options.spinMicros());
        worker.addHousekeeping(new MacAging(l2));
        worker.addHousekeeping(connections);
        worker.addHousekeeping(resolver);
    }

    private static void add(final Graph graph, final io.berth.dataplane.graph.Node node, final int expectedIndex)
    {
        if (graph.add(node) != expectedIndex)
        {
            throw new IllegalStateException(node.name() + " is not at index " + expectedIndex);
        }
    }

    /** A published (DNAT) connection may enter another network than its sender's. */
    private boolean isPublished(final PacketPool pool, final int handle)
    {
        return ctInfo.isTracked(handle) && connections.hasFlags(ctInfo.entry(handle), ConnectionTable.F_DNAT);
    }

    /**
     * What may enter a network from elsewhere (another network, the outside): published connections, and the
     * replies of connections opened from inside (stateful, like Docker's "ESTABLISHED,RELATED" rule).
     */
    private boolean mayEnter(final PacketPool pool, final int handle)
    {
        return isPublished(pool, handle)
            || (ctInfo.isTracked(handle) && ctInfo.direction(handle) == ConnectionTable.REPLY);
    }

    /** A connection whose first packet routing refused was never really made: forget it. */
    private void forgetIfNew(final PacketPool pool, final int handle)
    {
        if (ctInfo.isTracked(handle) && ctInfo.ctClass(handle) == CtInfo.NEW)
        {
            connections.remove(ctInfo.entry(handle));
            ctInfo.untracked(handle);
        }
    }

    /**
     * MASQUERADE: whatever leaves by the uplink takes the uplink address. Hairpin: a container reaching a
     * published port through berthd's address is masqueraded to the target network's gateway, so the reply comes
     * back through berthd to be translated instead of going straight to the container on the same L2 segment.
     */
    private int masqueradeAddress(final PacketPool pool, final int handle, final int source, final int destination)
    {
        final int egress = pool.egress(handle);
        if (egress == router.uplinkPort() && router.uplinkPort() != Router.NONE)
        {
            return source == router.uplinkIp() ? SnatPolicy.NO_SNAT : router.uplinkIp();
        }
        if (pool.domain(handle) != Router.NONE && isPublished(pool, handle))
        {
            final int toDomain = router.domainOf(destination);
            return toDomain == Router.NONE ? SnatPolicy.NO_SNAT : router.gatewayIp(toDomain);
        }
        return SnatPolicy.NO_SNAT;
    }
}
