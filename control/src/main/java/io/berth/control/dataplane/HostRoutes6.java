package io.berth.control.dataplane;

import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.ipam.Ipv6Subnets;
import io.berth.l3.Router6Commands;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * The control side of IPv6 routing (issue 27): berth0's IPv6 twin of 169.254.123.0/30, fd00:a9fe:7b00::/64
 * (a9fe:7b is 169.254.123; the host is ::1, berthd ::2, so nothing else on the host is likely to use it), the
 * host's routes to each dual-stack network through it, each network's prefix in the IPv6 router, and berthd's
 * IPv6 address on the uplink. Control thread.
 */
final class HostRoutes6
{
    static final long HOST_LINK_PREFIX = Ipv6Subnets.HOST_LINK.hi();
    static final String HOST_LINK_HOST = "fd00:a9fe:7b00::1";
    static final String HOST_LINK_OURS = "fd00:a9fe:7b00::2";
    private static final System.Logger LOG = System.getLogger("io.berth.control.dataplane");

    private final PacketPath path;
    private final Map<Integer, String> hostRoutes = new HashMap<>();
    private String hostLinkDevice;

    HostRoutes6(final PacketPath path)
    {
        this.path = path;
    }

    /** Asked each time: the proxy changes when the worker starts running commands on its thread. */
    private Router6Commands router6()
    {
        return path.router6Commands();
    }

    /** berth0 is up: its IPv6 address (no duplicate detection: the prefix is berth's own), berthd's beside it. */
    void hostLinkStarted(final String device)
    {
        try
        {
            Iproute.configureHostLink6(device, HOST_LINK_HOST + "/64");
            await(router6().hostLink(HOST_LINK_PREFIX, 2, HOST_LINK_PREFIX, 1));
            hostLinkDevice = device;
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.WARNING, "no IPv6 on the host link (" + e.getMessage() + "): the host " +
                "will not reach containers by IPv6 address");
        }
    }

    /** A dual-stack segment: its prefix routed (masqueraded on the uplink or not), the host's route to it. */
    void addSegment(final int segmentId, final Ipv6Cidr prefix, final long gatewayHi, final long gatewayLo,
        final int ipv4Network, final boolean masquerade)
    {
        await(router6().addDomain(segmentId, prefix.hi(), prefix.lo(), prefix.prefixLength(), gatewayHi, gatewayLo,
            ipv4Network, masquerade));
        if (hostLinkDevice != null)
        {
            try
            {
                Iproute.routeVia6(prefix.toString(), HOST_LINK_OURS, hostLinkDevice);
                hostRoutes.put(segmentId, prefix.toString());
            }
            catch (final IOException e)
            {
                LOG.log(System.Logger.Level.WARNING, "the host will not reach " + prefix + ": " + e.getMessage());
            }
        }
    }

    void removeSegment(final int segmentId)
    {
        await(router6().removeDomain(segmentId));
        final String route = hostRoutes.remove(segmentId);
        if (route != null)
        {
            Iproute.deleteRoute6(route);
        }
    }

    /** berthd's IPv6 address on the uplink ({@code --uplink-ip6}), with its next hop ({@code --uplink-gateway6}). */
    void uplink(final UplinkSpec spec)
    {
        if (spec.ip6() != null)
        {
            await(router6().uplink(spec.ip6()[0], spec.ip6()[1], spec.prefix6Length(),
                spec.gateway6() == null ? 0 : spec.gateway6()[0], spec.gateway6() == null ? 0 : spec.gateway6()[1]));
            await(path.natCommands().uplink6(spec.ip6()[0], spec.ip6()[1]));
        }
    }
}
