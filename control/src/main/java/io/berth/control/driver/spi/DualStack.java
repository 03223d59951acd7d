package io.berth.control.driver.spi;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Network;

/**
 * A dual-stack network's IPv6 side as the dataplane takes it (issue 27), for every driver that offers one: the
 * segment's gateway and prefix, and an endpoint's address and gateway. Control thread (no state).
 */
public final class DualStack
{
    private DualStack()
    {
    }

    /**
     * Tells the dataplane the segment's IPv6 gateway and prefix; nothing on an IPv4-only network.
     *
     * @param masquerade NAT66 on the uplink ({@code ipv6.masquerade}), or null: for unique-local prefixes (fc00::/7),
     *                   as Docker's ip6tables does; a global prefix is routed as it is.
     */
    public static void segment(final Dataplane dataplane, final int segment, final Network network,
        final boolean advertise, final Boolean masquerade)
    {
        final Ipv6Cidr subnet6 = network.ipv6Subnet();
        if (subnet6 != null)
        {
            final long[] gateway = network.ipv6Gateway();
            final boolean uniqueLocal = (subnet6.hi() >>> 57) == (0xfcL >>> 1);
            dataplane.segmentIpv6(segment, subnet6, gateway[0], gateway[1], network.subnet().network(), advertise,
                masquerade != null ? masquerade : uniqueLocal);
        }
    }

    /** The IPv6 address and gateway of the endpoint at {@code ip}, or null on an IPv4-only network. */
    public static EndpointSpec.Ipv6 endpoint(final Network network, final int ip, final boolean acceptRa)
    {
        final Ipv6Cidr subnet6 = network.ipv6Subnet();
        if (subnet6 == null)
        {
            return null;
        }
        final long[] address = network.ipv6AddressOf(ip);
        final long[] gateway = network.ipv6Gateway();
        return new EndpointSpec.Ipv6(address[0], address[1], subnet6.prefixLength(), gateway[0], gateway[1], acceptRa,
            !network.ipv4());
    }
}
