package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortContract;

/**
 * The kernel side of a port under the port contract: an AF_PACKET socket on the device's other end (the TAP's
 * kernel interface, or the veth peer), with its own pool. Test thread only.
 */
final class KernelPeer implements PortContract.Peer
{
    private final AfPacketPort socket;
    private final PacketPool pool = new PacketPool(16);
    private final PacketBatch batch = new PacketBatch();

    KernelPeer(final AfPacketPort socket)
    {
        this.socket = socket;
    }

    @Override
    public void send(final byte[] frame)
    {
        final int handle = pool.allocate();
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        if (!socket.transmit(pool, handle))
        {
            pool.release(handle);
            throw new IllegalStateException("the peer socket refused the frame");
        }
        pool.release(handle);
    }

    /** The next frame of the contract's ethertype, or null after {@code timeoutMs}; others are skipped. */
    @Override
    public byte[] receive(final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline)
        {
            batch.clear();
            final int n = socket.receive(pool, batch, 1);
            if (n == 0)
            {
                Thread.sleep(1);
                continue;
            }
            final int handle = batch.get(0);
            final byte[] frame = new byte[pool.frameLength(handle)];
            pool.buffer().getBytes(pool.frameOffset(handle), frame);
            pool.release(handle);
            if (frame.length >= 14 && ((frame[12] & 0xFF) << 8 | (frame[13] & 0xFF)) == 0x88B5)
            {
                return frame;
            }
        }
        return null;
    }

    void close()
    {
        socket.close();
    }
}
