package io.berth.control.dataplane;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.capture.CaptureTap;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Capture sessions over one ring: the worker's {@link CaptureTap}s write copies into it, a reader thread
 * ("berth-capture") hands each record to the sessions whose stage and ports it matches, each with a bounded queue
 * (a slow reader loses copies, counted, and never slows the worker). Arming and disarming re-tap the node with the
 * union of its sessions' ports, by worker command. Any thread; open and close are serialised.
 */
public final class CaptureRing implements AutoCloseable
{
    private static final int RING_BYTES = 4 << 20;
    private static final int SESSION_QUEUE = 8192;
    /**
     * What a session's queue may hold in packet bytes. Copies waiting for a slow reader are live heap, and young
     * collections copy live objects: 8,192 queued 64 KiB TSO frames (512 MiB) had the collector using more CPU
     * than the worker under a captured 5 Gbps flow. A reader that falls this far behind loses copies (counted).
     */
    private static final long SESSION_QUEUE_BYTES = 16 << 20;

    /** One copied packet. */
    public record Record(String stage, String inPort, String outPort, long epochNanos, int length, byte[] data)
    {
    }

    /** A capture: its records until closed. */
    public final class Session implements AutoCloseable
    {
        final int node;
        final String stage;
        final boolean[] ports;
        final int snaplen;
        final BlockingQueue<Record> queue = new ArrayBlockingQueue<>(SESSION_QUEUE);
        final AtomicLong lost = new AtomicLong();
        private final AtomicLong queuedBytes = new AtomicLong();
        private final AtomicLong queued = new AtomicLong();
        private volatile boolean closed;

        Session(final int node, final String stage, final boolean[] ports, final int snaplen)
        {
            this.node = node;
            this.stage = stage;
            this.ports = ports;
            this.snaplen = snaplen;
        }

        /** The next record, or null after {@code timeoutMs}. */
        public Record poll(final long timeoutMs) throws InterruptedException
        {
            final Record record = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (record != null)
            {
                queuedBytes.addAndGet(-record.data().length);
            }
            return record;
        }

        /** Whether a copy of {@code bytes} would fit. The reader thread. */
        boolean hasRoom(final int bytes)
        {
            return queuedBytes.get() + bytes <= SESSION_QUEUE_BYTES && queue.remainingCapacity() > 0;
        }

        /**
         * Queues a copy {@link #hasRoom} made room for (only the client's thread takes from the queue meanwhile,
         * so the room stays). The reader thread.
         */
        void offer(final Record record)
        {
            if (!queue.offer(record))
            {
                lost.incrementAndGet();
                return;
            }
            queuedBytes.addAndGet(record.data().length);
            queued.lazySet(queued.get() + 1); // single writer: the reader thread
        }

        /** Copies lost: the ring was full (the worker's side) or this session's queue was. */
        public long lost()
        {
            return lost.get() + ringDrops.get();
        }

        @Override
        public void close()
        {
            if (!closed)
            {
                closed = true;
                remove(this);
            }
        }
    }

    private final PacketPath pipeline;
    private final IntFunction<String> portName;
    private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
    private final AtomicLong ringDrops = new AtomicLong();
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private Thread reader;
    private volatile boolean running = true;

    CaptureRing(final PacketPath pipeline, final IntFunction<String> portName)
    {
        this.pipeline = pipeline;
        this.portName = portName;
    }

    /** Arms a capture at graph node {@code node} for the ports marked in {@code ports} (by id). */
    synchronized Session open(final int node, final String stage, final boolean[] ports, final int snaplen)
    {
        final Session session = new Session(node, stage, ports.clone(), snaplen);
        sessions.add(session);
        if (reader == null)
        {
            reader = new Thread(this::readLoop, "berth-capture");
            reader.setDaemon(true);
            reader.start();
        }
        rearm(node);
        return session;
    }

    private synchronized void remove(final Session session)
    {
        sessions.remove(session);
        rearm(session.node);
    }

    /** The node's tap: the union of its sessions' ports, or none. */
    private void rearm(final int node)
    {
        boolean[] union = null;
        int snaplen = 0;
        for (final Session s : sessions)
        {
            if (s.node != node)
            {
                continue;
            }
            if (union == null)
            {
                union = new boolean[s.ports.length];
            }
            for (int i = 0; i < s.ports.length; i++)
            {
                union[i] |= s.ports[i];
            }
            snaplen = Math.max(snaplen, s.snaplen);
        }
        final CaptureTap tap = union == null ? null : new CaptureTap(node, union, snaplen, ring, ringDrops);
        WorkerCalls.await(pipeline.worker.submit(() -> pipeline.graph.tap(node, tap)));
    }

    private void readLoop()
    {
        while (running)
        {
            // Every session full: leave the records in the ring. The ring then fills and the worker's tap drops
            // new copies with one failed claim each, instead of copying frames that this thread would only drop.
            final int read = everySessionFull() ? 0 : ring.read((type, buffer, index, length) ->
            {
                final int node = buffer.getInt(index + CaptureTap.NODE_OFFSET);
                final int in = buffer.getInt(index + CaptureTap.IN_PORT_OFFSET);
                final int out = buffer.getInt(index + CaptureTap.EGRESS_OFFSET);
                final int wire = buffer.getInt(index + CaptureTap.LENGTH_OFFSET);
                final long time = buffer.getLong(index + CaptureTap.TIME_OFFSET);
                final int captured = length - CaptureTap.HEADER;
                byte[] data = null; // copied out of the ring only when a session has room for it
                Record record = null;
                for (final Session s : sessions)
                {
                    if (s.node != node || !(armed(s.ports, in) || armed(s.ports, out)))
                    {
                        continue;
                    }
                    if (!s.hasRoom(Math.min(captured, s.snaplen)))
                    {
                        s.lost.incrementAndGet();
                        continue;
                    }
                    if (data == null)
                    {
                        data = new byte[captured];
                        buffer.getBytes(index + CaptureTap.HEADER, data);
                        record = new Record(s.stage, in >= 0 ? portName.apply(in) : "",
                            out >= 0 ? portName.apply(out) : "", time, wire, data);
                    }
                    final Record own = data.length <= s.snaplen ? record : new Record(record.stage(), record.inPort(),
                        record.outPort(), time, wire, Arrays.copyOf(data, s.snaplen));
                    s.offer(own);
                }
            }, 256);
            if (read == 0)
            {
                try
                {
                    Thread.sleep(sessions.isEmpty() ? 50 : 1);
                }
                catch (final InterruptedException e)
                {
                    return;
                }
            }
        }
    }

    /** The armed captures, for {@code berth counters -o json}: stage, ports, copies taken and lost. Any thread. */
    public List<Map<String, Object>> describe()
    {
        final List<Map<String, Object>> out = new ArrayList<>();
        for (final Session s : sessions)
        {
            final Map<String, Object> values = new LinkedHashMap<>();
            values.put("stage", s.stage);
            final List<String> names = new ArrayList<>();
            for (int id = 0; id < s.ports.length; id++)
            {
                if (s.ports[id])
                {
                    names.add(portName.apply(id));
                }
            }
            values.put("ports", names);
            values.put("snaplen", s.snaplen);
            values.put("copies", s.queued.get());
            values.put("waiting", s.queue.size());
            values.put("lost", s.lost());
            out.add(values);
        }
        return out;
    }

    /** True when there are sessions and none has room for another full-size copy. The reader thread. */
    private boolean everySessionFull()
    {
        if (sessions.isEmpty())
        {
            return false; // what is left in the ring is read and dropped, so a new session starts fresh
        }
        for (final Session s : sessions)
        {
            if (s.hasRoom(Math.min(s.snaplen, PacketPool.receiveCapacity())))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean armed(final boolean[] ports, final int port)
    {
        return port >= 0 && port < ports.length && ports[port];
    }

    @Override
    public void close()
    {
        running = false;
        if (reader != null)
        {
            reader.interrupt();
        }
    }
}
