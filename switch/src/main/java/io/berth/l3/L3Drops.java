package io.berth.l3;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * The reasons the router's nodes (isolation between networks, TTL, neighbours, berthd's own addresses) and IPv4
 * reassembly drop a packet for, declared beside the nodes (VPP's per-node error list); {@code berth counters} and
 * the metrics show them in lower case. Constants.
 */
public final class L3Drops
{
    public static final DropReason ISOLATED_NETWORKS = DropReason.declare("ISOLATED_NETWORKS",
        "routing between two bridge networks");
    public static final DropReason INTERNAL_NETWORK = DropReason.declare("INTERNAL_NETWORK",
        "an internal network's traffic towards the uplink");
    public static final DropReason TTL_EXCEEDED = DropReason.declare("TTL_EXCEEDED",
        "TTL ran out at the gateway (ICMP time exceeded sent)");
    public static final DropReason NEIGHBOR_UNRESOLVED = DropReason.declare("NEIGHBOR_UNRESOLVED",
        "next hop's MAC unknown and ARP did not answer in time");
    public static final DropReason LOCAL_UNHANDLED = DropReason.declare("LOCAL_UNHANDLED",
        "for one of berthd's own addresses but nothing listens there");
    public static final DropReason FRAG_OVERLAP = DropReason.declare("FRAG_OVERLAP",
        "IPv4 fragment overlapping one already received (the whole datagram is dropped)");
    public static final DropReason FRAG_TOO_BIG = DropReason.declare("FRAG_TOO_BIG",
        "IPv4 fragment reaching past 65,535 bytes");
    public static final DropReason FRAG_TINY = DropReason.declare("FRAG_TINY",
        "first IPv4 fragment too short to hold the L4 ports (RFC 1858)");
    public static final DropReason FRAG_MALFORMED = DropReason.declare("FRAG_MALFORMED",
        "IPv4 fragment that is empty, or not the last and not a multiple of 8 bytes");
    public static final DropReason FRAG_DUPLICATE = DropReason.declare("FRAG_DUPLICATE",
        "IPv4 fragment received twice (the copy is dropped, the datagram goes on)");
    public static final DropReason FRAG_NO_BUFFER = DropReason.declare("FRAG_NO_BUFFER",
        "IPv4 fragment of a new datagram while the packet pool is dry");
    public static final DropReason FRAG_NEEDED = DropReason.declare("FRAG_NEEDED",
        "DF set and larger than the egress MTU (ICMP fragmentation needed sent)");

    /** Every reason of this module; naming it declares them all. */
    public static final List<DropReason> ALL = List.of(ISOLATED_NETWORKS, INTERNAL_NETWORK, TTL_EXCEEDED,
        NEIGHBOR_UNRESOLVED, LOCAL_UNHANDLED, FRAG_OVERLAP, FRAG_TOO_BIG, FRAG_TINY, FRAG_MALFORMED, FRAG_DUPLICATE,
        FRAG_NO_BUFFER, FRAG_NEEDED);

    private L3Drops()
    {
    }
}
