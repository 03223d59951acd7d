package io.berth.dataplane;

/** The in-memory port passes the port contract: its peer is the test itself. */
class MemoryPortContractTest extends PortContract
{
    private MemoryPort port;

    @Override
    protected void open()
    {
        port = new MemoryPort(portId(), "memory");
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
                port.inject(frame);
            }

            @Override
            public byte[] receive(final long timeoutMs)
            {
                return port.takeTransmitted();
            }
        };
    }

    @Override
    protected void close()
    {
        port.close();
    }
}
