package io.berth.nat;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * The reasons SNAT and DNAT drop a packet for, declared beside the nodes (VPP's per-node error list); {@code berth
 * counters} and the metrics show them in lower case. Constants.
 */
public final class NatDrops
{
    public static final DropReason NAT_FAILED = DropReason.declare("NAT_FAILED",
        "NAT: the connection's translation failed (no free port, or its tuple clashed)");
    public static final DropReason NAT_UNTRANSLATABLE = DropReason.declare("NAT_UNTRANSLATABLE",
        "NAT: untracked packet (fragment) that would need SNAT");

    /** Every reason of this module; naming it declares them all. */
    public static final List<DropReason> ALL = List.of(NAT_FAILED, NAT_UNTRANSLATABLE);

    private NatDrops()
    {
    }
}
