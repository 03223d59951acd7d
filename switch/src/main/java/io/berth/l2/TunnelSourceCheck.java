package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Addresses;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Port security for tunnels: what a frame that came out of a VXLAN tunnel may claim to be. The store's endpoints
 * (the remote entries of a {@link BridgeDomain}) say which MAC and address live behind which VTEP, as bound ports
 * say it for local containers:
 * <ul>
 * <li>a <b>store host's tunnel</b> (one with store endpoints behind it) sends only from those endpoints' MACs,
 *     ARP whose sender MAC and address are one of its endpoints, IPv4 from its endpoints' addresses, and IPv6 as
 *     port security allows a local container ({@link Ipv6Guard}) with the endpoint as the owner: its link-local
 *     address, its IPv6 address on a dual-stack network (the prefix with its IPv4 host part);</li>
 * <li>a <b>listed peer's tunnel</b> ({@code vxlan.peers}, outside the store) is learned as before, but never as a
 *     MAC or address that the store gives another VTEP or that a local container has, nor as the gateway.</li>
 * </ul>
 * Refusals are {@code mac_spoof}, {@code arp_spoof} and {@code spoofed_source}, counted by the caller
 * (vxlan-decap). Worker thread; allocation-free.
 */
public final class TunnelSourceCheck
{
    private final L2Switch l2;
    private final PortSecurity security;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final EndpointOwner owner = new EndpointOwner();

    public TunnelSourceCheck(final L2Switch l2, final PortSecurity security)
    {
        this.l2 = l2;
        this.security = security;
    }

    /**
     * @param frameEnd where the inner frame ends (IPv6's header chain is followed no further).
     * @return null when the inner frame at {@code frameOffset} may enter through {@code tunnelPort}.
     */
    public DropReason check(final int tunnelPort, final UnsafeBuffer buffer, final int frameOffset, final int frameEnd)
    {
        final int domainId = l2.domainOfPort(tunnelPort);
        final BridgeDomain domain = domainId < 0 ? null : l2.domain(domainId);
        if (domain == null)
        {
            return null; // the switch drops frames of a port in no network, with its own reason
        }
        ethernet.wrap(buffer, frameOffset);
        final long source = ethernet.source();
        final boolean storeHost = domain.remotesOn(tunnelPort) > 0;
        if (!mayUseMac(domain, domainId, tunnelPort, storeHost, source))
        {
            return DropReason.MAC_SPOOF;
        }
        switch (ethernet.etherType())
        {
            case EthernetFlyweight.TYPE_ARP:
                arp.wrap(buffer, ethernet.payloadOffset());
                final long senderMac = arp.senderMac();
                final int senderIp = arp.senderIp();
                if (!mayUseMac(domain, domainId, tunnelPort, storeHost, senderMac))
                {
                    return DropReason.ARP_SPOOF;
                }
                if (senderIp == 0)
                {
                    return null; // an RFC 5227 probe claims no address
                }
                return storeHost ? (domain.proxyArpMac(senderIp) == senderMac ? null : DropReason.ARP_SPOOF) :
                    (claimedElsewhere(domain, domainId, senderIp) ? DropReason.ARP_SPOOF : null);
            case EthernetFlyweight.TYPE_IPV4:
                ipv4.wrap(buffer, ethernet.payloadOffset());
                final int address = ipv4.source();
                if (storeHost)
                {
                    final long owner = domain.proxyArpMac(address);
                    return owner != BridgeDomain.NO_MAC && domain.staticPort(owner) == tunnelPort ? null :
                        DropReason.SPOOFED_SOURCE;
                }
                return claimedElsewhere(domain, domainId, address) ? DropReason.SPOOFED_SOURCE : null;
            case EthernetFlyweight.TYPE_IPV6:
                if (!storeHost)
                {
                    return null; // a listed peer's IPv6 is learned, like its IPv4 beyond the claims above
                }
                owner.domain = domain;
                return Ipv6Guard.check(buffer, ethernet.payloadOffset(), frameEnd, source, owner);
            default:
                return null;
        }
    }

    /** A store endpoint's IPv6 addresses: link-local from its MAC, and on a dual-stack network its own. */
    private static final class EndpointOwner implements Ipv6Guard.Owner
    {
        BridgeDomain domain;

        @Override
        public boolean owns(final long mac, final long hi, final long lo)
        {
            if (Ipv6Addresses.isLinkLocalOf(mac, hi, lo))
            {
                return true;
            }
            final int ip4 = domain.ipv4Of(hi, lo);
            return ip4 != 0 && domain.proxyArpMac(ip4) == mac;
        }
    }

    /** A store host's tunnel only its endpoints' MACs; a peer's none that the store or a local container owns. */
    private boolean mayUseMac(final BridgeDomain domain, final int domainId, final int tunnelPort,
        final boolean storeHost, final long mac)
    {
        final int storePort = domain.staticPort(mac);
        if (storeHost)
        {
            return storePort == tunnelPort;
        }
        return (storePort == MacTable.NO_PORT || storePort == tunnelPort) && mac != domain.gatewayMac() &&
            security.owner(domainId, mac) == PortSecurity.NO_OWNER;
    }

    /** Whether {@code address} is a store endpoint's, a local container's or the gateway's: not a peer's to claim. */
    private boolean claimedElsewhere(final BridgeDomain domain, final int domainId, final int address)
    {
        return domain.proxyArpMac(address) != BridgeDomain.NO_MAC || address == domain.gatewayIp() ||
            security.addressOwner(domainId, address) != PortSecurity.NO_OWNER;
    }
}
