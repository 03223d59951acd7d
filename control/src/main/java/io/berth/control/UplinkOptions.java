package io.berth.control;

import io.berth.control.dataplane.UplinkSpec;
import picocli.CommandLine.Option;

/**
 * berthd's uplink options (a picocli mixin of {@link Berthd}): the interface, berthd's IPv4 and IPv6 addresses
 * there and their next hops, checked together into an {@link UplinkSpec}. Main thread, at start.
 */
final class UplinkOptions
{
    @Option(names = "--uplink", paramLabel = "IFACE", description = "drive IFACE (a NIC or veth end in berthd's " +
        "namespace, holding no kernel address) as the way out; without it berth is host-only")
    private String iface;

    @Option(names = "--uplink-ip", paramLabel = "CIDR", description = "the address berthd owns on the uplink, " +
        "with its subnet's prefix, e.g. 10.99.0.1/24 (needs --uplink)")
    private String ip;

    @Option(names = "--uplink-gateway", paramLabel = "IP", description = "next hop for everything outside the " +
        "uplink subnet (inside it; default: none, only the uplink subnet is reachable)")
    private String gateway;

    @Option(names = "--uplink-ip6", paramLabel = "CIDR", description = "the IPv6 address berthd owns on the " +
        "uplink, with its prefix, e.g. 2001:db8:99::1/64: dual-stack networks reach the outside through it, " +
        "unique-local ones masqueraded to it (needs --uplink)")
    private String ip6;

    @Option(names = "--uplink-gateway6", paramLabel = "IP6", description = "IPv6 next hop for everything outside " +
        "the uplink's IPv6 prefix (link-local or inside it; resolved by neighbour discovery; default: none)")
    private String gateway6;

    /** The checked uplink, or null without --uplink. */
    UplinkSpec spec(final boolean checkInterface)
    {
        return StartChecks.withIpv6(StartChecks.uplinkSpec(iface, ip, gateway, checkInterface), ip6, gateway6,
            checkInterface);
    }
}
