package io.berth.control.ipam;

import io.berth.control.event.Event;

import java.util.Map;

/**
 * Address management, as libnetwork's IPAM driver API: pools for networks and addresses within them. The local
 * IPAM ({@link LocalIpam}) keeps pools in berthd's own state; a cluster-wide one (on etcd transactions, for global
 * networks) plugs in beside it. Control thread.
 */
public interface Ipam
{
    /** "default" for the local IPAM, as Docker names its own. */
    String name();

    /** Where a dual-stack network without an IPv6 --subnet gets its /64 ({@code berthd --default-pool6}). */
    default Ipv6Cidr ipv6Pool()
    {
        return Ipv6Subnets.DEFAULT_POOL;
    }

    /**
     * Validates a new network's pool, or picks one when no subnet is given.
     *
     * @param inUse the subnets of the networks that exist, with their names; the new one may overlap none.
     * @throws io.berth.control.error.BerthException naming the offending value and what would be valid.
     */
    Event.IpamConfig requestPool(String subnet, String ipRange, String gateway, Map<Cidr, String> inUse);

    /**
     * Like {@link #requestPool(String, String, String, Map)}; with {@code onHostLan}, for a network whose containers
     * sit on a LAN the host is on (macvlan, ipvlan): the host's own subnets (the uplink's) are not refused, only the
     * host's addresses in them are never given out.
     */
    default Event.IpamConfig requestPool(final String subnet, final String ipRange, final String gateway,
        final Map<Cidr, String> inUse, final boolean onHostLan)
    {
        return requestPool(subnet, ipRange, gateway, inUse);
    }

    /** Ranges no network may overlap (special-purpose blocks, the uplink's subnet), with why. */
    default Map<Cidr, String> reservedRanges()
    {
        return Map.of();
    }

    /** The address book of one network's pool; replay takes the addresses in use into it. */
    AddressPool addressBook(String networkName, Cidr subnet, Cidr range, int gateway);
}
