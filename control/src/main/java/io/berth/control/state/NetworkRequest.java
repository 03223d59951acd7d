package io.berth.control.state;

import java.util.List;

/**
 * {@code berth network create} as the API receives it, before validation. Null means "not given".
 *
 * @param options     {@code -o KEY=VALUE} strings as typed, validated by the service.
 * @param moreSubnets  the second and later {@code --subnet}s (ipvlan takes several); empty for one.
 * @param moreGateways the second and later {@code --gateway}s, one for each of {@code moreSubnets} in order.
 * @param ipv4         false: an IPv6-only network ({@code --ipv4=false}, issue 27).
 */
public record NetworkRequest(String name, String driver, String subnet, String ipRange, String gateway,
    boolean internal, List<String> options, List<String> moreSubnets, List<String> moreGateways, boolean ipv6,
    String subnet6, String gateway6, boolean ipv4)
{
    /** Dual-stack or IPv4 only ({@code ipv4} true). */
    public NetworkRequest(final String name, final String driver, final String subnet, final String ipRange,
        final String gateway, final boolean internal, final List<String> options, final List<String> moreSubnets,
        final List<String> moreGateways, final boolean ipv6, final String subnet6, final String gateway6)
    {
        this(name, driver, subnet, ipRange, gateway, internal, options, moreSubnets, moreGateways, ipv6, subnet6,
            gateway6, true);
    }

    /** IPv4 only. */
    public NetworkRequest(final String name, final String driver, final String subnet, final String ipRange,
        final String gateway, final boolean internal, final List<String> options, final List<String> moreSubnets,
        final List<String> moreGateways)
    {
        this(name, driver, subnet, ipRange, gateway, internal, options, moreSubnets, moreGateways, false, null, null);
    }

    public NetworkRequest(final String name, final String driver, final String subnet, final String ipRange,
        final String gateway, final boolean internal, final List<String> options, final List<String> moreSubnets)
    {
        this(name, driver, subnet, ipRange, gateway, internal, options, moreSubnets, List.of());
    }

    public NetworkRequest(final String name, final String driver, final String subnet, final String ipRange,
        final String gateway, final boolean internal, final List<String> options)
    {
        this(name, driver, subnet, ipRange, gateway, internal, options, List.of(), List.of());
    }
}
