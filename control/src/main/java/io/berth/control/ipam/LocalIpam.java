package io.berth.control.ipam;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local IPAM: Docker's default pools (172.17.0.0/16 for the default bridge, then 172.18.0.0/16, ...), user
 * subnets checked for size and overlap, the gateway the first host unless given. Pools live in berthd's journaled
 * state. Stateless; control thread.
 */
public final class LocalIpam implements Ipam
{
    /** Address ranges no network may overlap, and why (RFC 6890 special-purpose blocks berth cannot route). */
    public static final Map<Cidr, String> ALWAYS_RESERVED = reserved();

    private final Map<Cidr, String> reservedRanges;

    /** Reserves the special-purpose blocks only. */
    public LocalIpam()
    {
        this(Map.of());
    }

    /**
     * @param hostRanges ranges berthd itself uses on this host, besides the special-purpose blocks: the uplink's
     *                   subnet, berth0's link; with what each is, for the message.
     */
    public LocalIpam(final Map<Cidr, String> hostRanges)
    {
        this(hostRanges, Map.of());
    }

    /**
     * @param hostAddresses the host's own addresses in {@code hostRanges} (the uplink's), with what each is: a LAN
     *                      network (macvlan, ipvlan) may take the uplink's subnet, but never gives these out.
     */
    public LocalIpam(final Map<Cidr, String> hostRanges, final Map<Integer, String> hostAddresses)
    {
        final Map<Cidr, String> all = new LinkedHashMap<>(ALWAYS_RESERVED);
        all.putAll(hostRanges);
        this.reservedRanges = Collections.unmodifiableMap(all);
        this.hostAddresses = Map.copyOf(hostAddresses);
    }

    private final Map<Integer, String> hostAddresses;
    private Ipv6Cidr ipv6Pool = Ipv6Subnets.DEFAULT_POOL;

    /** {@code berthd --default-pool6}: where dual-stack networks without an IPv6 --subnet get theirs. */
    public LocalIpam ipv6Pool(final Ipv6Cidr pool)
    {
        this.ipv6Pool = pool;
        return this;
    }

    @Override
    public Ipv6Cidr ipv6Pool()
    {
        return ipv6Pool;
    }

    private static Map<Cidr, String> reserved()
    {
        final Map<Cidr, String> r = new LinkedHashMap<>();
        r.put(Cidr.parse("0.0.0.0/8", "reserved"), "\"this network\" (RFC 1122)");
        r.put(Cidr.parse("127.0.0.0/8", "reserved"), "loopback");
        r.put(Cidr.parse("169.254.0.0/16", "reserved"), "link-local, where berth0 lives");
        r.put(Cidr.parse("224.0.0.0/4", "reserved"), "multicast");
        r.put(Cidr.parse("240.0.0.0/4", "reserved"), "reserved for future use and broadcast");
        return r;
    }

    /** Every range a network may not overlap. */
    @Override
    public Map<Cidr, String> reservedRanges()
    {
        return reservedRanges;
    }
    @Override
    public String name()
    {
        return "default";
    }

    @Override
    public Event.IpamConfig requestPool(final String subnetText, final String ipRangeText, final String gatewayText,
        final Map<Cidr, String> inUse)
    {
        return requestPool(subnetText, ipRangeText, gatewayText, inUse, false);
    }

    @Override
    public Event.IpamConfig requestPool(final String subnetText, final String ipRangeText, final String gatewayText,
        final Map<Cidr, String> inUse, final boolean onHostLan)
    {
        final Cidr subnet = chooseSubnet(subnetText, ipRangeText, gatewayText, inUse,
            onHostLan ? ALWAYS_RESERVED : reservedRanges);
        if (onHostLan && hostAddresses.containsKey(chooseGateway(gatewayText, subnet)))
        {
            throw new BerthException("gateway " + Ipv4.format(chooseGateway(gatewayText, subnet)) + " is " +
                hostAddresses.get(chooseGateway(gatewayText, subnet)) + ": give the LAN's router with --gateway");
        }
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
        final AddressPool pool = new AddressPool(networkName, subnet, range, gateway);
        hostAddresses.forEach(pool::reserveForHost);
        return pool;
    }

    private Cidr chooseSubnet(final String subnetText, final String ipRange, final String gateway,
        final Map<Cidr, String> inUse, final Map<Cidr, String> reservedRanges)
    {
        if (subnetText == null || subnetText.isEmpty())
        {
            if (ipRange != null || gateway != null)
            {
                throw new BerthException("--ip-range and --gateway need --subnet: every ip-range or gateway " +
                    "must have a corresponding subnet");
            }
            final List<Cidr> taken = new ArrayList<>(inUse.keySet());
            taken.addAll(reservedRanges.keySet());
            return DefaultSubnets.firstFree(taken);
        }
        final Cidr subnet = Cidr.parse(subnetText, "subnet");
        if (subnet.prefixLength() > 30)
        {
            throw new BerthException("subnet " + subnet + " is too small: a network needs a prefix of /30 or " +
                "shorter (room for the gateway and a container)");
        }
        for (final Map.Entry<Cidr, String> range : reservedRanges.entrySet())
        {
            if (range.getKey().overlaps(subnet))
            {
                throw new BerthException("subnet " + subnet + " overlaps " + range.getKey() + " (" + range.getValue() +
                    "), which no network may use; pick a subnet outside " + String.join(", ",
                    reservedRanges.keySet().stream().map(Cidr::toString).toList()));
            }
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
