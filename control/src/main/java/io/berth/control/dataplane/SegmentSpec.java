package io.berth.control.dataplane;

/**
 * A segment: the dataplane's building block for a network whose containers share one L2 domain with a routed
 * gateway (a bridge network today; an overlay or macvlan network adds its own ports to one). Runtime only: the id
 * is chosen by the driver at every start, never journaled.
 *
 * @param id           the bridge-domain id, dense, chosen by the driver.
 * @param name         the network's name, for counters.
 * @param subnet       network address as an int (172.17.0.0 = 0xAC110000).
 * @param prefixLength subnet prefix length.
 * @param gatewayIp    the gateway address the dataplane owns.
 * @param gatewayMac   its MAC (02:42 followed by the gateway address).
 * @param icc          false: no frame between two containers of the network; the gateway stays reachable.
 * @param internal     no outside access (used once routing exists).
 * @param mtu          the MTU set on container interfaces.
 */
public record SegmentSpec(int id, String name, int subnet, int prefixLength, int gatewayIp, long gatewayMac,
    boolean icc, boolean internal, int mtu)
{
}
