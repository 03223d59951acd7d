package io.berth.tap;

/**
 * {@link TapPort} passes the port contract against the real kernel: the TAP moves into a fresh namespace as eth0,
 * and the peer is an AF_PACKET socket on that eth0. Needs root and /dev/net/tun (fails without them under CI).
 */
class TapPortContractTest extends KernelPortContract
{
    @Override
    protected String prefix()
    {
        return "btpct";
    }

    @Override
    protected String[] plumb() throws Exception
    {
        Kernel.requireRootAndTun();
        final String ns = kernel.namespace();
        final String dev = kernel.device(kernel.name('t'));
        port = TapPort.open(portId(), dev, false);
        Kernel.plumbAsEth0(dev, ns);
        Kernel.awaitTransmitReady(ns, "eth0");
        return new String[] {ns, "eth0"};
    }
}
