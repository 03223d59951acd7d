package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l3.Ipv6Responder;
import io.berth.l3.Responder;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The network's gateway address lives here, not in a kernel bridge: ARP requests for it get a reply with the
 * gateway MAC, echo requests to it get an echo reply; on a dual-stack network likewise Neighbor Solicitations for
 * its IPv6 address and echo requests to it ({@link Ipv6Responder}). ARP requests for an overlay's remote endpoints are answered
 * here too, with the MAC the store gave (proxy ARP). Replies are written over the request in place and sent
 * back out of the port it came from: no allocation, no copy. Anything else addressed to the gateway needs routing,
 * which this stage does not do; it is counted and dropped. Worker thread.
 */
public final class GatewayNode extends Node
{
    private static final int REPLY = 0;
    private static final int ROUTE = 1;
    private static final int DROP = 2;

    private final L2Switch l2;
    private final Arc txNode = declareArc("tx");
    private final Arc routeNode = declareOptionalArc("route");
    private DropReason dropReason;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Responder responder = new Responder();
    private final Ipv6Responder ipv6 = new Ipv6Responder();

    /**
     * Arcs: {@code tx}, and optionally {@code route}, where IPv4 for the gateway MAC goes when it is not a ping
     * to the gateway itself; unconnected, the gateway only answers ARP and ping and drops the rest.
     */
    public GatewayNode(final L2Switch l2)
    {
        super("gateway", DropReason.UNKNOWN_PORT, L2Drops.GATEWAY_UNHANDLED, DropReason.NO_ROUTE,
            DropReason.L4_TRUNCATED);
        this.l2 = l2;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final BridgeDomain domain = l2.domain(pool.domain(handle));
            final int outcome = domain == null ? drop(DropReason.UNKNOWN_PORT) : answer(pool, buffer, handle, domain);
            if (outcome == ROUTE)
            {
                graph.enqueue(routeNode, handle);
            }
            else if (outcome == REPLY)
            {
                pool.clearVnetHeader(handle);
                pool.egress(handle, pool.inPort(handle));
                graph.enqueue(txNode, handle);
            }
            else
            {
                graph.drop(handle, dropReason);
            }
        }
    }

    /** Rewrites the packet into the gateway's answer (REPLY), hands it to the router (ROUTE), or says why not (DROP). */
    private int answer(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final BridgeDomain domain)
    {
        final int frame = pool.frameOffset(handle);
        ethernet.wrap(buffer, frame);
        switch (ethernet.etherType())
        {
            case EthernetFlyweight.TYPE_ARP:
                if (responder.answerArp(buffer, frame, domain.gatewayIp(), domain.gatewayMac()))
                {
                    return REPLY;
                }
                // proxy ARP for an overlay's remote endpoint, from the store
                final int target = arp.wrap(buffer, ethernet.payloadOffset()).targetIp();
                final long remoteMac = domain.proxyArpMac(target);
                return remoteMac != BridgeDomain.NO_MAC && responder.answerArp(buffer, frame, target, remoteMac)
                    ? REPLY : drop(L2Drops.GATEWAY_UNHANDLED);
            case EthernetFlyweight.TYPE_IPV4:
                ipv4.wrap(buffer, ethernet.payloadOffset());
                if (ipv4.destination() != domain.gatewayIp() || !domain.answersEcho())
                {
                    return routeNode.connected() ? ROUTE : drop(DropReason.NO_ROUTE);
                }
                final int echo = responder.answerEcho(buffer, frame, domain.gatewayIp(), domain.gatewayMac());
                if (echo == Responder.ANSWERED)
                {
                    return REPLY;
                }
                if (echo == Responder.TRUNCATED)
                {
                    return drop(DropReason.L4_TRUNCATED);
                }
                // for the gateway address but no ping, e.g. a reply to a masqueraded hairpin: conntrack may know it
                return routeNode.connected() ? ROUTE : drop(L2Drops.GATEWAY_UNHANDLED);
            case EthernetFlyweight.TYPE_IPV6:
                if (ipv6.answer(buffer, frame, pool.frameLength(handle), domain.gateway6Hi(), domain.gateway6Lo(),
                    domain.gatewayMac(), domain.prefix6Hi(), domain.prefix6Length(), domain.advertises())
                    == Ipv6Responder.ANSWERED)
                {
                    pool.frameLength(handle, ipv6.answerLength());
                    return REPLY;
                }
                final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
                if (routeNode.connected() && pool.frameLength(handle) >= ip - frame + Ipv6Header.LENGTH
                    && Ipv6Header.isIpv6(buffer, ip) && !Ipv6Header.isMulticast(Ipv6Header.destinationHi(buffer, ip))
                    && !Ipv6Header.isLinkLocal(Ipv6Header.destinationHi(buffer, ip)))
                {
                    return ROUTE; // for another address than the gateway's: conntrack, then IPv6 routing
                }
                return drop(L2Drops.GATEWAY_UNHANDLED);
            default:
                return drop(L2Drops.GATEWAY_UNHANDLED);
        }
    }

    private int drop(final DropReason reason)
    {
        dropReason = reason;
        return DROP;
    }
}
