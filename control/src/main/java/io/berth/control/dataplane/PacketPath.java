package io.berth.control.dataplane;

import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounters;
import io.berth.conntrack.ConntrackDrops;
import io.berth.conntrack.ConntrackNode;
import io.berth.conntrack.CtInfo;
import io.berth.conntrack.MidstreamPickup;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Poller;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCommands;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.WorkerCommands;
import io.berth.dataplane.WriteBatch;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.GraphBuilder;
import io.berth.dataplane.graph.LocalDeliveryNode;
import io.berth.dataplane.graph.ParseNode;
import io.berth.dataplane.graph.TxNode;
import io.berth.l2.GatewayNode;
import io.berth.l2.L2Commands;
import io.berth.l2.L2Drops;
import io.berth.l2.L2ForwardNode;
import io.berth.l2.L2Switch;
import io.berth.l2.MacAging;
import io.berth.l2.PortSecurity;
import io.berth.l2.PortSecurityNode;
import io.berth.l2.TunnelSourceCheck;
import io.berth.l3.L3Drops;
import io.berth.l3.NeighborResolver;
import io.berth.l3.RouteNode;
import io.berth.l3.RoutedPortNode;
import io.berth.l3.Router;
import io.berth.l3.Route6Drops;
import io.berth.l3.Router6Commands;
import io.berth.l3.RouterCommands;
import io.berth.l3.frag.DefragNode;
import io.berth.l3.frag.FragmentCounters;
import io.berth.l3.frag.FragmentNode;
import io.berth.l3.frag.Reassembly;
import io.berth.nat.DnatNode;
import io.berth.nat.NatBindings;
import io.berth.nat.NatCommands;
import io.berth.nat.NatCounters;
import io.berth.nat.NatDrops;
import io.berth.nat.PortAllocator;
import io.berth.nat.PublishedPorts;
import io.berth.nat.RelatedErrorNode;
import io.berth.nat.SnatNode;
import io.berth.nat.SnatPolicy;
import io.berth.tap.AfPacketPort;
import io.berth.tap.LanPort;
import io.berth.vxlan.TunnelPortGuardNode;
import io.berth.vxlan.VxlanCommands;
import io.berth.vxlan.VxlanDecapNode;
import io.berth.vxlan.VxlanDrops;
import io.berth.vxlan.VxlanTunnelPort;
import io.berth.vxlan.VxlanTunnels;
import io.berth.vxlan.wireguard.WireGuardCommands;
import io.berth.vxlan.wireguard.WireGuardDevice;
import io.berth.vxlan.wireguard.WireGuardDrops;
import io.berth.vxlan.wireguard.WireGuardReceiveNode;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The production packet path of one worker, built by name. This is the graph berthd runs, and the one the
 * zero-allocation tests, the fuzz harness and the JMH pipeline benchmarks run:
 * <pre>
 *  parse -> port-security -> l2-forward ---------------------------------------------------------------> tx
 *              |  \-> gateway (ARP/ping for the gateway) -----------------------------------------> tx
 *              |            \-> local-delivery -> conntrack -> dnat -> route -> snat -> ip-fragment -> tx
 *              |                         \-> defrag -/   (IPv4 fragments only)
 *              \-> routed-port (uplink, berth0: ARP/ping     route -frag-needed-> related-error -/ ^
 *                  for berthd's addresses) -/                 route (ICMP errors, echo replies) ---/
 *   IPv6: conntrack -ipv6-> nat66-in -> route6 -> nat66-out -> ip6-fragment -> tx   ({@link Ipv6Path})
 * </pre>
 * Like Linux, routed fragments are reassembled before conntrack, destination NAT happens before routing and
 * source NAT after it, and what is larger than the egress MTU is fragmented on the way out. Drivers and services add nodes
 * through {@link Contribution}s before the build (the overlay splices vxlan-decap onto parse.next). Setup
 * time only; afterwards the tables belong to the worker thread and are reached through the typed proxies.
 */
public final class PacketPath
{
    /**
     * A feature's nodes and arcs, added to the builder before the graph is built, with the path's tables at hand
     * (VPP's feature arcs): the overlay's stages are one ({@link #OVERLAY}); a test or a service may add more.
     */
    @FunctionalInterface
    public interface Contribution
    {
        void contribute(PacketPath path, GraphBuilder builder);
    }

    /**
     * The overlay's stages, only in a berthd that can have overlays (--store and --uplink): VXLAN datagrams for
     * this host's VTEP (or sealed in WireGuard to its port, for encrypted networks) become their inner frames, held
     * to the store's endpoints, before port security (a
     * pass-through until an overlay network exists); a container's datagram to a VTEP's tunnel port, which would
     * leave masqueraded to this host's VTEP address, is dropped before routing.
     */
    static final Contribution OVERLAY = (path, builder) ->
    {
        builder.splice("parse", "next", new VxlanDecapNode(path.tunnels, path.router::uplinkPort,
            new TunnelSourceCheck(path.l2, path.portSecurity)::check), "next");
        // ahead of vxlan-decap: a sealed datagram leaves wg-receive as the VXLAN datagram it carried
        builder.splice("parse", "next", new WireGuardReceiveNode(path.wireGuard, path.router::uplinkPort), "next");
        builder.splice("gateway", "route", new TunnelPortGuardNode(path.tunnels), "next");
    };

    final PortTable ports = new PortTable();
    final DropCounters drops = new DropCounters();
    final L2Switch l2;
    final PortSecurity portSecurity = new PortSecurity();
    final Router router;
    final ConntrackCounters conntrackCounters = new ConntrackCounters();
    final ConnectionTable connections;
    final NatCounters natCounters = new NatCounters();
    final PublishedPorts published = new PublishedPorts();
    final NatBindings natBindings;
    final FragmentCounters fragmentCounters = new FragmentCounters();
    final Reassembly reassembly;
    final LocalDeliveryNode localDelivery = new LocalDeliveryNode();
    /** Overlay networks by VNI and their tunnel ports (worker thread). */
    final VxlanTunnels tunnels = new VxlanTunnels();
    /** This VTEP's WireGuard interface: encrypted overlays' tunnels seal through it (worker thread). */
    final WireGuardDevice wireGuard;
    private final EpochClock clock;
    /**
     * Every module's drop reasons, in this order in {@code berth counters}: naming each module's list declares its
     * reasons before the first packet, whether or not this berthd builds that module's nodes.
     */
    static final List<DropReason> DROP_REASONS = Stream.of(DropReason.BASE, L2Drops.ALL, L3Drops.ALL,
        Route6Drops.ALL, ConntrackDrops.ALL, NatDrops.ALL, VxlanDrops.ALL, WireGuardDrops.ALL).flatMap(List::stream).toList();

    final DataplaneWorker worker;
    final Graph graph;
    final CtInfo ctInfo;
    private final NeighborResolver resolver;
    /** IPv6 routing, NAT66 and neighbour discovery on the uplink (issue 27). */
    final Ipv6Path ipv6;
    private Router6Commands router6Commands;

    private L2Commands l2Commands;
    private VxlanCommands vxlanCommands;
    private WireGuardCommands wireGuardCommands;
    private RouterCommands routerCommands;
    private NatCommands natCommands;
    private final TxNode tx;
    private PortCommands portCommands;
    private WorkerCommands commands;

    /** Hands the writes of ports that batch to {@code batch} ({@code berthd --io-uring}); before the worker runs. */
    public void batchWrites(final WriteBatch batch)
    {
        tx.writeBatch(batch);
    }

    public PacketPath(final PacketPool pool, final Poller poller, final int idleTimeoutMs, final DataplaneOptions options)
    {
        this(pool, poller, idleTimeoutMs, options, SystemEpochClock.INSTANCE, List.of());
    }

    public PacketPath(final PacketPool pool, final Poller poller, final int idleTimeoutMs, final DataplaneOptions options,
        final EpochClock clock, final List<Contribution> contributions)
    {
        this.clock = clock;
        l2 = new L2Switch(ports, 1 << 16, L2Switch.DEFAULT_MAX_MACS_PER_PORT, options.macAgeSeconds());
        router = new Router(options.neighborMax());
        connections = new ConnectionTable(options.conntrackMax(), conntrackCounters);
        natBindings = new NatBindings(options.conntrackMax());
        connections.onRemoval(natBindings);
        ctInfo = new CtInfo(pool.capacity());
        final RouteNode route = new RouteNode(router, this::mayEnter, this::forgetIfNew);
        route.mtus(ports, fragmentCounters);
        // a small in-memory pool (tests) gets a bound it can hold; berthd's own pool is checked with --frag-max
        final int fragMax = Math.min(options.fragMax(), pool.capacity() / 2);
        reassembly = new Reassembly(pool, fragMax, Math.min(fragMax, options.fragMaxPerSource()), fragmentCounters);
        resolver = new NeighborResolver(router, ports, route);
        route.resolver(resolver);
        tx = new TxNode(ports);
        wireGuard = new WireGuardDevice(pool, this::vtepNextHopMac);
        ipv6 = new Ipv6Path(router, ports, connections, this::mayEnter, this::forgetIfNew, options.neighborMax());
        final ConntrackNode conntrack = new ConntrackNode(connections, ctInfo, options.timeouts(), clock, true, new PublishedPickup(router, ipv6.router6, published));
        final RoutedPortNode routedPort = new RoutedPortNode(router, resolver);
        final GraphBuilder builder = new GraphBuilder()
            .add(new ParseNode())
            .add(new PortSecurityNode(portSecurity, l2))
            .add(new L2ForwardNode(l2))
            .add(new GatewayNode(l2))
            .add(routedPort)
            .add(localDelivery)
            .add(new DefragNode(reassembly, clock))
            .add(conntrack)
            .add(new DnatNode(connections, ctInfo, published, natCounters, natBindings))
            .add(route)
            .add(new SnatNode(connections, ctInfo, new PortAllocator(connections).reserveUdp(this::isTunnelUdpPort), this::masqueradeAddress, natCounters,
                natBindings))
            .add(new RelatedErrorNode(ctInfo))
            .add(new FragmentNode(ports, fragmentCounters))
            .add(tx)
            .connect("parse", "next", "port-security")
            .connect("port-security", "next", "l2-forward")
            .connect("l2-forward", "gateway", "gateway")
            .connect("l2-forward", "tx", "tx")
            .connect("l2-forward", "routed-port", "routed-port")
            .connect("gateway", "tx", "tx")
            .connect("gateway", "route", "local-delivery")
            .connect("routed-port", "next", "local-delivery")
            .connect("routed-port", "tx", "tx")
            .connect("local-delivery", "next", "conntrack")
            .connect("local-delivery", "fragments", "defrag")
            .connect("defrag", "next", "conntrack")
            .connect("local-delivery", "tx", "tx")
            .connect("conntrack", "next", "dnat")
            .connect("dnat", "next", "route")
            .connect("route", "next", "snat")
            .connect("route", "tx", "ip-fragment")
            .connect("route", "frag-needed", "related-error")
            .connect("related-error", "next", "snat")
            .connect("snat", "next", "ip-fragment")
            .connect("ip-fragment", "next", "tx");
        ipv6.contribute(builder, connections, ctInfo, conntrack, routedPort, natCounters, fragmentCounters);
        if (options.overlay())
        {
            OVERLAY.contribute(this, builder);
        }
        for (final Contribution contribution : contributions)
        {
            contribution.contribute(this, builder);
        }
        graph = builder.build(pool, drops);
        worker = new DataplaneWorker("berth-dataplane", pool, graph, ports, poller, idleTimeoutMs, options.spinMicros());
        worker.addHousekeeping(new MacAging(l2));
        worker.addHousekeeping(connections);
        worker.addHousekeeping(reassembly);
        worker.addHousekeeping(resolver);
        worker.addHousekeeping(router.learnedNeighbors());
        ipv6.started(worker);
        if (options.overlay())
        {
            worker.addHousekeeping(wireGuard); // handshake retries, rekeys, keepalives, expiry
        }
        commandsThrough(worker);
    }

    /** Sets where the proxies send their commands: the worker's queue, or {@link WorkerCommands#DIRECT}. */
    public void commandsThrough(final WorkerCommands commands)
    {
        this.commands = commands;
        l2Commands = new L2Commands(l2, portSecurity, commands);
        vxlanCommands = new VxlanCommands(tunnels, commands);
        wireGuardCommands = new WireGuardCommands(wireGuard, commands);
        routerCommands = new RouterCommands(router, commands);
        router6Commands = ipv6.commands(commands);
        natCommands = new NatCommands(connections, published, commands, natBindings).ipv6(ipv6.tokens, ipv6.published);
        portCommands = new PortCommands(worker, commands);
    }

    public DataplaneWorker worker()
    {
        return worker;
    }

    public Graph graph()
    {
        return graph;
    }

    public PortTable ports()
    {
        return ports;
    }

    public DropCounters drops()
    {
        return drops;
    }

    public ConntrackCounters conntrackCounters()
    {
        return conntrackCounters;
    }

    public NatCounters natCounters()
    {
        return natCounters;
    }

    public L2Commands l2Commands()
    {
        return l2Commands;
    }

    public RouterCommands routerCommands()
    {
        return routerCommands;
    }

    public Router6Commands router6Commands()
    {
        return router6Commands;
    }

    public NatCommands natCommands()
    {
        return natCommands;
    }

    public PortCommands portCommands()
    {
        return portCommands;
    }

    /** Registration of local handlers runs on the worker too. */
    public LocalDeliveryNode localDelivery()
    {
        return localDelivery;
    }

    /**
     * The MAC to send to for a remote VTEP (a VXLAN tunnel's next hop on the uplink): the VTEP's own on the
     * uplink's subnet, else the uplink gateway's; unknown yet, an ARP request goes out and the packet is dropped
     * (the control plane solicits each VTEP as its tunnel is made, so this is rare). Worker thread.
     */
    long vtepNextHopMac(final int vtep)
    {
        if (router.uplinkPort() == Router.NONE)
        {
            return VxlanTunnelPort.NextHop.UNRESOLVED;
        }
        final int hop = router.uplinkNextHop(vtep);
        if (hop == 0)
        {
            return VxlanTunnelPort.NextHop.UNRESOLVED;
        }
        final long neighbor = router.neighbor(hop);
        if (neighbor == Router.NO_NEIGHBOR)
        {
            resolver.solicit(hop, clock.time());
            return VxlanTunnelPort.NextHop.UNRESOLVED;
        }
        return Router.neighborMac(neighbor);
    }

    /** This host's VTEP: the uplink address, on VXLAN's IANA port (and whatever port an overlay adds). */
    public CompletableFuture<Void> localVtep(final int address)
    {
        return vxlanCommands.localVtep(address, VxlanFlyweight.IANA_PORT);
    }

    /** Bridge domain {@code domain} is VXLAN network {@code vni}, its datagrams on {@code udpPort}. */
    public CompletableFuture<Void> addOverlay(final int vni, final int domain, final int udpPort, final boolean encrypted)
    {
        return vxlanCommands.addNetwork(vni, domain, udpPort, encrypted);
    }

    public WireGuardCommands wireGuardCommands()
    {
        return wireGuardCommands;
    }

    /** UDP ports a masqueraded datagram never gets: VXLAN's and WireGuard's, whose replies would be taken as theirs. */
    private boolean isTunnelUdpPort(final int port)
    {
        return tunnels.isTunnelUdpPort(port) || (wireGuard.active() && port == wireGuard.listenPort());
    }

    public CompletableFuture<Void> removeOverlay(final int vni)
    {
        return vxlanCommands.removeNetwork(vni);
    }

    /**
     * A tunnel port to one remote VTEP of an overlay: it sends by the uplink, is a member of the domain's flood
     * list (head-end replication) and the in-port of what comes from that VTEP. Its VTEP is asked for at once.
     */
    public VxlanTunnelPort newTunnelPort(final int portId, final int vni, final int remoteVtep, final boolean encrypted)
    {
        final Port uplink = ports.get(router.uplinkPort());
        if (uplink == null)
        {
            throw new IllegalStateException("an overlay tunnel needs the uplink");
        }
        return new VxlanTunnelPort(portId, vni, remoteVtep, tunnels, uplink, router.uplinkMac(),
            this::vtepNextHopMac, encrypted ? wireGuard : null);
    }

    public CompletableFuture<Void> attachTunnel(final VxlanTunnelPort port,
        final int domain, final int mtu)
    {
        return commands.run(() -> onAttachTunnel(port, domain, mtu));
    }

    public CompletableFuture<Void> detachTunnel(final VxlanTunnelPort port)
    {
        return commands.run(() -> onDetachTunnel(port));
    }

    /**
     * A LAN network's port to its parent: a member of the domain (its LAN port), never read itself; the parent hands
     * it the frames of its VLAN.
     */
    public CompletableFuture<Void> attachLanPort(final LanPort port,
        final AfPacketPort parent, final int domain, final int mtu)
    {
        return commands.run(() -> onAttachLanPort(port, parent, domain, mtu));
    }

    /** An ipvlan L3 network's port on its parent's LAN: a routed port in no domain, its VLAN's frames handed to it. */
    public CompletableFuture<Void> attachLanRouterPort(final LanPort port,
        final AfPacketPort parent, final int mtu)
    {
        return commands.run(() -> onAttachLanRouterPort(port, parent, mtu));
    }

    public CompletableFuture<Void> detachLanPort(final LanPort port,
        final AfPacketPort parent)
    {
        return commands.run(() -> onDetachLanPort(port, parent));
    }

    /** The body of {@link #attachTunnel}, on the worker that owns the ports, the switch and the tunnels. */
    private void onAttachTunnel(final VxlanTunnelPort port,
        final int domain, final int mtu)
    {
        ports.mtu(port.id(), mtu);
        ports.put(port); // never read: not registered with the poller
        try
        {
            l2.addPort(port.id(), domain);
        }
        catch (final RuntimeException e)
        {
            ports.remove(port.id());
            throw e;
        }
        tunnels.addTunnel(port.vni(), port.remoteVtep(), port.id());
        vtepNextHopMac(port.remoteVtep());
    }

    /** The body of {@link #detachTunnel}, on the worker that owns the ports, the switch and the tunnels. */
    private void onDetachTunnel(final VxlanTunnelPort port)
    {
        tunnels.removeTunnel(port.vni(), port.remoteVtep());
        l2.removePort(port.id());
        ports.remove(port.id());
    }

    /** The body of {@link #attachLanPort}, on the worker that owns the ports, the switch and the tunnels. */
    private void onAttachLanPort(final LanPort port,
        final AfPacketPort parent, final int domain, final int mtu)
    {
        ports.mtu(port.id(), mtu);
        ports.put(port);
        try
        {
            l2.addLanPort(port.id(), domain);
        }
        catch (final RuntimeException e)
        {
            ports.remove(port.id());
            throw e;
        }
        parent.demux(port.vid(), port.id());
    }

    /** The body of {@link #attachLanRouterPort}, on the worker that owns the ports, the switch and the tunnels. */
    private void onAttachLanRouterPort(final LanPort port,
        final AfPacketPort parent, final int mtu)
    {
        ports.mtu(port.id(), mtu);
        ports.put(port);
        parent.demux(port.vid(), port.id());
    }

    /** The body of {@link #detachLanPort}, on the worker that owns the ports, the switch and the tunnels. */
    private void onDetachLanPort(final LanPort port,
        final AfPacketPort parent)
    {
        parent.demux(port.vid(), -1);
        l2.removePort(port.id());
        if (router.isLanRouter(port.id()))
        {
            router.removeLanRouter(port.id());
        }
        ports.remove(port.id());
    }

    /** Packets parked for ARP (worker thread). */
    /** Packets waiting for ARP or neighbour discovery to answer. */
    int resolverWaiting()
    {
        return resolver.waiting() + ipv6.neighbors.waiting();
    }

    /** A published (DNAT) connection may enter another network than its sender's. */
    private boolean isPublished(final PacketPool pool, final int handle)
    {
        return ctInfo.isTracked(handle) && connections.hasFlags(ctInfo.entry(handle), ConnectionFlags.F_DNAT);
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

    /**
     * A connection whose first packet routing refused was never really made: forget it. Only the connection the
     * packet was classified into: two packets of one new connection can be refused in one batch, and the entry
     * the first one freed may already belong to another connection when the second one is refused.
     */
    private void forgetIfNew(final PacketPool pool, final int handle)
    {
        if (ctInfo.isTracked(handle) && ctInfo.ctClass(handle) == CtInfo.NEW)
        {
            final int entry = ctInfo.entry(handle);
            if (connections.isLive(entry) && connections.generation(entry) == ctInfo.generation(handle))
            {
                connections.remove(entry);
            }
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
        if (router.isLan(pool.domain(handle)))
        {
            return SnatPolicy.NO_SNAT; // a LAN network's containers are LAN hosts: they leave as themselves
        }
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
