package io.berth.tap;

import io.berth.dataplane.Port;
import io.berth.dataplane.PortContract;

/**
 * The port contract against the real kernel: a subclass makes the port and the device's far end in namespaces of
 * a {@link Kernel} scope; the peer is an AF_PACKET socket on that far end, and everything goes at close.
 */
abstract class KernelPortContract extends PortContract
{
    protected Kernel kernel;
    protected Port port;
    protected KernelPeer peer;

    /** Makes {@link #port} and returns the far end: the namespace and device the peer socket binds to. */
    protected abstract String[] plumb() throws Exception;

    @Override
    protected final void open() throws Exception
    {
        kernel = new Kernel(prefix());
        final String[] farEnd = plumb();
        kernel.onClose(port::close);
        peer = new KernelPeer(NetNamespace.run(farEnd[0], () -> AfPacketPort.open(99, farEnd[1])));
        kernel.onClose(peer::close);
    }

    /** At most 5 characters: the namespaces' and devices' name prefix. */
    protected abstract String prefix();

    @Override
    protected final Port port()
    {
        return port;
    }

    @Override
    protected final Peer peer()
    {
        return peer;
    }

    @Override
    protected final void close() throws Exception
    {
        if (kernel != null)
        {
            kernel.close();
        }
    }
}
