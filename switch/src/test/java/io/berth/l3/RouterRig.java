package io.berth.l3;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.GraphBuilder;
import io.berth.dataplane.graph.ParseNode;
import io.berth.dataplane.graph.TxNode;
import io.berth.l2.BridgeDomain;
import io.berth.l2.GatewayNode;
import io.berth.l2.L2ForwardNode;
import io.berth.l2.L2Switch;

import java.util.ArrayList;
import java.util.List;

import static io.berth.l3.Packets.ip;
import static io.berth.l3.Packets.mac;

/**
 * The router's packet path without connection tracking and NAT (those live in module nat), driven on the test
 * thread: parse -> l2-forward -> gateway | routed-port -> route -> tx, with in-memory ports for two containers in
 * two bridge networks (plus one on an internal network), the host link and the uplink. The cross-network permit is
 * a switch the test flips. Ports are read and the graph run until nothing is left, without a worker, so the
 * neighbour resolver's clock is only the one the test hands it.
 */
final class RouterRig
{
    static final int PARSE = 0;
    static final int L2 = 1;
    static final int GATEWAY = 2;
    static final int ROUTED_PORT = 3;
    static final int ROUTE = 4;
    static final int TX = 5;

    // network A (id 1): 172.18.0.0/16, container a on port 1
    static final int NET_A = 1;
    static final int GW_A = ip("172.18.0.1");
    static final long GW_A_MAC = mac("02:42:ac:12:00:01");
    static final int IP_A = ip("172.18.0.2");
    static final long MAC_A = mac("02:42:ac:12:00:02");
    // network B (id 2): 172.19.0.0/16, container b on port 2
    static final int NET_B = 2;
    static final int GW_B = ip("172.19.0.1");
    static final long GW_B_MAC = mac("02:42:ac:13:00:01");
    static final int IP_B = ip("172.19.0.2");
    static final long MAC_B = mac("02:42:ac:13:00:02");
    // internal network I (id 3): 172.20.0.0/16, container i on port 5
    static final int NET_I = 3;
    static final int GW_I = ip("172.20.0.1");
    static final long GW_I_MAC = mac("02:42:ac:14:00:01");
    static final int IP_I = ip("172.20.0.2");
    static final long MAC_I = mac("02:42:ac:14:00:02");
    // host link (port 3): berthd 169.254.123.1, the host kernel 169.254.123.2
    static final int HOST_LINK_IP = ip("169.254.123.1");
    static final long HOST_LINK_MAC = mac("02:b7:00:00:00:01");
    static final int HOST_IP = ip("169.254.123.2");
    static final long HOST_MAC = mac("02:b7:00:00:00:02");
    // uplink (port 4): 192.168.1.50/24 on a LAN whose router is 192.168.1.1
    static final int UPLINK_IP = ip("192.168.1.50");
    static final long UPLINK_MAC = mac("02:aa:00:00:00:50");
    static final int LAN_GATEWAY = ip("192.168.1.1");
    static final long LAN_GATEWAY_MAC = mac("00:11:22:33:44:01");
    static final int LAN_PEER = ip("192.168.1.77");
    static final long LAN_PEER_MAC = mac("00:11:22:33:44:77");
    static final int OUTSIDE = ip("8.8.8.8");

    final PacketPool pool = new PacketPool(128);
    final PortTable ports = new PortTable();
    final DropCounters drops = new DropCounters();
    final L2Switch l2 = new L2Switch(ports);
    final Router router = new Router();
    final Graph graph;
    final NeighborResolver resolver;
    final RouteNode route;

    final MemoryPort a = new MemoryPort(1, "a");
    final MemoryPort b = new MemoryPort(2, "b");
    final MemoryPort host = new MemoryPort(3, "berth0");
    final MemoryPort uplink = new MemoryPort(4, "uplink");
    final MemoryPort i = new MemoryPort(5, "i");
    final List<MemoryPort> all = List.of(a, b, host, uplink, i);

    boolean permitted;
    int permitAsked;
    int refusals;

    RouterRig()
    {
        route = new RouteNode(router, (p, h) ->
        {
            permitAsked++;
            return permitted;
        }, (p, h) -> refusals++);
        resolver = new NeighborResolver(router, ports, route);
        route.resolver(resolver);
        graph = new GraphBuilder()
            .add(new ParseNode()).add(new L2ForwardNode(l2)).add(new GatewayNode(l2))
            .add(new RoutedPortNode(router, resolver)).add(route).add(new TxNode(ports))
            .connect("parse", "next", "l2-forward")
            .connect("l2-forward", "gateway", "gateway")
            .connect("l2-forward", "tx", "tx")
            .connect("l2-forward", "routed-port", "routed-port")
            .connect("gateway", "tx", "tx")
            .connect("gateway", "route", "route")
            .connect("routed-port", "next", "route")
            .connect("routed-port", "tx", "tx")
            .connect("route", "next", "tx")
            .connect("route", "tx", "tx")
            .build(pool, drops);
        check(PARSE, "parse");
        check(L2, "l2-forward");
        check(GATEWAY, "gateway");
        check(ROUTED_PORT, "routed-port");
        check(ROUTE, "route");
        check(TX, "tx");

        network(NET_A, GW_A, GW_A_MAC, false);
        network(NET_B, GW_B, GW_B_MAC, false);
        network(NET_I, GW_I, GW_I_MAC, true);
        container(a, NET_A, IP_A, MAC_A);
        container(b, NET_B, IP_B, MAC_B);
        container(i, NET_I, IP_I, MAC_I);
        ports.put(host);
        router.hostLink(host.id(), HOST_LINK_IP, HOST_LINK_MAC, HOST_IP, HOST_MAC);
        ports.put(uplink);
    }

    private void check(final int index, final String name)
    {
        if (!graph.node(index).name().equals(name))
        {
            throw new IllegalStateException(name + " is not at " + index);
        }
    }

    private void network(final int id, final int gateway, final long gatewayMac, final boolean internal)
    {
        l2.addDomain(new BridgeDomain(id, gateway, gatewayMac, true));
        router.addDomain(id, gateway & Router.mask(16), 16, gateway, gatewayMac, internal);
    }

    private void container(final MemoryPort port, final int network, final int address, final long mac)
    {
        ports.put(port);
        l2.addPort(port.id(), network);
        router.putNeighbor(address, port.id(), mac); // as the control plane does when it attaches a container
    }

    /** The uplink as berthd configures it; {@code gateway} 0: none. */
    RouterRig withUplink(final int gateway)
    {
        router.uplink(uplink.id(), UPLINK_IP, 24, UPLINK_MAC, gateway);
        return this;
    }

    /** Reads every port and runs the graph until no port has anything left. */
    void run()
    {
        int received;
        do
        {
            received = 0;
            for (final MemoryPort port : all)
            {
                received += port.receive(pool, graph.entry(), graph.entry().remaining());
            }
            graph.run();
        }
        while (received > 0);
    }

    void send(final MemoryPort port, final byte[] frame)
    {
        port.inject(frame);
        run();
    }

    long drops(final DropReason reason)
    {
        return drops.get(reason);
    }

    long totalDrops()
    {
        long total = 0;
        for (final DropReason reason : DropReason.values())
        {
            total += drops.get(reason);
        }
        return total;
    }

    /** Every frame transmitted anywhere, port by port, as "name: hex" lines; empty when nothing left. */
    List<String> leftovers()
    {
        final List<String> left = new ArrayList<>();
        for (final MemoryPort port : all)
        {
            for (byte[] frame = port.takeTransmitted(); frame != null; frame = port.takeTransmitted())
            {
                left.add(port.name() + ": " + Packets.toHex(frame));
            }
        }
        return left;
    }
}
