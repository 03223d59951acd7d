package io.berth.control.ipam;

import io.berth.control.BerthException;
import io.berth.control.journal.Event;

import java.util.Map;

/**
 * The local IPAM: Docker's default pools (172.17.0.0/16 for the default bridge, then 172.18.0.0/16, ...), user
 * subnets checked for size and overlap, the gateway the first host unless given. Pools live in berthd's journaled
 * state. Stateless; control thread.
 */
public final class LocalIpam implements Ipam
{
    @Override
    public String name()
    {
        return "default";
    }

    @Override
    public Event.IpamConfig requestPool(final String subnetText, final String ipRangeText, final String gatewayText,
        final Map<Cidr, String> inUse)
    {
        final Cidr subnet = chooseSubnet(subnetText, ipRangeText, gatewayText, inUse);
        final Cidr ipRange = ipRangeText == null ? null : Cidr.parse(ipRangeText, "ip-range");
        if (ipRange != null && !subnet.contains(ipRange))
        {
            throw new BerthException("ip-range " + ipRange + " is not inside subnet " + subnet);
        }
        final int gateway = chooseGateway(gatewayText, subnet);
        return new Event.IpamConfig(name(), subnet.toString(), ipRange == null ? null : ipRange.toString(),
            Ipv4.format(gateway));
    }

    @Override
    public AddressPool addressBook(final String networkName, final Cidr subnet, final Cidr range, final int gateway)
    {
        return new AddressPool(networkName, subnet, range, gateway);
    }

    private static Cidr chooseSubnet(final String subnetText, final String ipRange, final String gateway,
        final Map<Cidr, String> inUse)
    {
        if (subnetText == null || subnetText.isEmpty())
        {
            if (ipRange != null || gateway != null)
            {
                throw new BerthException("--ip-range and --gateway need --subnet: every ip-range or gateway " +
                    "must have a corresponding subnet");
            }
            return DefaultSubnets.firstFree(inUse.keySet());
        }
        final Cidr subnet = Cidr.parse(subnetText, "subnet");
        if (subnet.prefixLength() > 30)
        {
            throw new BerthException("subnet " + subnet + " is too small: a network needs a prefix of /30 or " +
                "shorter (room for the gateway and a container)");
        }
        for (final Map.Entry<Cidr, String> other : inUse.entrySet())
        {
            if (other.getKey().overlaps(subnet))
            {
                throw new BerthException("subnet " + subnet + " overlaps subnet " + other.getKey() + " of network " +
                    other.getValue());
            }
        }
        return subnet;
    }

    private static int chooseGateway(final String gatewayText, final Cidr subnet)
    {
        if (gatewayText == null || gatewayText.isEmpty())
        {
            return subnet.firstHost();
        }
        final int gateway = Ipv4.parse(gatewayText, "gateway");
        if (!subnet.contains(gateway))
        {
            throw new BerthException("gateway " + gatewayText + " is not inside subnet " + subnet);
        }
        if (gateway == subnet.network() || gateway == subnet.last())
        {
            throw new BerthException("gateway " + gatewayText + " is the " +
                (gateway == subnet.network() ? "network" : "broadcast") + " address of " + subnet + "; pick one " +
                "between " + Ipv4.format(subnet.firstHost()) + " and " + Ipv4.format(subnet.last() - 1));
        }
        return gateway;
    }
}
