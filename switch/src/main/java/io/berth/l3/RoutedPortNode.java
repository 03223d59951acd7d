package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l2.L2Drops;
import io.berth.dataplane.flyweight.Ipv6Header;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Frames from the routed ports (uplink, host link): berthd owns one address on each, so it answers ARP and ping
 * for it, learns neighbours from ARP, and passes IPv4 addressed to its MAC on to connection tracking. Frames for
 * other MACs (a promiscuous uplink sees the whole LAN) and other protocols are released uncounted: they are
 * somebody else's, not errors. Worker thread.
 */
public final class RoutedPortNode extends Node
{
    private final Router router;
    private final NeighborResolver resolver;
    private final Arc next = declareArc("next");
    private final Arc tx = declareArc("tx");
    private final Responder responder = new Responder();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv6Responder ipv6Responder = new Ipv6Responder();
    private Router6 router6;
    private Ipv6Neighbors neighbors6;

    /** Arcs: {@code next} (IPv4 for berthd's address that is no ping: conntrack, routing) and {@code tx}. */
    public RoutedPortNode(final Router router, final NeighborResolver resolver)
    {
        super("routed-port", DropReason.UNKNOWN_PORT, L2Drops.NOT_FOR_US, DropReason.L4_TRUNCATED);
        this.router = router;
        this.resolver = resolver;
    }

    /** Setup time: IPv6 on the uplink and the host link (issue 27): NS and ping answered, neighbours learned. */
    public void ipv6(final Router6 router, final Ipv6Neighbors neighbors)
    {
        this.router6 = router;
        this.neighbors6 = neighbors;
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
            final int inPort = pool.inPort(handle);
            final int ourIp;
            final long ourMac;
            if (inPort == router.uplinkPort())
            {
                ourIp = router.uplinkIp();
                ourMac = router.uplinkMac();
            }
            else if (inPort == router.hostPort())
            {
                ourIp = router.hostLinkIp();
                ourMac = router.hostLinkMac();
            }
            else if (router.isLanRouter(inPort))
            {
                ourIp = router.lanRouterIp(inPort); // an ipvlan L3 network's address on its parent's LAN
                ourMac = router.lanRouterMac(inPort);
            }
            else
            {
                graph.drop(handle, DropReason.UNKNOWN_PORT);
                continue;
            }
            final int frame = pool.frameOffset(handle);
            ethernet.wrap(buffer, frame);
            final int type = ethernet.etherType();
            if (type == EthernetFlyweight.TYPE_ARP)
            {
                arp.wrap(buffer, ethernet.payloadOffset());
                final int sender = arp.senderIp();
                // learn only outside addresses, and never move a neighbour from another port: an ARP on the LAN
                // must not be able to claim a container's, the host's or berthd's own address
                final long known = router.neighbor(sender);
                if (sender != 0 && router.domainOf(sender) == Router.NONE && !router.isLocal(sender)
                    && (known == Router.NO_NEIGHBOR ? arp.targetIp() == ourIp : Router.neighborPort(known) == inPort))
                {
                    if (now == 0)
                    {
                        now = System.currentTimeMillis();
                    }
                    // RFC 826: merge, then maybe answer; a full table learns nothing new (counted there)
                    if (router.learnNeighbor(sender, inPort, arp.senderMac(), now))
                    {
                        resolver.learned(sender);
                    }
                }
                if (responder.answerArp(buffer, frame, ourIp, ourMac))
                {
                    toSender(pool, handle);
                }
                else if (arp.targetIp() == ourIp)
                {
                    graph.delivered(handle); // a reply to us: what it taught is in the neighbour table
                }
                else
                {
                    graph.drop(handle, L2Drops.NOT_FOR_US);
                }
                continue;
            }
            if (type == EthernetFlyweight.TYPE_IPV6 && router6 != null)
            {
                if (now == 0)
                {
                    now = System.currentTimeMillis();
                }
                ipv6(pool, buffer, handle, inPort, ourMac, now);
                continue;
            }
            final long destination = ethernet.destination();
            if (type != EthernetFlyweight.TYPE_IPV4 || destination != ourMac)
            {
                graph.drop(handle, L2Drops.NOT_FOR_US);
                continue;
            }
            final int echo = responder.answerEcho(buffer, frame, ourIp, ourMac);
            if (echo == Responder.ANSWERED)
            {
                toSender(pool, handle);
            }
            else if (echo == Responder.TRUNCATED)
            {
                graph.drop(handle, DropReason.L4_TRUNCATED);
            }
            else
            {
                graph.enqueue(next, handle);
            }
        }
    }

    /**
     * IPv6 on the uplink or the host link: a Neighbor Solicitation or ping for berthd's address there is answered
     * (the solicitation's sender learned on the uplink), a Neighbor Advertisement on the uplink teaches its target,
     * and the rest for berthd's MAC goes on to conntrack and routing.
     */
    private void ipv6(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int inPort,
        final long ourMac, final long now)
    {
        final long ourHi;
        final long ourLo;
        if (inPort == router.uplinkPort() && router6.hasUplink())
        {
            ourHi = router6.uplinkHi();
            ourLo = router6.uplinkLo();
        }
        else if (inPort == router.hostPort() && router6.hasHostLink())
        {
            ourHi = router6.hostLinkHi();
            ourLo = router6.hostLinkLo();
        }
        else
        {
            graph.drop(handle, L2Drops.NOT_FOR_US);
            return;
        }
        final int frame = pool.frameOffset(handle);
        final int length = pool.frameLength(handle);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int icmp = ip + Ipv6Header.LENGTH;
        final boolean neighborDiscovery = frame + length >= icmp + 24 && Ipv6Header.isIpv6(buffer, ip)
            && Ipv6Header.nextHeader(buffer, ip) == Ipv6Header.PROTO_ICMPV6
            && ((buffer.getByte(icmp) & 0xFF) == 135 || (buffer.getByte(icmp) & 0xFF) == 136);
        if (neighborDiscovery && inPort == router.uplinkPort())
        {
            learnNeighbor(buffer, ip, icmp, frame + length, now);
        }
        if (ipv6Responder.answer(buffer, frame, length, ourHi, ourLo, ourMac, 0, 0, false) == Ipv6Responder.ANSWERED)
        {
            pool.frameLength(handle, ipv6Responder.answerLength());
            toSender(pool, handle);
        }
        else if (neighborDiscovery && inPort == router.uplinkPort() && (buffer.getByte(icmp) & 0xFF) == 136
            && ethernet.wrap(buffer, frame).destination() == ourMac)
        {
            graph.delivered(handle); // an advertisement to us: what it taught is in the neighbour table
        }
        else if (neighborDiscovery || ethernet.wrap(buffer, frame).destination() != ourMac)
        {
            graph.drop(handle, L2Drops.NOT_FOR_US); // somebody else's neighbour discovery or traffic
        }
        else
        {
            graph.enqueue(next, handle);
        }
    }

    /**
     * An advertisement teaches its target's link-layer address (or the frame's source); a solicitation for our
     * address teaches its sender's (RFC 4861 7.2.3). Never an address that is a container's or berthd's own.
     */
    private void learnNeighbor(final UnsafeBuffer buffer, final int ip, final int icmp, final int end, final long now)
    {
        final boolean advertisement = (buffer.getByte(icmp) & 0xFF) == 136;
        final long hi = advertisement ? buffer.getLong(icmp + 8, ByteOrder.BIG_ENDIAN) : Ipv6Header.sourceHi(buffer, ip);
        final long lo = advertisement ? buffer.getLong(icmp + 16, ByteOrder.BIG_ENDIAN) : Ipv6Header.sourceLo(buffer, ip);
        if (!advertisement && (buffer.getLong(icmp + 8, ByteOrder.BIG_ENDIAN) != router6.uplinkHi()
            || buffer.getLong(icmp + 16, ByteOrder.BIG_ENDIAN) != router6.uplinkLo()))
        {
            return;
        }
        if ((hi == 0 && lo == 0) || Ipv6Header.isMulticast(hi) || router6.domainOf(hi, lo) != Router.NONE
            || router6.isLocal(hi, lo))
        {
            return;
        }
        long mac = ethernet.wrap(buffer, ip - EthernetFlyweight.HEADER_LENGTH).source();
        final int wanted = advertisement ? 2 : 1;
        for (int option = icmp + 24; option + 8 <= end; )
        {
            final int optionLength = (buffer.getByte(option + 1) & 0xFF) * 8;
            if (optionLength == 0)
            {
                return; // malformed: learn nothing
            }
            if ((buffer.getByte(option) & 0xFF) == wanted)
            {
                mac = ((buffer.getShort(option + 2, ByteOrder.BIG_ENDIAN) & 0xFFFFL) << 32)
                    | (buffer.getInt(option + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
            }
            option += optionLength;
        }
        neighbors6.learn(hi, lo, mac, now);
    }

    private void toSender(final PacketPool pool, final int handle)
    {
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
        graph.enqueue(tx, handle);
    }
}
