package io.berth.control.dataplane;

import java.util.Arrays;
import java.util.Objects;

/**
 * The interface berthd drives towards the outside (AF_PACKET), and the address it owns there.
 *
 * @param iface        a NIC or veth end in berthd's namespace holding no kernel address.
 * @param ip           the uplink address berthd answers ARP for and masquerades to.
 * @param prefixLength the uplink subnet's prefix: destinations inside it are reached directly.
 * @param gateway      the next hop for everything else; 0 when there is none (only the uplink subnet is reachable).
 * @param ip6          berthd's IPv6 address there ({@code --uplink-ip6}: upper and lower half), or null: no IPv6
 *                     outside.
 * @param prefix6Length its prefix length: destinations inside it are reached directly.
 * @param gateway6     the IPv6 next hop ({@code --uplink-gateway6}), or null.
 */
public record UplinkSpec(String iface, int ip, int prefixLength, int gateway, long[] ip6, int prefix6Length,
    long[] gateway6)
{
    public UplinkSpec(final String iface, final int ip, final int prefixLength, final int gateway)
    {
        this(iface, ip, prefixLength, gateway, null, 0, null);
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof UplinkSpec o && iface.equals(o.iface) && ip == o.ip && prefixLength == o.prefixLength
            && gateway == o.gateway && Arrays.equals(ip6, o.ip6) && prefix6Length == o.prefix6Length
            && Arrays.equals(gateway6, o.gateway6);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(iface, ip, prefixLength, gateway, Arrays.hashCode(ip6), prefix6Length, Arrays.hashCode(gateway6));
    }
}
