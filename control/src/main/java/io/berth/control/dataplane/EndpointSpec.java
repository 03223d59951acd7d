package io.berth.control.dataplane;

/**
 * One interface of a sandbox on one segment: a TAP device in the sandbox whose fd berthd holds.
 *
 * @param segmentId    the segment (bridge domain) it is attached to.
 * @param sandbox      the sandbox's network namespace name as `ip netns` knows it.
 * @param ifName       the interface name inside the sandbox: eth0, eth1, ...
 * @param deviceName   the TAP's name in berthd's namespace before it moves (unique, at most 15 chars).
 * @param mac          the interface MAC.
 * @param ip           the interface address.
 * @param prefixLength the network's prefix length.
 * @param gatewayIp    the network's gateway.
 * @param defaultRoute true for the sandbox's first interface: its default route goes via this gateway.
 * @param mtu          the interface MTU.
 */
public record EndpointSpec(int segmentId, String sandbox, String ifName, String deviceName, long mac, int ip,
    int prefixLength, int gatewayIp, boolean defaultRoute, int mtu)
{
}
