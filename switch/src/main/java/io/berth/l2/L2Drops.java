package io.berth.l2;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * The reasons the switch's L2 nodes (port isolation, the MAC limit, ipvlan L3's broadcasts, the gateway and the
 * uplink's promiscuous frames) drop a packet for, declared beside the nodes (VPP's per-node error list); {@code
 * berth counters} and the metrics show them in lower case. Constants.
 */
public final class L2Drops
{
    public static final DropReason ISOLATED = DropReason.declare("ISOLATED",
        "icc=false: container to container");
    public static final DropReason MAC_LIMIT = DropReason.declare("MAC_LIMIT",
        "port exceeded its learned-MAC limit");
    public static final DropReason LAN_L3_BROADCAST = DropReason.declare("LAN_L3_BROADCAST",
        "ipvlan L3: broadcast, multicast or non-IPv4 from a container (the network routes unicast IPv4 only; " +
        "also a broadcast routed from a LAN network)");
    public static final DropReason GATEWAY_UNHANDLED = DropReason.declare("GATEWAY_UNHANDLED",
        "to the gateway but not ARP or ping");
    public static final DropReason NOT_FOR_US = DropReason.declare("NOT_FOR_US",
        "uplink frame for another host's MAC or of a protocol berthd does not route (a promiscuous port sees " +
        "the LAN)");
    public static final DropReason ND_SPOOF = DropReason.declare("ND_SPOOF",
        "IPv6 neighbour discovery from a container speaking for another address or MAC");
    public static final DropReason RA_GUARD = DropReason.declare("RA_GUARD",
        "IPv6 Router Advertisement or Redirect from a container (or neighbour discovery hidden in a fragment)");
    public static final DropReason IPV6_MALFORMED = DropReason.declare("IPV6_MALFORMED",
        "IPv6 from a container whose header chain cannot be followed within the frame");

    /** Every reason of this module; naming it declares them all. */
    public static final List<DropReason> ALL = List.of(ISOLATED, MAC_LIMIT, LAN_L3_BROADCAST, GATEWAY_UNHANDLED,
        NOT_FOR_US, ND_SPOOF, RA_GUARD, IPV6_MALFORMED);

    private L2Drops()
    {
    }
}
