package io.berth.dataplane;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayDeque;

/**
 * A port backed by Java queues: frames injected by a test or benchmark come out of {@link #receive}, frames the
 * dataplane transmits are kept (or only counted) for inspection. Not for production traffic; owned by the
 * worker thread, and by the test thread when the worker runs on it.
 */
public final class MemoryPort extends PortBase
{
    private final boolean offloads;
    private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    private final ArrayDeque<byte[]> outbound = new ArrayDeque<>();
    private boolean keepTransmitted = true;
    private byte[] replayFrame;

    public MemoryPort(final int id, final String name, final boolean offloads)
    {
        super(id, name);
        this.offloads = offloads;
    }

    public MemoryPort(final int id, final String name)
    {
        this(id, name, false);
    }

    /** Queues a frame to be received. */
    public void inject(final byte[] frame)
    {
        inbound.add(frame);
    }

    /**
     * Makes every receive produce copies of {@code frame} without queueing: an endless source for benchmarks.
     * Transmitted frames are then only counted.
     */
    public void replay(final byte[] frame)
    {
        replayFrame = frame;
        keepTransmitted = false;
    }

    public void keepTransmitted(final boolean keep)
    {
        keepTransmitted = keep;
    }

    /** The oldest transmitted frame not yet taken, or null. */
    public byte[] takeTransmitted()
    {
        return outbound.poll();
    }

    public int transmittedWaiting()
    {
        return outbound.size();
    }

    @Override
    public int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        int received = 0;
        final UnsafeBuffer buffer = pool.buffer();
        while (received < limit)
        {
            final byte[] frame = replayFrame != null ? replayFrame : inbound.poll();
            if (frame == null)
            {
                break;
            }
            final int handle = pool.allocate();
            if (handle == PacketPool.NO_PACKET)
            {
                counters.increment(PortCounters.RX_NO_BUFFER);
                if (replayFrame == null)
                {
                    inbound.addFirst(frame);
                }
                break;
            }
            pool.clearVnetHeader(handle);
            buffer.putBytes(pool.frameOffset(handle), frame);
            pool.frameLength(handle, frame.length);
            pool.inPort(handle, id());
            into.add(handle);
            counters.received(frame.length);
            received++;
        }
        return received;
    }

    /** One queued frame into a packet the caller holds (a port worker's lent slot). */
    @Override
    public int receiveOne(final PacketPool pool, final int handle)
    {
        final byte[] frame = replayFrame != null ? replayFrame : inbound.poll();
        if (frame == null)
        {
            return NOTHING;
        }
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        pool.inPort(handle, id());
        counters.received(frame.length);
        return RECEIVED;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        final int length = pool.frameLength(handle);
        if (keepTransmitted)
        {
            final byte[] copy = new byte[length];
            pool.buffer().getBytes(pool.frameOffset(handle), copy);
            outbound.add(copy);
        }
        counters.transmitted(length);
        return true;
    }

    @Override
    public boolean offloads()
    {
        return offloads;
    }

    @Override
    public int pollFd()
    {
        return -1;
    }

    @Override
    public void close()
    {
        inbound.clear();
        outbound.clear();
    }
}
