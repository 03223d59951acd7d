package io.berth.control.dataplane;

/**
 * One interface of a sandbox on one segment: a TAP device in the sandbox whose fd berthd holds.
 *
 * @param segmentId    the segment (bridge domain) it is attached to.
 * @param sandbox      the sandbox's network namespace name as `ip netns` knows it; or, for a sandbox a runtime
 *                     configures (Docker's), the path of its namespace file (see {@link #configuredByRuntime()}).
 * @param ifName       the interface name inside the sandbox: eth0, eth1, ...
 * @param deviceName   the TAP's name in berthd's namespace before it moves (unique, at most 15 chars).
 * @param mac          the interface MAC.
 * @param ip           the interface address.
 * @param prefixLength the network's prefix length.
 * @param gatewayIp    the network's gateway.
 * @param defaultRoute true for the sandbox's first interface: its default route goes via this gateway.
 * @param mtu          the interface MTU.
 * @param portType     TAP or AF_XDP, or null for berthd's default ({@code --port-type}).
 */
public record EndpointSpec(int segmentId, String sandbox, String ifName, String deviceName, long mac, int ip,
    int prefixLength, int gatewayIp, boolean defaultRoute, int mtu, PortType portType, Ipv6 ipv6)
{
    /**
     * A dual-stack endpoint's IPv6 address, its prefix length and its gateway (issue 27); {@code acceptRa}: the
     * network advertises its router (ipv6.ra=true), so the container listens; {@code only}: an IPv6-only network,
     * the container gets no IPv4 address nor route; {@code linkLocal}: its link-local address's interface id when
     * it is not its MAC's EUI-64 (ipvlan's containers share a MAC), else 0. Immutable.
     */
    public record Ipv6(long hi, long lo, int prefixLength, long gatewayHi, long gatewayLo, boolean acceptRa,
        boolean only, long linkLocal)
    {
        /** Dual-stack, the link-local address from the MAC. */
        public Ipv6(final long hi, final long lo, final int prefixLength, final long gatewayHi, final long gatewayLo,
            final boolean acceptRa)
        {
            this(hi, lo, prefixLength, gatewayHi, gatewayLo, acceptRa, false, 0);
        }

        public Ipv6(final long hi, final long lo, final int prefixLength, final long gatewayHi, final long gatewayLo,
            final boolean acceptRa, final boolean only)
        {
            this(hi, lo, prefixLength, gatewayHi, gatewayLo, acceptRa, only, 0);
        }

        /** The same with the link-local address fe80::{@code interfaceId} instead of the MAC's (ipvlan). */
        public Ipv6 withLinkLocal(final long interfaceId)
        {
            return new Ipv6(hi, lo, prefixLength, gatewayHi, gatewayLo, acceptRa, only, interfaceId);
        }
    }

    /** IPv4 only. */
    public EndpointSpec(final int segmentId, final String sandbox, final String ifName, final String deviceName,
        final long mac, final int ip, final int prefixLength, final int gatewayIp, final boolean defaultRoute,
        final int mtu, final PortType portType)
    {
        this(segmentId, sandbox, ifName, deviceName, mac, ip, prefixLength, gatewayIp, defaultRoute, mtu, portType,
            null);
    }

    /** With berthd's default port type. */
    public EndpointSpec(final int segmentId, final String sandbox, final String ifName, final String deviceName,
        final long mac, final int ip, final int prefixLength, final int gatewayIp, final boolean defaultRoute,
        final int mtu)
    {
        this(segmentId, sandbox, ifName, deviceName, mac, ip, prefixLength, gatewayIp, defaultRoute, mtu, null);
    }

    /**
     * Whether a runtime moves, names and addresses the interface (Docker's network driver contract): berth makes
     * the TAP in its own namespace under {@code deviceName} and leaves the rest to the runtime. Such a sandbox is
     * named by its namespace file's absolute path; berth's own and CNI sandboxes by a name under /run/netns.
     */
    public boolean configuredByRuntime()
    {
        return sandbox != null && sandbox.startsWith("/");
    }
}
