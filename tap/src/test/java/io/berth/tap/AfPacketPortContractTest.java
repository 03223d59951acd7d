package io.berth.tap;

import io.berth.dataplane.Port;
import io.berth.dataplane.PortContract;

/**
 * {@link AfPacketPort} passes the port contract against the real kernel: the port drives one end of a veth pair
 * in one namespace, the peer is an AF_PACKET socket on the other end in another. Needs root (fails without it
 * under CI).
 */
class AfPacketPortContractTest extends PortContract
{
    private Kernel kernel;
    private AfPacketPort port;
    private KernelPeer peer;

    @Override
    protected void open() throws Exception
    {
        Kernel.requireRoot();
        kernel = new Kernel("btpca");
        final String ns = kernel.namespace();
        final String peerNs = kernel.namespace();
        Kernel.sh("ip", "-n", ns, "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", peerNs);
        Kernel.sh("ip", "-n", ns, "link", "set", "up0", "up");
        Kernel.sh("ip", "-n", peerNs, "link", "set", "eth0", "up");
        port = NetNamespace.run(ns, () -> AfPacketPort.open(portId(), "up0"));
        kernel.onClose(port::close);
        peer = new KernelPeer(NetNamespace.run(peerNs, () -> AfPacketPort.open(99, "eth0")));
        kernel.onClose(peer::close);
    }

    @Override
    protected Port port()
    {
        return port;
    }

    @Override
    protected Peer peer()
    {
        return new Peer()
        {
            @Override
            public void send(final byte[] frame)
            {
                peer.send(frame);
            }

            @Override
            public byte[] receive(final long timeoutMs) throws InterruptedException
            {
                return peer.receive(timeoutMs);
            }
        };
    }

    @Override
    protected void close() throws Exception
    {
        if (kernel != null)
        {
            kernel.close();
        }
    }
}
