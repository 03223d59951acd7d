package io.berth.vxlan;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * The reasons VXLAN decapsulation and the guard of the tunnel ports drop a packet for, declared beside the nodes
 * (VPP's per-node error list); {@code berth counters} and the metrics show them in lower case. Constants.
 */
public final class VxlanDrops
{
    public static final DropReason VXLAN_MALFORMED = DropReason.declare("VXLAN_MALFORMED",
        "VXLAN datagram cut short, with the I flag clear, or with lengths that disagree");
    public static final DropReason VXLAN_FRAGMENTED = DropReason.declare("VXLAN_FRAGMENTED",
        "VXLAN datagram in a fragmented outer IPv4 packet (RFC 7348: VTEPs must not fragment)");
    public static final DropReason VXLAN_UNKNOWN_VNI = DropReason.declare("VXLAN_UNKNOWN_VNI",
        "VXLAN datagram for a VNI no network here has");
    public static final DropReason VXLAN_UNKNOWN_SOURCE = DropReason.declare("VXLAN_UNKNOWN_SOURCE",
        "VXLAN datagram from a VTEP that is neither a store host nor a listed peer");
    public static final DropReason VXLAN_FROM_CONTAINER = DropReason.declare("VXLAN_FROM_CONTAINER",
        "a container's UDP datagram to a known VTEP's tunnel port (it would be taken for tunnel traffic)");
    public static final DropReason VXLAN_NO_BUFFER = DropReason.declare("VXLAN_NO_BUFFER",
        "VXLAN datagram split off a UDP GSO super-datagram while the packet pool is dry");
    public static final DropReason VXLAN_CLEAR_ON_ENCRYPTED = DropReason.declare("VXLAN_CLEAR_ON_ENCRYPTED",
        "clear VXLAN datagram for an encrypted network (only WireGuard-sealed ones are taken, whoever sent it)");

    /** Every reason of this module; naming it declares them all. */
    public static final List<DropReason> ALL = List.of(VXLAN_MALFORMED, VXLAN_FRAGMENTED, VXLAN_UNKNOWN_VNI,
        VXLAN_UNKNOWN_SOURCE, VXLAN_FROM_CONTAINER, VXLAN_NO_BUFFER, VXLAN_CLEAR_ON_ENCRYPTED);

    private VxlanDrops()
    {
    }
}
