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
 */
public record LanSegmentSpec(int id, String name, int subnet, int prefixLength, String parent, int vid, Mode mode,
    boolean icc, int mtu)
{
    public enum Mode
    {
        /** Each container has a MAC of its own on the LAN. */
        MACVLAN,
        /** Every container has the parent's MAC; berth answers ARP for their addresses with it. */
        IPVLAN_L2;

        /** Docker's rule: one parent serves macvlan or ipvlan networks, never both at once. */
        public String driver()
        {
            return this == MACVLAN ? "macvlan" : "ipvlan";
        }
    }
}
