package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Egress;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.WriteBatch;
import io.berth.dataplane.flyweight.VirtioNetHeader;

import java.util.function.IntConsumer;

/**
 * Last stage: hands each packet to its egress port, or to every port of its flood list but the one it came in
 * on, then releases it. Owned by the worker thread.
 * <p>
 * With a {@link WriteBatch} ({@code berthd --io-uring}) the writes of ports that batch are queued and flushed
 * once, at the end of the pass or when the batch fills: a unicast packet whose write is queued is counted sent
 * or dropped only after the flush, so every packet still ends in exactly one way.
 */
public final class TxNode extends Node
{
    private static final int SENT = 0;
    private static final int QUEUED = 1;
    private static final int FAILED = 2;
    /** Taken over by the port's worker ({@link Port#handOff}): neither released nor touched here again. */
    private static final int HANDED_OFF = 3;
    /** {@link WriteBatch} tag of a flood copy: its failure is counted, the packet itself is sent by the others. */
    private static final int FLOOD_COPY = -1;

    private final PortTable ports;
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private WriteBatch writes;
    /** Unicast packets whose write is queued, by tag, and whether the flush reported it failed. */
    private int[] queuedHandles = new int[PacketBatch.DEFAULT_CAPACITY];
    private boolean[] queuedFailed = new boolean[PacketBatch.DEFAULT_CAPACITY];
    private int queuedCount;
    /** Flooded packets with a copy's write queued: released once the batch is flushed. */
    private int[] floodsQueued = new int[PacketBatch.DEFAULT_CAPACITY];
    private int floodsQueuedCount;
    private DropReason problem;
    /** Ports whose transmits wait for {@link Port#flushTransmits()} at the end of this pass, each once. */
    private final int[] toFlush = new int[PortTable.MAX_PORTS];
    private final boolean[] flushPending = new boolean[PortTable.MAX_PORTS];
    private int toFlushCount;
    private final IntConsumer onFailedWrite = this::failedWrite;

    public TxNode(final PortTable ports)
    {
        super("tx", DropReason.NO_EGRESS, DropReason.GSO_UNSUPPORTED, DropReason.TX_FAILED);
        this.ports = ports;
    }

    /** Batches the writes of ports that can through {@code batch} (null: one syscall a write). Before the worker runs. */
    public void writeBatch(final WriteBatch batch)
    {
        this.writes = batch;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final int n = batch.count();
        if (n > queuedHandles.length)
        {
            queuedHandles = new int[n]; // once, for a batch larger than any before: never per packet
            queuedFailed = new boolean[n];
            floodsQueued = new int[n];
        }
        for (int i = 0; i < n; i++)
        {
            final int handle = batch.get(i);
            final int egress = pool.egress(handle);
            if (pool.trace(handle) < 0)
            {
                graph.transmitted(handle); // synthetic (berth trace): its way out is reported, it is never sent
                continue;
            }
            if (egress >= 0)
            {
                final int outcome = send(pool, handle, egress, 0);
                if (outcome == FAILED)
                {
                    graph.drop(handle, problem);
                }
                else if (outcome == HANDED_OFF)
                {
                    graph.handedOff(handle);
                }
                else if (outcome == QUEUED)
                {
                    queuedHandles[queuedCount] = handle;
                    queuedFailed[queuedCount] = false;
                    queuedCount++;
                }
                else
                {
                    graph.transmitted(handle);
                }
                continue;
            }
            if (Egress.isFlood(egress))
            {
                final int[] members = ports.floodList(Egress.floodListId(egress));
                final int inPort = pool.inPort(handle);
                boolean copyQueued = false;
                for (final int member : members)
                {
                    if (member == inPort)
                    {
                        continue;
                    }
                    final int outcome = send(pool, handle, member, FLOOD_COPY);
                    if (outcome == FAILED)
                    {
                        graph.countDrop(problem); // one copy lost; the others still go
                    }
                    copyQueued |= outcome == QUEUED;
                }
                if (copyQueued)
                {
                    // released after the flush: a port in another worker copies floods into fresh slots, so a
                    // slot released now could be written over before the kernel has its queued bytes
                    floodsQueued[floodsQueuedCount++] = handle;
                }
                else
                {
                    graph.transmitted(handle);
                }
                continue;
            }
            graph.drop(handle, DropReason.NO_EGRESS);
        }
        if (writes != null && (queuedCount > 0 || floodsQueuedCount > 0 || !writes.isEmpty()))
        {
            flush();
        }
        for (int k = 0; k < toFlushCount; k++)
        {
            final int id = toFlush[k];
            flushPending[id] = false;
            final Port port = ports.get(id);
            if (port != null)
            {
                port.flushTransmits(); // one wake-up of the device for the whole pass
            }
        }
        toFlushCount = 0;
    }

    private int send(final PacketPool pool, final int handle, final int portId, final int tag)
    {
        final Port port = ports.get(portId);
        if (port == null)
        {
            problem = DropReason.NO_EGRESS;
            return FAILED;
        }
        if (!port.offloads())
        {
            vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
            if (vnet.isSegmented())
            {
                problem = DropReason.GSO_UNSUPPORTED;
                return FAILED;
            }
            if ((vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0)
            {
                vnet.completeChecksum(pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle)); // for every later copy too
            }
        }
        if (tag != FLOOD_COPY && port.handOff(pool, handle))
        {
            return HANDED_OFF;
        }
        if (writes != null)
        {
            if (writes.isFull())
            {
                flush(); // before this write joins: a port's frames leave in the order they came
            }
            if (port.transmitLater(pool, handle, writes, tag == FLOOD_COPY ? FLOOD_COPY : queuedCount))
            {
                return QUEUED; // a flood copy's failure is counted by the flush alone
            }
        }
        if (port.transmit(pool, handle))
        {
            if (ports.defersTransmits(portId) && !flushPending[portId])
            {
                flushPending[portId] = true;
                toFlush[toFlushCount++] = portId;
            }
            return SENT;
        }
        problem = DropReason.TX_FAILED;
        return FAILED;
    }

    private void flush()
    {
        writes.flush(onFailedWrite);
        for (int k = 0; k < queuedCount; k++)
        {
            if (queuedFailed[k])
            {
                graph.drop(queuedHandles[k], DropReason.TX_FAILED);
            }
            else
            {
                graph.transmitted(queuedHandles[k]);
            }
        }
        queuedCount = 0;
        for (int k = 0; k < floodsQueuedCount; k++)
        {
            graph.transmitted(floodsQueued[k]);
        }
        floodsQueuedCount = 0;
    }

    private void failedWrite(final int tag)
    {
        if (tag >= 0)
        {
            queuedFailed[tag] = true;
        }
        else
        {
            graph.countDrop(DropReason.TX_FAILED);
        }
    }
}
