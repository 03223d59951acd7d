package io.berth.dataplane.capture;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.AtomicBuffer;

/**
 * Copies the packets handed to one graph node that arrived on, or leave by, one of the armed ports into a ring a
 * capture reader drains. Armed per node by worker command; a node without a tap costs one array read per batch
 * and nothing per packet. A full ring drops the copy (counted), never the packet, and never waits.
 * <pre>
 *  record (ring message, type {@link #RECORD}):
 *  0        4        8        12       16                24
 *  | node   | inPort | egress | length | epoch nanos     | frame bytes (at most snaplen) ... |
 * </pre>
 * Worker thread (the ring's only producer); allocation-free.
 */
public final class CaptureTap
{
    public static final int RECORD = 1;
    public static final int NODE_OFFSET = 0;
    public static final int IN_PORT_OFFSET = 4;
    public static final int EGRESS_OFFSET = 8;
    public static final int LENGTH_OFFSET = 12;
    public static final int TIME_OFFSET = 16;
    public static final int HEADER = 24;

    private final int node;
    private final boolean[] ports;
    private final int snaplen;
    private final RingBuffer ring;
    private final AtomicLong dropped;
    private final long epochOffsetNanos;

    /**
     * @param ports   by port id: true for the ports whose packets are copied.
     * @param dropped counts copies the full ring had no room for (shared with the reader).
     */
    public CaptureTap(final int node, final boolean[] ports, final int snaplen, final RingBuffer ring,
        final AtomicLong dropped)
    {
        this.node = node;
        this.ports = ports.clone();
        this.snaplen = snaplen;
        this.ring = ring;
        this.dropped = dropped;
        this.epochOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    }

    public void capture(final PacketPool pool, final PacketBatch batch)
    {
        final long now = System.nanoTime() + epochOffsetNanos;
        final UnsafeBuffer frames = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final int in = pool.inPort(handle);
            final int out = pool.egress(handle);
            if (!(armed(in) || armed(out)))
            {
                continue;
            }
            final int length = pool.frameLength(handle);
            final int caplen = Math.min(length, snaplen);
            final int index = ring.tryClaim(RECORD, HEADER + caplen);
            if (index < 0) // INSUFFICIENT_CAPACITY; a claimed index is never negative
            {
                dropped.lazySet(dropped.get() + 1); // single writer: the worker
                continue;
            }
            final AtomicBuffer target = ring.buffer();
            target.putInt(index + NODE_OFFSET, node);
            target.putInt(index + IN_PORT_OFFSET, in);
            target.putInt(index + EGRESS_OFFSET, out);
            target.putInt(index + LENGTH_OFFSET, length);
            target.putLong(index + TIME_OFFSET, now);
            target.putBytes(index + HEADER, frames, pool.frameOffset(handle), caplen);
            ring.commit(index);
        }
    }

    private boolean armed(final int port)
    {
        return port >= 0 && port < ports.length && ports[port];
    }
}
