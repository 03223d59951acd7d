package io.berth.tap;

/**
 * {@link AfPacketPort} passes the port contract against the real kernel: the port drives one end of a veth pair
 * in one namespace, the peer is an AF_PACKET socket on the other end in another. Needs root (fails without it
 * under CI).
 */
class AfPacketPortContractTest extends KernelPortContract
{
    @Override
    protected String prefix()
    {
        return "btpca";
    }

    @Override
    protected String[] plumb() throws Exception
    {
        Kernel.requireRoot();
        final String ns = kernel.namespace();
        final String peerNs = kernel.namespace();
        Kernel.sh("ip", "-n", ns, "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", peerNs);
        Kernel.sh("ip", "-n", ns, "link", "set", "up0", "up");
        Kernel.sh("ip", "-n", peerNs, "link", "set", "eth0", "up");
        Kernel.awaitTransmitReady(ns, "up0");
        Kernel.awaitTransmitReady(peerNs, "eth0");
        port = NetNamespace.run(ns, () -> AfPacketPort.open(portId(), "up0"));
        return new String[] {peerNs, "eth0"};
    }
}
