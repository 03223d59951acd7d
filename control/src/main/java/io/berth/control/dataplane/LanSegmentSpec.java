package io.berth.control.dataplane;

/**
 * A segment whose wire is a parent interface's LAN (a macvlan or ipvlan network), or no wire at all. Its gateway is
 * a router on that LAN, never berth; what berth answers in it is the host's address, so the host reaches its
 * containers through berth0. Runtime only: the id is chosen by the driver at every start.
 *
 * @param id           the bridge-domain id, dense, chosen by the driver.
 * @param name         the network's name, for counters and for naming it when another network wants its parent.
 * @param subnet       network address as an int.
 * @param prefixLength subnet prefix length.
 * @param parent       the interface in berthd's namespace (the uplink's too), or null: no LAN (internal).
 * @param vid          the 802.1Q VLAN on the parent, 1..4094, or 0 for untagged.
 * @param mode         how containers sit on the LAN.
 * @param icc          false (ipvlan private): containers of the network cannot talk to each other.
 * @param mtu          the MTU of container interfaces.
 * @param moreSubnets  ipvlan L3: the further subnets, as (address, prefix length) pairs; else empty.
 * @param routerIp     ipvlan L3: berth's address on the parent's LAN (0: the uplink's, when the parent is it).
 * @param routerPrefix its prefix length.
 */
public record LanSegmentSpec(int id, String name, int subnet, int prefixLength, String parent, int vid, Mode mode,
    boolean icc, int mtu, int[] moreSubnets, int routerIp, int routerPrefix)
{
    public LanSegmentSpec(final int id, final String name, final int subnet, final int prefixLength, final String parent,
        final int vid, final Mode mode, final boolean icc, final int mtu)
    {
        this(id, name, subnet, prefixLength, parent, vid, mode, icc, mtu, new int[0], 0, 0);
    }

    public enum Mode
    {
        /** Each container has a MAC of its own on the LAN. */
        MACVLAN,
        /** Every container has the parent's MAC; berth answers ARP for their addresses with it. */
        IPVLAN_L2,
        /** Containers (NOARP, the parent's MAC) are routed: between the subnets, to the LAN from berth's address. */
        IPVLAN_L3;

        /** Docker's rule: one parent serves macvlan or ipvlan networks, never both at once. */
        public String driver()
        {
            return this == MACVLAN ? "macvlan" : "ipvlan";
        }
    }
}
