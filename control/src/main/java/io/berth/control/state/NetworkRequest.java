package io.berth.control.state;

import java.util.List;

/**
 * {@code berth network create} as the API receives it, before validation. Null means "not given".
 *
 * @param options     {@code -o KEY=VALUE} strings as typed, validated by the service.
 * @param moreSubnets the second and later {@code --subnet}s (ipvlan L3 takes several); empty for one.
 */
public record NetworkRequest(String name, String driver, String subnet, String ipRange, String gateway,
    boolean internal, List<String> options, List<String> moreSubnets)
{
    public NetworkRequest(final String name, final String driver, final String subnet, final String ipRange,
        final String gateway, final boolean internal, final List<String> options)
    {
        this(name, driver, subnet, ipRange, gateway, internal, options, List.of());
    }
}
