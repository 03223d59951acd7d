package io.berth.benchmarks;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An endless source that hands out its frames in turn (so consecutive packets differ, unlike
 * {@code MemoryPort.replay}); transmitted frames are only counted. Allocation-free; owned by the worker thread.
 */
public final class RotatingPort implements Port
{
    private final int id;
    private final byte[][] frames;
    private final PortCounters counters = new PortCounters();
    private int next;

    public RotatingPort(final int id, final byte[][] frames)
    {
        this.id = id;
        this.frames = frames.clone();
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String name()
    {
        return "rotating" + id;
    }

    @Override
    public int receive(final PacketPool pool, final PacketBatch into, final int limit)
    {
        final UnsafeBuffer buffer = pool.buffer();
        int received = 0;
        while (received < limit)
        {
            final int handle = pool.allocate();
            if (handle == PacketPool.NO_PACKET)
            {
                counters.increment(PortCounters.RX_NO_BUFFER);
                break;
            }
            final byte[] frame = frames[next];
            next = next + 1 == frames.length ? 0 : next + 1;
            pool.clearVnetHeader(handle);
            buffer.putBytes(pool.frameOffset(handle), frame);
            pool.frameLength(handle, frame.length);
            pool.inPort(handle, id);
            into.add(handle);
            counters.received(frame.length);
            received++;
        }
        return received;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        counters.transmitted(pool.frameLength(handle));
        return true;
    }

    @Override
    public boolean offloads()
    {
        return false;
    }

    @Override
    public int pollFd()
    {
        return -1;
    }

    @Override
    public PortCounters counters()
    {
        return counters;
    }

    @Override
    public void close()
    {
    }
}
