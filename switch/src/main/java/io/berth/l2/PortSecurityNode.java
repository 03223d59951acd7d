package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Port security, between parse and l2-forward: a container port sends only as itself. Refused, each with its own
 * reason: a frame from another MAC ({@code mac_spoof}), ARP whose sender MAC or address is not the port's own
 * ({@code arp_spoof}; an RFC 5227 probe, sender address 0.0.0.0, is allowed), IPv4 from another address
 * ({@code spoofed_source}), and for IPv6 what {@link Ipv6Guard} refuses (another source, neighbour discovery for
 * another address or MAC, Router Advertisements and Redirects). Other ethertypes pass when the MAC is the port's
 * own. A port that is not bound (no container's: a future parent or tunnel port) may send anything but
 * a bound port's MAC. Expects frames checked by parse. Worker thread; allocation-free.
 */
public final class PortSecurityNode extends Node
{
    private final Arc next = declareArc("next");
    private final PortSecurity security;
    private final L2Switch l2;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Guard.PortOwner ipv6Owner = new Ipv6Guard.PortOwner();

    /** Arc {@code next} takes every frame its port may send. */
    public PortSecurityNode(final PortSecurity security, final L2Switch l2)
    {
        super("port-security", DropReason.MAC_SPOOF, DropReason.ARP_SPOOF, DropReason.SPOOFED_SOURCE,
            L2Drops.ND_SPOOF, L2Drops.RA_GUARD, L2Drops.IPV6_MALFORMED);
        this.security = security;
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
            final DropReason refused = check(pool, buffer, handle);
            if (refused == null)
            {
                graph.enqueue(next, handle);
            }
            else
            {
                graph.drop(handle, refused);
            }
        }
    }

    private DropReason check(final PacketPool pool, final UnsafeBuffer buffer, final int handle)
    {
        final int port = pool.inPort(handle);
        ethernet.wrap(buffer, pool.frameOffset(handle));
        final long source = ethernet.source();
        if (!security.isBound(port))
        {
            final int domain = l2.domainOfPort(port);
            final int owner = domain < 0 ? PortSecurity.NO_OWNER : security.owner(domain, source);
            return owner == PortSecurity.NO_OWNER || owner == port ? null : DropReason.MAC_SPOOF;
        }
        if (source != security.mac(port))
        {
            return DropReason.MAC_SPOOF;
        }
        switch (ethernet.etherType())
        {
            case EthernetFlyweight.TYPE_ARP:
                arp.wrap(buffer, ethernet.payloadOffset());
                final int sender = arp.senderIp();
                return arp.senderMac() == source && (sender == security.ip(port) || sender == 0) ? null :
                    DropReason.ARP_SPOOF;
            case EthernetFlyweight.TYPE_IPV4:
                ipv4.wrap(buffer, ethernet.payloadOffset());
                return ipv4.source() == security.ip(port) ? null : DropReason.SPOOFED_SOURCE;
            case EthernetFlyweight.TYPE_IPV6:
                ipv6Owner.globalHi = security.ip6Hi(port);
                ipv6Owner.globalLo = security.ip6Lo(port);
                ipv6Owner.linkLocal = security.linkLocal6(port);
                return Ipv6Guard.check(buffer, ethernet.payloadOffset(), pool.frameOffset(handle) +
                    pool.frameLength(handle), source, ipv6Owner);
            default:
                return null;
        }
    }
}
