package io.berth.tap;

import io.berth.tap.xdp.XdpPort;

/**
 * {@link XdpPort} passes the port contract against the real kernel: the port reads and writes one end of a veth
 * pair through its XDP program and AF_XDP socket, and the peer is an AF_PACKET socket on the other end. Needs root
 * (fails without it under CI).
 */
class XdpPortContractTest extends KernelPortContract
{
    @Override
    protected String prefix()
    {
        return "btxpc";
    }

    @Override
    protected String[] plumb() throws Exception
    {
        Kernel.requireRoot();
        final String ns = kernel.namespace();
        final String peerNs = kernel.namespace();
        Kernel.sh("ip", "-n", ns, "link", "add", "xp0", "type", "veth", "peer", "name", "eth0", "netns", peerNs);
        Kernel.sh("ip", "-n", ns, "link", "set", "xp0", "up");
        Kernel.sh("ip", "-n", peerNs, "link", "set", "eth0", "up");
        Kernel.awaitTransmitReady(ns, "xp0");
        Kernel.awaitTransmitReady(peerNs, "eth0");
        port = NetNamespace.run(ns, () -> XdpPort.open(portId(), "xp0"));
        return new String[] {peerNs, "eth0"};
    }
}
