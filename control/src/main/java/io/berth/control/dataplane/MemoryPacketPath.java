package io.berth.control.dataplane;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounters;
import io.berth.dataplane.BusyPoller;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.WorkerCommands;
import io.berth.dataplane.graph.Graph;
import io.berth.l3.Router;
import io.berth.nat.NatCounters;
import io.berth.nat.PublishedPorts;
import org.agrona.concurrent.EpochClock;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import io.berth.nat.NatBindings;
import io.berth.vxlan.VxlanTunnels;
import java.io.IOException;
import java.nio.file.Path;

/**
 * berthd's production {@link PacketPath} on in-memory (or any) ports, driven on the caller's thread: what the
 * zero-allocation tests, the fuzz harness and the JMH pipeline benchmarks run, so they measure the graph
 * berthd runs and not a hand-made copy. Commands go straight to the tables ({@link WorkerCommands#DIRECT}):
 * the caller is the worker. Not thread-safe.
 */
public final class MemoryPacketPath
{
    private final PacketPath path;

    public MemoryPacketPath(final int poolPackets, final DataplaneOptions options, final EpochClock clock)
    {
        this(poolPackets, options, clock, List.of());
    }

    public MemoryPacketPath(final int poolPackets, final DataplaneOptions options, final EpochClock clock,
        final List<PacketPath.Contribution> contributions)
    {
        path = new PacketPath(new PacketPool(poolPackets), new BusyPoller(), 0, options, clock, contributions);
        path.commandsThrough(WorkerCommands.DIRECT);
    }

    /** A bridge network: bridge domain and routed subnet, as the bridge driver creates them. */
    public MemoryPacketPath network(final int id, final int subnet, final int prefixLength, final int gatewayIp,
        final boolean icc, final boolean internal)
    {
        final long gatewayMac = macFor(gatewayIp);
        done(path.l2Commands().addDomain(id, gatewayIp, gatewayMac, icc));
        done(path.routerCommands().addDomain(id, subnet, prefixLength, gatewayIp, gatewayMac, internal));
        return this;
    }

    /**
     * A container's port on a network with its address, as the bridge driver attaches an endpoint: switched,
     * routed, and bound by port security to its MAC (02:42 + address) and address.
     */
    public MemoryPacketPath container(final Port port, final int networkId, final int ip)
    {
        done(path.l2Commands().bindPort(port.id(), networkId, macFor(ip), ip));
        done(path.portCommands().attach(port));
        done(path.l2Commands().addPort(port.id(), networkId));
        done(path.routerCommands().putEndpoint(ip, port.id(), macFor(ip)));
        return this;
    }

    /**
     * Network {@code id}'s IPv6 side (issue 27): prefix {@code prefixHi}::/64, gateway ::1, containers at the
     * prefix with their IPv4 host part, masqueraded on the uplink or not; the host link's and the uplink's IPv6
     * addresses come with {@link #ipv6Routes}.
     */
    public MemoryPacketPath ipv6Network(final int id, final long prefixHi, final int ipv4Network, final boolean masquerade)
    {
        done(path.l2Commands().ipv6(id, prefixHi, 1, prefixHi, 64, ipv4Network, false));
        done(path.router6Commands().addDomain(id, prefixHi, 0, 64, prefixHi, 1, ipv4Network, masquerade));
        return this;
    }

    /** A container port's IPv6 address, for port security (its routing follows from its IPv4 endpoint). */
    public MemoryPacketPath ipv6Container(final Port port, final long hi, final long lo)
    {
        done(path.l2Commands().bindPortIpv6(port.id(), hi, lo));
        return this;
    }

    /** berthd's IPv6 addresses on the host link ({ours, host}) and the uplink (address, /64, gateway). */
    public MemoryPacketPath ipv6Routes(final long[] hostLinkOurs, final long[] host, final long[] uplink,
        final long[] uplinkGateway)
    {
        done(path.router6Commands().hostLink(hostLinkOurs[0], hostLinkOurs[1], host[0], host[1]));
        done(path.router6Commands().uplink(uplink[0], uplink[1], 64, uplinkGateway[0], uplinkGateway[1]));
        return this;
    }

    public MemoryPacketPath hostLink(final Port port, final int ourIp, final long ourMac, final int hostIp, final long hostMac)
    {
        done(path.portCommands().attach(port));
        done(path.routerCommands().hostLink(port.id(), ourIp, ourMac, hostIp, hostMac));
        return this;
    }

    public MemoryPacketPath uplink(final Port port, final int ip, final int prefixLength, final long mac, final int gateway)
    {
        done(path.portCommands().attach(port));
        done(path.routerCommands().uplink(port.id(), ip, prefixLength, mac, gateway));
        return this;
    }

    /**
     * A port the switch sends to but the worker never reads (a VXLAN tunnel port): in the port table and the
     * network's bridge domain, unbound by port security.
     */
    public MemoryPacketPath tunnel(final Port port, final int networkId)
    {
        path.ports.put(port);
        done(path.l2Commands().addPort(port.id(), networkId));
        return this;
    }

    /** The overlay tables the production graph's vxlan-decap reads. */
    public VxlanTunnels tunnels()
    {
        return path.tunnels;
    }

    /** The uplink's port id, or -1 before {@link #uplink}. */
    public int uplinkPort()
    {
        return path.router.uplinkPort();
    }

    /** An outside neighbour as ARP would have taught it. */
    public MemoryPacketPath neighbor(final int ip, final int portId, final long mac)
    {
        path.router.learnNeighbor(ip, portId, mac, System.currentTimeMillis());
        return this;
    }

    public MemoryPacketPath publish(final int hostIp, final int protocol, final int hostPort, final int containerIp,
        final int containerPort)
    {
        if (!done(path.natCommands().publish(hostIp, protocol, hostPort, containerIp, containerPort)))
        {
            throw new IllegalStateException("published already: " + hostPort);
        }
        return this;
    }

    /** Mirrors NAT bindings into {@code file}, as berthd does into its state dir (see NatBindings). */
    public MemoryPacketPath mirrorBindings(final Path file) throws IOException
    {
        done(path.natCommands().mirrorBindings(NatBindings.map(file, path.connections.capacity())));
        return this;
    }

    /** One duty cycle: commands, a receive burst per ready port, the graph, housekeeping. */
    public int cycle()
    {
        return path.worker.doWork();
    }

    public DataplaneWorker worker()
    {
        return path.worker;
    }

    public Graph graph()
    {
        return path.graph;
    }

    public PacketPool pool()
    {
        return path.graph.pool();
    }

    public PacketPath path()
    {
        return path;
    }

    public ConnectionTable connections()
    {
        return path.connections;
    }

    public ConntrackCounters conntrackCounters()
    {
        return path.conntrackCounters;
    }

    public NatCounters natCounters()
    {
        return path.natCounters;
    }

    public PublishedPorts published()
    {
        return path.published;
    }

    public Router router()
    {
        return path.router;
    }

    /** Packets waiting for ARP: they are the pool's until answered or timed out. */
    public int parked()
    {
        return path.resolverWaiting();
    }

    /** Sets a port's MTU (routing fragments to it, or answers DF senders with fragmentation needed). */
    public MemoryPacketPath mtu(final int portId, final int mtu)
    {
        path.ports.mtu(portId, mtu); // commands run directly here
        return this;
    }

    /** Datagrams held in reassembly (each holds a pool packet until complete, evicted or timed out). */
    public int inReassembly()
    {
        return path.reassembly.size();
    }

    /** Drops every datagram in reassembly: their packets go back to the pool (as 30 s of waiting would). */
    public void expireReassembly()
    {
        path.reassembly.clear();
    }

    /** Docker's MAC for an address: 02:42 and the four address bytes. */
    public static long macFor(final int ip)
    {
        return 0x0242_0000_0000L | (ip & 0xFFFF_FFFFL);
    }

    private static <T> T done(final CompletableFuture<T> command)
    {
        return command.join();
    }
}
