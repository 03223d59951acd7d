package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The network's gateway address lives here, not in a kernel bridge: ARP requests for it get a reply with the
 * gateway MAC, echo requests to it get an echo reply. Replies are written over the request in place and sent
 * back out of the port it came from: no allocation, no copy. Anything else addressed to the gateway needs routing,
 * which this stage does not do; it is counted and dropped. Worker thread.
 */
public final class GatewayNode extends Node
{
    private static final int REPLY_TTL = 64;

    private final L2Switch l2;
    private final int txNode;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();

    public GatewayNode(final L2Switch l2, final int txNode)
    {
        super("gateway");
        this.l2 = l2;
        this.txNode = txNode;
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
            final DropReason problem = domain == null ? DropReason.UNKNOWN_PORT : answer(pool, buffer, handle, domain);
            if (problem == null)
            {
                pool.clearVnetHeader(handle);
                pool.egress(handle, pool.inPort(handle));
                graph.enqueue(txNode, handle);
            }
            else
            {
                graph.drop(handle, problem);
            }
        }
    }

    /** Rewrites the packet into the gateway's answer, or says why there is none. */
    private DropReason answer(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final BridgeDomain domain)
    {
        ethernet.wrap(buffer, pool.frameOffset(handle));
        final int length = pool.frameLength(handle);
        switch (ethernet.etherType())
        {
            case EthernetFlyweight.TYPE_ARP:
                arp.wrap(buffer, ethernet.payloadOffset());
                if (arp.operation() != ArpFlyweight.OP_REQUEST || arp.targetIp() != domain.gatewayIp())
                {
                    return DropReason.GATEWAY_UNHANDLED;
                }
                final long askerMac = arp.senderMac();
                final int askerIp = arp.senderIp();
                arp.operation(ArpFlyweight.OP_REPLY)
                    .senderMac(domain.gatewayMac()).senderIp(domain.gatewayIp())
                    .targetMac(askerMac).targetIp(askerIp);
                ethernet.destination(askerMac).source(domain.gatewayMac());
                return null;
            case EthernetFlyweight.TYPE_IPV4:
                ipv4.wrap(buffer, ethernet.payloadOffset());
                if (ipv4.destination() != domain.gatewayIp())
                {
                    return DropReason.NO_ROUTE;
                }
                if (ipv4.protocol() != Ipv4Flyweight.PROTO_ICMP || ipv4.isFragment())
                {
                    return DropReason.GATEWAY_UNHANDLED;
                }
                final int icmpOffset = ipv4.payloadOffset();
                final int frameEnd = ipv4.offset() + ipv4.totalLength(); // where the IPv4 packet ends: Ethernet padding is no ICMP
                if (icmpOffset + IcmpFlyweight.HEADER_LENGTH > frameEnd)
                {
                    return DropReason.L4_TRUNCATED;
                }
                icmp.wrap(buffer, icmpOffset);
                if (icmp.type() != IcmpFlyweight.TYPE_ECHO_REQUEST)
                {
                    return DropReason.GATEWAY_UNHANDLED;
                }
                final int oldTypeCode = icmp.typeCodeWord();
                icmp.type(IcmpFlyweight.TYPE_ECHO_REPLY);
                icmp.checksum(Checksums.update16(icmp.checksum(), oldTypeCode, icmp.typeCodeWord()));
                final int asker = ipv4.source();
                ipv4.source(domain.gatewayIp()).destination(asker).ttl(REPLY_TTL).updateChecksum();
                ethernet.destination(ethernet.source()).source(domain.gatewayMac());
                return null;
            default:
                return DropReason.GATEWAY_UNHANDLED;
        }
    }
}
