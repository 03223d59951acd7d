package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Egress;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Addresses;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Learn, look up, forward or flood, within the inbound port's bridge domain only (so no frame ever crosses
 * between networks). Frames for the domain's gateway, and ARP requests for the gateway address, go to the
 * gateway stage instead of being flooded. A one-entry cache remembers the last destination looked up, as VPP's
 * l2-fwd does: a TCP stream hits it on nearly every packet. Worker thread; allocation-free.
 */
public final class L2ForwardNode extends Node
{
    private final L2Switch l2;
    private final MacTable macs;
    private final Arc gatewayNode = declareArc("gateway");
    private final Arc txNode = declareArc("tx");
    private final Arc routedPortNode = declareOptionalArc("routed-port");
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    private long cachedKey = -1;
    private int cachedPort;
    private long cachedGeneration = -1;

    /**
     * Arcs: {@code gateway}, {@code tx}, and optionally {@code routed-port}, where frames from ports in no bridge
     * domain (uplink, host link) go; unconnected, they are dropped as unknown_port.
     */
    public L2ForwardNode(final L2Switch l2)
    {
        super("l2-forward", DropReason.UNKNOWN_PORT, L2Drops.MAC_LIMIT, L2Drops.ISOLATED, DropReason.SAME_PORT,
            L2Drops.NOT_FOR_US, L2Drops.LAN_L3_BROADCAST);
        this.l2 = l2;
        this.macs = l2.macs();
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        final int nowSeconds = (int)(System.currentTimeMillis() / 1000);
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final DropReason problem = forward(pool, buffer, handle, nowSeconds);
            if (problem != null)
            {
                graph.drop(handle, problem);
            }
        }
    }

    private DropReason forward(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int nowSeconds)
    {
        final int inPort = pool.inPort(handle);
        final int domainId = l2.domainOfPort(inPort);
        if (domainId < 0)
        {
            if (!routedPortNode.connected())
            {
                return DropReason.UNKNOWN_PORT;
            }
            pool.domain(handle, -1);
            graph.enqueue(routedPortNode, handle);
            return null;
        }
        final BridgeDomain domain = l2.domain(domainId);
        pool.domain(handle, domainId);
        ethernet.wrap(buffer, pool.frameOffset(handle));
        final long destination = ethernet.destination();
        if (domain.mode() != BridgeDomain.MODE_BRIDGE)
        {
            return forwardLan(pool, buffer, handle, inPort, domain, destination);
        }

        final int learned = macs.learn(domainId, ethernet.source(), inPort, nowSeconds);
        if (learned == MacTable.LEARN_LIMITED)
        {
            return L2Drops.MAC_LIMIT;
        }

        if (destination == domain.gatewayMac())
        {
            graph.enqueue(gatewayNode, handle);
            return null;
        }
        if (EthernetFlyweight.isMulticast(destination))
        {
            if (ethernet.etherType() == EthernetFlyweight.TYPE_ARP)
            {
                final int target = arp.wrap(buffer, ethernet.payloadOffset()).targetIp();
                if (target == domain.gatewayIp()
                    || (arp.operation() == ArpFlyweight.OP_REQUEST && domain.proxyArpMac(target) != BridgeDomain.NO_MAC))
                {
                    graph.enqueue(gatewayNode, handle); // answered here: no need to bother the others
                    return null;
                }
            }
            if (ethernet.etherType() == EthernetFlyweight.TYPE_IPV6 && domain.gateway6Hi() != 0
                && solicitsGateway(buffer, ethernet.payloadOffset(), domain))
            {
                graph.enqueue(gatewayNode, handle); // neighbour solicitation for the IPv6 gateway: answered there
                return null;
            }
            if (!domain.interContainer())
            {
                return L2Drops.ISOLATED;
            }
            pool.egress(handle, Egress.flood(domainId));
            graph.enqueue(txNode, handle);
            return null;
        }

        int outPort = lookup(domainId, destination);
        if (outPort == MacTable.NO_PORT)
        {
            outPort = domain.staticPort(destination); // a remote endpoint of an overlay, from the store
        }
        if (outPort == MacTable.NO_PORT)
        {
            if (!domain.interContainer())
            {
                return L2Drops.ISOLATED;
            }
            pool.egress(handle, Egress.flood(domainId)); // unknown unicast
            graph.enqueue(txNode, handle);
            return null;
        }
        if (outPort == inPort)
        {
            return DropReason.SAME_PORT;
        }
        if (!domain.interContainer())
        {
            return L2Drops.ISOLATED;
        }
        pool.egress(handle, outPort);
        graph.enqueue(txNode, handle);
        return null;
    }

    /**
     * A macvlan or ipvlan network: nothing is learned (a promiscuous parent sees the whole LAN). A container's frame
     * goes to another container of the network when it is addressed to one, to the host through berth when to
     * the host address's MAC, and otherwise to the LAN; a LAN frame goes to the container it is addressed to, or
     * is not for us. Broadcasts reach every member; ARP for the host address (from containers) and, in ipvlan, for
     * a container's address is answered by the gateway stage.
     */
    private DropReason forwardLan(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int inPort,
        final BridgeDomain domain, final long destination)
    {
        if (domain.mode() == BridgeDomain.MODE_IPVLAN_L3)
        {
            // everything a container sends is to its own MAC, the gateway's; the router decides from there
            if (EthernetFlyweight.isMulticast(destination) || ethernet.etherType() != EthernetFlyweight.TYPE_IPV4)
            {
                return L2Drops.LAN_L3_BROADCAST;
            }
            if (destination != domain.gatewayMac())
            {
                return L2Drops.NOT_FOR_US;
            }
            graph.enqueue(gatewayNode, handle);
            return null;
        }
        final int lanPort = domain.lanPort();
        final boolean fromLan = inPort == lanPort;
        if (!fromLan && destination == domain.gatewayMac())
        {
            graph.enqueue(gatewayNode, handle);
            return null;
        }
        if (EthernetFlyweight.isMulticast(destination))
        {
            if (ethernet.etherType() == EthernetFlyweight.TYPE_ARP && arp.wrap(buffer, ethernet.payloadOffset())
                .operation() == ArpFlyweight.OP_REQUEST)
            {
                final int target = arp.targetIp();
                if ((!fromLan && target == domain.gatewayIp()) || domain.proxyArpMac(target) != BridgeDomain.NO_MAC)
                {
                    graph.enqueue(gatewayNode, handle);
                    return null;
                }
            }
            if (!domain.interContainer() && !fromLan)
            {
                if (lanPort == MacTable.NO_PORT)
                {
                    return L2Drops.ISOLATED;
                }
                pool.egress(handle, lanPort); // private: a container's broadcast reaches the LAN only
            }
            else
            {
                pool.egress(handle, Egress.flood(domain.id()));
            }
            graph.enqueue(txNode, handle);
            return null;
        }
        int outPort;
        if (domain.mode() == BridgeDomain.MODE_MACVLAN)
        {
            outPort = domain.staticPort(destination);
        }
        else
        {
            outPort = destination == domain.lanMac() ? domain.portByAddress(addressedTo(buffer, domain)) : MacTable.NO_PORT;
        }
        if (outPort == MacTable.NO_PORT)
        {
            if (fromLan || lanPort == MacTable.NO_PORT)
            {
                return L2Drops.NOT_FOR_US;
            }
            outPort = lanPort;
        }
        if (outPort == inPort)
        {
            return DropReason.SAME_PORT;
        }
        if (!domain.interContainer() && !fromLan && outPort != lanPort)
        {
            return L2Drops.ISOLATED;
        }
        pool.egress(handle, outPort);
        graph.enqueue(txNode, handle);
        return null;
    }

    /**
     * The IPv4 destination, or the ARP target, of the frame {@link #ethernet} wraps; for IPv6 (issue 27) the IPv4
     * address of the container its destination is: a dual-stack address is the prefix with that IPv4 host part,
     * an ipvlan container's link-local address fe80:: with that IPv4 address; 0 for anything else.
     */
    private int addressedTo(final UnsafeBuffer buffer, final BridgeDomain domain)
    {
        switch (ethernet.etherType())
        {
            case EthernetFlyweight.TYPE_IPV4:
                return buffer.getInt(ethernet.payloadOffset() + IPV4_DESTINATION, ByteOrder.BIG_ENDIAN);
            case EthernetFlyweight.TYPE_ARP:
                return arp.wrap(buffer, ethernet.payloadOffset()).targetIp();
            case EthernetFlyweight.TYPE_IPV6:
                final long hi = Ipv6Header.destinationHi(buffer, ethernet.payloadOffset());
                final long lo = Ipv6Header.destinationLo(buffer, ethernet.payloadOffset());
                if (hi == Ipv6Addresses.LINK_LOCAL_PREFIX)
                {
                    return lo >= 0 && lo <= 0xFFFF_FFFFL ? (int)lo : 0;
                }
                return domain.ipv4Of(hi, lo);
            default:
                return 0;
        }
    }

    private static final int IPV4_DESTINATION = 16;

    private int lookup(final int domainId, final long mac)
    {
        final long key = MacTable.key(domainId, mac);
        if (key == cachedKey && cachedGeneration == macs.generation())
        {
            return cachedPort;
        }
        final int port = macs.lookup(domainId, mac);
        if (port != MacTable.NO_PORT)
        {
            cachedKey = key;
            cachedPort = port;
            cachedGeneration = macs.generation();
        }
        return port;
    }

    /**
     * A Neighbor Solicitation (ICMPv6 135 right after the header) whose target is the domain's IPv6 gateway or its
     * link-local address, or a Router Solicitation (133) when the domain advertises its router.
     */
    private static boolean solicitsGateway(final UnsafeBuffer buffer, final int ip, final BridgeDomain domain)
    {
        if ((buffer.getByte(ip + 6) & 0xFF) != 58)
        {
            return false;
        }
        final int type = buffer.getByte(ip + 40) & 0xFF;
        if (type == 133)
        {
            return domain.advertises();
        }
        final long targetHi = buffer.getLong(ip + 48, ByteOrder.BIG_ENDIAN);
        final long targetLo = buffer.getLong(ip + 56, ByteOrder.BIG_ENDIAN);
        return type == 135 && ((targetHi == domain.gateway6Hi() && targetLo == domain.gateway6Lo())
            || Ipv6Addresses.isLinkLocalOf(domain.gatewayMac(), targetHi, targetLo));
    }
}
