package io.berth.control.ipam;

import io.berth.control.error.BerthException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A network's IPv6 side (issue 27): its subnet and gateway, checked as strictly as the IPv4 ones, or a /64 picked
 * from berth's unique-local pool. A container's IPv6 address is the subnet's prefix with the host part of its
 * IPv4 address (10.1.0.2 on fd00:1::/64 is fd00:1::2), so the first free IPv4 address gives the first free IPv6
 * one and nothing more is allocated or journaled; the subnet must therefore hold at least as many addresses as
 * the IPv4 one. Kept in the network's journaled options. Any thread (no state).
 */
public final class Ipv6Subnets
{
    public static final String SUBNET = "ipv6.subnet";
    public static final String GATEWAY = "ipv6.gateway";
    /** Where networks without an IPv6 --subnet get theirs: fd00:ba:0:N::/64, N from 1 (a ULA, RFC 4193). */
    public static final Ipv6Cidr DEFAULT_POOL = Ipv6Cidr.parse("fd00:ba::/48", "pool");

    private Ipv6Subnets()
    {
    }

    /**
     * The options that make a network dual-stack.
     *
     * @param subnet6  the IPv6 --subnet, or null for one from the pool.
     * @param gateway6 the IPv6 --gateway, or null: the prefix with the IPv4 gateway's host part (::1 for .1).
     * @param inUse    other networks' IPv6 subnets, with their names.
     */
    public static Map<String, String> plan(final String subnet6, final String gateway6, final Cidr subnet4,
        final int gateway4, final Map<Ipv6Cidr, String> inUse)
    {
        return plan(subnet6, gateway6, subnet4, gateway4, inUse, DEFAULT_POOL);
    }

    /** berth0's IPv6 prefix (the host link's, issue 27): no network may use it. */
    public static final Ipv6Cidr HOST_LINK = new Ipv6Cidr(0xfd00_a9fe_7b00_0000L, 0, 64);

    /** @param pool where a network without an IPv6 --subnet gets its /64 ({@code berthd --default-pool6}). */
    public static Map<String, String> plan(final String subnet6, final String gateway6, final Cidr subnet4,
        final int gateway4, final Map<Ipv6Cidr, String> inUse, final Ipv6Cidr pool)
    {
        final Ipv6Cidr subnet = subnet6 == null ? pick(inUse, pool) : Ipv6Cidr.parse(subnet6, "IPv6 --subnet");
        final String reserved = subnet.reserved();
        if (reserved != null)
        {
            throw new BerthException("IPv6 --subnet " + subnet + " is in " + reserved + ": give a global or " +
                "unique-local prefix, e.g. fd00:1::/64");
        }
        if (subnet.overlaps(HOST_LINK))
        {
            throw new BerthException("IPv6 --subnet " + subnet + " overlaps " + HOST_LINK + ", berth0's (the host " +
                "link's IPv6 twin of 169.254.123.0/30): give another prefix, e.g. fd00:1::/64");
        }
        if (subnet.prefixLength() < 64)
        {
            throw new BerthException("IPv6 --subnet " + subnet + " is shorter than /64: give a /64 (the size " +
                "address autoconfiguration needs), e.g. " + subnet.toString().replaceAll("/\\d+$", "/64"));
        }
        if (128 - subnet.prefixLength() < 32 - subnet4.prefixLength())
        {
            throw new BerthException("IPv6 --subnet " + subnet + " holds fewer addresses than the IPv4 subnet " +
                subnet4 + " (each container's IPv6 address takes its IPv4 host part): give a /" +
                (96 + subnet4.prefixLength()) + " or a shorter prefix, down to /64");
        }
        for (final Map.Entry<Ipv6Cidr, String> used : inUse.entrySet())
        {
            if (used.getKey().overlaps(subnet))
            {
                throw new BerthException("IPv6 --subnet " + subnet + " overlaps " + used.getKey() + " of network " +
                    used.getValue() + "; give another prefix");
            }
        }
        final long gatewayOffset4 = (gateway4 - subnet4.network()) & 0xFFFF_FFFFL;
        final long[] gateway;
        if (gateway6 == null)
        {
            gateway = subnet.addressAt(gatewayOffset4);
        }
        else
        {
            gateway = Ipv6Cidr.parseAddress(gateway6, "IPv6 --gateway");
            if (!subnet.contains(gateway[0], gateway[1]))
            {
                throw new BerthException("IPv6 --gateway " + gateway6 + " is outside its subnet " + subnet);
            }
            final long offset = gateway[1] - subnet.lo();
            final long hosts4 = 1L << (32 - subnet4.prefixLength());
            if (gateway[0] == subnet.hi() && offset >= 0 && offset < hosts4 && offset != gatewayOffset4)
            {
                throw new BerthException("IPv6 --gateway " + gateway6 + " would be the IPv6 address of the container " +
                    "at " + Ipv4.format(subnet4.network() + (int)offset) + ": give " +
                    Ipv6Cidr.format(subnet.hi(), subnet.lo() + gatewayOffset4) + " (the IPv4 gateway's host part) or " +
                    "an address beyond " + Ipv6Cidr.format(subnet.hi(), subnet.lo() + hosts4 - 1));
            }
        }
        final Map<String, String> options = new LinkedHashMap<>();
        options.put(SUBNET, subnet.toString());
        options.put(GATEWAY, Ipv6Cidr.format(gateway[0], gateway[1]));
        return options;
    }

    private static Ipv6Cidr pick(final Map<Ipv6Cidr, String> inUse, final Ipv6Cidr pool)
    {
        final long slots = pool.prefixLength() <= 48 ? 1L << 16 : 1L << (64 - pool.prefixLength());
        for (long n = pool.prefixLength() == 64 ? 0 : 1; n < slots; n++)
        {
            final Ipv6Cidr candidate = new Ipv6Cidr(pool.hi() | n, 0, 64);
            if (inUse.keySet().stream().noneMatch(candidate::overlaps))
            {
                return candidate;
            }
        }
        throw new BerthException("every /64 of " + pool + " is in use; pass an IPv6 --subnet or give berthd a " +
            "larger --default-pool6");
    }

    /** {@code berthd --default-pool6}: a prefix of /64 or shorter, outside the reserved ranges. */
    public static Ipv6Cidr checkPool(final String text)
    {
        final Ipv6Cidr pool = Ipv6Cidr.parse(text, "--default-pool6");
        if (pool.prefixLength() > 64 || pool.reserved() != null)
        {
            throw new BerthException("--default-pool6 " + text + " is not valid: " + (pool.reserved() != null ?
                "it is in " + pool.reserved() : "networks take /64s of it, so give a /64 or a shorter prefix") +
                ", e.g. fd00:ba::/48 (the default)");
        }
        return pool;
    }

    /** A network's IPv6 subnet from its options, or null for an IPv4-only one. */
    public static Ipv6Cidr subnetOf(final Map<String, String> options)
    {
        final String text = options.get(SUBNET);
        return text == null ? null : Ipv6Cidr.parse(text, SUBNET);
    }

    /** The IPv6 address of the container at {@code ip4} on a network with these subnets. */
    public static long[] addressOf(final Ipv6Cidr subnet6, final Cidr subnet4, final int ip4)
    {
        return subnet6.addressAt((ip4 - subnet4.network()) & 0xFFFF_FFFFL);
    }
}
