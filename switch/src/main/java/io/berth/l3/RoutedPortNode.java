package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l2.L2Drops;
import org.agrona.concurrent.UnsafeBuffer;

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

    /** Arcs: {@code next} (IPv4 for berthd's address that is no ping: conntrack, routing) and {@code tx}. */
    public RoutedPortNode(final Router router, final NeighborResolver resolver)
    {
        super("routed-port", DropReason.UNKNOWN_PORT, L2Drops.NOT_FOR_US, DropReason.L4_TRUNCATED);
        this.router = router;
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

    private void toSender(final PacketPool pool, final int handle)
    {
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
        graph.enqueue(tx, handle);
    }
}
