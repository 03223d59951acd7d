package io.berth.control.dataplane;

/**
 * The interface berthd drives towards the outside (AF_PACKET), and the address it owns there.
 *
 * @param iface        a NIC or veth end in berthd's namespace holding no kernel address.
 * @param ip           the uplink address berthd answers ARP for and masquerades to.
 * @param prefixLength the uplink subnet's prefix: destinations inside it are reached directly.
 * @param gateway      the next hop for everything else; 0 when there is none (only the uplink subnet is reachable).
 */
public record UplinkSpec(String iface, int ip, int prefixLength, int gateway)
{
}
