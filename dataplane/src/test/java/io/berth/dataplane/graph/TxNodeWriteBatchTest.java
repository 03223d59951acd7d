package io.berth.dataplane.graph;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.Egress;
import io.berth.dataplane.Frames;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.WriteBatch;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transmit stage with a {@link WriteBatch}: what is queued, when it is flushed, and how each packet ends. */
class TxNodeWriteBatchTest
{
    private static final int FLOOD_LIST = 4;
    private static final long A = mac("02:42:ac:11:00:02");
    private static final long B = mac("02:42:ac:11:00:03");
    private static final int IP_A = ip("172.17.0.2");
    private static final int IP_B = ip("172.17.0.3");

    private final PacketPool pool = new PacketPool(32);
    private final DropCounters drops = new DropCounters();
    private final PortTable ports = new PortTable();
    private final RecordingBatch batch = new RecordingBatch(3);
    private final BatchingPort x = new BatchingPort(0, "x");
    private final BatchingPort y = new BatchingPort(1, "y");
    private final MemoryPort plain = new MemoryPort(2, "plain", true);
    private Graph graph;

    @BeforeEach
    void build()
    {
        final TxNode tx = new TxNode(ports);
        tx.writeBatch(batch);
        graph = TestGraphs.autowire(pool, drops, tx);
        ports.put(x);
        ports.put(y);
        ports.put(plain);
        ports.floodList(FLOOD_LIST, new int[] {0, 1, 2});
    }

    private byte[] send(final int seq, final int inPort, final int egress)
    {
        final byte[] frame = Frames.udpFrame(A, B, IP_A, IP_B, 1000 + seq, 2, 64);
        final int handle = TestNodes.load(pool, frame, inPort);
        pool.egress(handle, egress);
        graph.inject(handle);
        return frame;
    }

    @Test
    void unicastWritesAreQueuedFlushedOnceAndThePacketsReleasedAfter()
    {
        final byte[] one = send(1, 2, 0);
        final byte[] two = send(2, 2, 1);
        graph.run();
        assertEquals(1, batch.flushes, "one flush for the pass");
        assertEquals(2, batch.written.size());
        assertArrayEquals(one, batch.written.get(0), "the bytes were still there at the flush");
        assertArrayEquals(two, batch.written.get(1));
        assertEquals(1, x.counters().get(PortCounters.TX_PACKETS));
        assertEquals(pool.capacity(), pool.available());
        for (final DropReason reason : DropReason.values())
        {
            assertEquals(0, drops.get(reason), reason.name());
        }
    }

    @Test
    void aFailedBatchedWriteDropsItsPacketTxFailedAndOnlyThatOne()
    {
        batch.failTags.add(0);
        send(1, 2, 0);
        send(2, 2, 1);
        graph.run();
        assertEquals(1, drops.get(DropReason.TX_FAILED));
        assertEquals(1, x.counters().get(PortCounters.TX_ERRORS));
        assertEquals(1, y.counters().get(PortCounters.TX_PACKETS));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void aFullBatchIsFlushedBeforeTheNextWriteSoAPortKeepsItsOrder()
    {
        final List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 7; i++)
        {
            sent.add(send(i, 2, 0));
        }
        graph.run();
        assertEquals(3, batch.flushes, "3 + 3 + 1");
        assertEquals(7, batch.written.size());
        for (int i = 0; i < 7; i++)
        {
            assertArrayEquals(sent.get(i), batch.written.get(i), "frame " + i + " in order");
        }
        assertEquals(7, x.counters().get(PortCounters.TX_PACKETS));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void floodCopiesAreBatchedWhereThePortCanAndAFailedCopyIsCounted()
    {
        batch.failTags.add(-1); // flood copies carry the tag -1
        batch.failOnce = true;
        final byte[] frame = send(9, 1, Egress.flood(FLOOD_LIST));
        graph.run();
        assertEquals(1, batch.written.size() + batch.failed, "x's copy went through the batch");
        assertArrayEquals(frame, plain.takeTransmitted(), "a port that does not batch writes at once");
        assertEquals(1, drops.get(DropReason.TX_FAILED), "the lost copy is counted");
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void withoutQueuedWritesThereIsNoFlush()
    {
        send(1, 0, 2);
        graph.run();
        assertEquals(0, batch.flushes);
        assertTrue(plain.transmittedWaiting() == 1);
    }

    /** A WriteBatch that copies each queued write's bytes out at flush time, failing the tags it is told to. */
    private static final class RecordingBatch implements WriteBatch
    {
        private final int capacity;
        private final long[] addresses;
        private final int[] lengths;
        private final int[] tags;
        private final Port[] owners;
        private int count;
        final List<byte[]> written = new ArrayList<>();
        final Set<Integer> failTags = new HashSet<>();
        boolean failOnce;
        int failed;
        int flushes;

        RecordingBatch(final int capacity)
        {
            this.capacity = capacity;
            addresses = new long[capacity];
            lengths = new int[capacity];
            tags = new int[capacity];
            owners = new Port[capacity];
        }

        @Override
        public boolean queue(final Port port, final int fd, final long address, final int length, final int frameLength,
            final int tag)
        {
            if (count == capacity)
            {
                return false;
            }
            owners[count] = port;
            addresses[count] = address;
            lengths[count] = frameLength;
            tags[count] = tag;
            count++;
            return true;
        }

        @Override
        public boolean isFull()
        {
            return count == capacity;
        }

        @Override
        public boolean isEmpty()
        {
            return count == 0;
        }

        @Override
        public void flush(final IntConsumer onFailed)
        {
            flushes++;
            for (int i = 0; i < count; i++)
            {
                if (failTags.contains(tags[i]))
                {
                    if (failOnce)
                    {
                        failTags.remove(tags[i]);
                    }
                    failed++;
                    owners[i].counters().increment(PortCounters.TX_ERRORS);
                    onFailed.accept(tags[i]);
                    continue;
                }
                final byte[] frame = new byte[lengths[i]];
                // the write names [vnet header | frame]: the frame starts after the header
                new UnsafeBuffer(addresses[i] + PacketPool.VNET_HDR_LEN, lengths[i]).getBytes(0, frame);
                written.add(frame);
                owners[i].counters().transmitted(lengths[i]);
            }
            count = 0;
        }

        @Override
        public void close()
        {
        }
    }

    /** A port that batches every write it can, as a TAP does with --io-uring; never writes by itself. */
    private static final class BatchingPort implements Port
    {
        private final int id;
        private final String name;
        private final PortCounters counters = new PortCounters();

        BatchingPort(final int id, final String name)
        {
            this.id = id;
            this.name = name;
        }

        @Override
        public int id()
        {
            return id;
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public int receive(final PacketPool pool, final PacketBatch into, final int limit)
        {
            return 0;
        }

        @Override
        public boolean transmit(final PacketPool pool, final int handle)
        {
            throw new AssertionError("a batching port is written through its batch");
        }

        @Override
        public boolean transmitLater(final PacketPool pool, final int handle, final WriteBatch writes, final int tag)
        {
            final int length = pool.frameLength(handle);
            return writes.queue(this, -1, pool.baseAddress() + pool.vnetOffset(handle), length + PacketPool.VNET_HDR_LEN,
                length, tag);
        }

        @Override
        public boolean offloads()
        {
            return true;
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
}
