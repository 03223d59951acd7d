package io.berth.l3;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * What the IPv6 router ({@link Route6Node}) drops for, besides the reasons it shares with IPv4's (isolation,
 * internal networks, no route, unresolved neighbours, spoofed sources), declared beside the node. Constants.
 */
public final class Route6Drops
{
    public static final DropReason HOP_LIMIT_EXCEEDED = DropReason.declare("HOP_LIMIT_EXCEEDED",
        "IPv6 hop limit ran out at the gateway (ICMPv6 time exceeded sent)");
    public static final DropReason PACKET_TOO_BIG = DropReason.declare("PACKET_TOO_BIG",
        "IPv6 packet larger than the egress MTU (ICMPv6 packet too big sent: routers never fragment IPv6)");
    public static final DropReason NOT_ROUTABLE = DropReason.declare("IPV6_NOT_ROUTABLE",
        "IPv6 packet with a link-local, multicast or unspecified address for the router: never forwarded");
    public static final DropReason ADDRESS_UNREACHABLE = DropReason.declare("ADDRESS_UNREACHABLE",
        "IPv6 destination in a network's prefix that no container has (ICMPv6 address unreachable sent)");

    public static final List<DropReason> ALL = List.of(HOP_LIMIT_EXCEEDED, PACKET_TOO_BIG, NOT_ROUTABLE,
        ADDRESS_UNREACHABLE);

    private Route6Drops()
    {
    }
}
