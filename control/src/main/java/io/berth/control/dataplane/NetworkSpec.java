package io.berth.control.dataplane;

/**
 * A network as the dataplane needs it.
 *
 * @param id           dense id, also the bridge-domain id (0 for the default network "bridge").
 * @param name         the network's name, for counters.
 * @param subnet       network address as an int (172.17.0.0 = 0xAC110000).
 * @param prefixLength subnet prefix length.
 * @param gatewayIp    the gateway address the dataplane owns.
 * @param gatewayMac   its MAC (02:42 followed by the gateway address).
 * @param icc          false: no frame between two containers of the network; the gateway stays reachable.
 * @param internal     no outside access (used once routing exists).
 * @param mtu          the MTU set on container interfaces.
 */
public record NetworkSpec(int id, String name, int subnet, int prefixLength, int gatewayIp, long gatewayMac,
    boolean icc, boolean internal, int mtu)
{
}
