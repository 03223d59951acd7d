package io.berth.control.dataplane;

import io.berth.conntrack.MidstreamPickup;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.l3.Router;
import io.berth.l3.Router6;
import io.berth.nat.PublishedPorts;

/**
 * Mid-stream TCP pickup after a restart that lost the tables (issue 13). Transit traffic is picked up in
 * the direction it comes; at berthd's own addresses only published ports are (a reply to a masqueraded port
 * is dropped until the container speaks again, rather than answered with a RST); a container's packet from
 * a published port's inside end is the reply of a published connection, re-created towards the address the
 * peer reaches: the host link's for the host, else the uplink's. Worker thread (the conntrack stage's).
 */
final class PublishedPickup implements MidstreamPickup
{
    private final Router router;
    private final Router6 router6;
    private final PublishedPorts published;

    PublishedPickup(final Router router, final Router6 router6, final PublishedPorts published)
    {
        this.router = router;
        this.router6 = router6;
        this.published = published;
    }

    /** IPv6: any but berthd's own addresses (the uplink's, berth0's, the gateways'), as IPv4's transit traffic. */
    @Override
    public boolean mayOpen6(final long destinationHi, final long destinationLo)
    {
        return !router6.isLocal(destinationHi, destinationLo);
    }

    @Override
    public boolean mayOpen(final int source, final int sourcePort, final int destination, final int destinationPort)
    {
        if (published.isInsideEnd(source, Ipv4Flyweight.PROTO_TCP, sourcePort))
        {
            return false;
        }
        return !router.isLocal(destination)
            || published.lookup(destination, Ipv4Flyweight.PROTO_TCP, destinationPort) != PublishedPorts.NONE;
    }

    @Override
    public long publishedAt(final int source, final int sourcePort, final int destination)
    {
        final long hostKey = published.publishedOnto(source, Ipv4Flyweight.PROTO_TCP, sourcePort);
        if (hostKey == PublishedPorts.NONE)
        {
            return NONE;
        }
        int hostAddress = PublishedPorts.hostAddress(hostKey);
        if (hostAddress == PublishedPorts.ANY_ADDRESS)
        {
            if (router.hostPort() != Router.NONE && destination == router.hostIp())
            {
                hostAddress = router.hostLinkIp();
            }
            else if (router.uplinkPort() != Router.NONE && router.domainOf(destination) == Router.NONE)
            {
                hostAddress = router.uplinkIp();
            }
            else
            {
                return NONE; // a container reaching it by hairpin was masqueraded too: its own packet will tell
            }
        }
        return MidstreamPickup.outsideEnd(hostAddress, PublishedPorts.hostPort(hostKey));
    }
}
