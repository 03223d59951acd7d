package io.berth.tap;

import io.berth.dataplane.Port;
import io.berth.dataplane.PortContract;

/**
 * {@link TapPort} passes the port contract against the real kernel: the TAP moves into a fresh namespace as eth0,
 * and the peer is an AF_PACKET socket on that eth0. Needs root and /dev/net/tun (fails without them under CI).
 */
class TapPortContractTest extends PortContract
{
    private Kernel kernel;
    private TapPort port;
    private KernelPeer peer;

    @Override
    protected void open() throws Exception
    {
        Kernel.requireRootAndTun();
        kernel = new Kernel("btpct");
        final String ns = kernel.namespace();
        final String dev = kernel.device(kernel.name('t'));
        port = TapPort.open(portId(), dev, false);
        kernel.onClose(port::close);
        Kernel.plumbAsEth0(dev, ns);
        final AfPacketPort socket = NetNamespace.run(ns, () -> AfPacketPort.open(99, "eth0"));
        peer = new KernelPeer(socket);
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
