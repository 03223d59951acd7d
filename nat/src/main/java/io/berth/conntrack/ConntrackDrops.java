package io.berth.conntrack;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * The reasons connection tracking drops a packet for, declared beside the nodes (VPP's per-node error list); {@code
 * berth counters} and the metrics show them in lower case. Constants.
 */
public final class ConntrackDrops
{
    public static final DropReason CT_INVALID = DropReason.declare("CT_INVALID",
        "conntrack: fits no state of its connection");
    public static final DropReason CT_TABLE_FULL = DropReason.declare("CT_TABLE_FULL",
        "conntrack: new connection refused, table at its limit");
    public static final DropReason CT_CLASH = DropReason.declare("CT_CLASH",
        "conntrack: new connection refused, its reply tuple is taken");

    /** Every reason of this module; naming it declares them all. */
    public static final List<DropReason> ALL = List.of(CT_INVALID, CT_TABLE_FULL, CT_CLASH);

    private ConntrackDrops()
    {
    }
}
