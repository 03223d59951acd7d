package io.berth.dataplane;

import org.agrona.concurrent.Agent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A worker that owns a shard of the ports ({@code berthd --workers N}: workers 2..N) and makes their syscalls:
 * it reads frames into slots the owner worker lent it and hands them over, and writes the packets the owner
 * hands it, keeping the slots for its next reads. It touches no table: the graph, MAC tables, router, conntrack
 * and NAT stay on the owner ({@link DataplaneWorker}), single-writer as with one worker, so a connection's
 * entry is found from both directions whichever port, and whichever worker, its packets use. What is shared is
 * the pool's memory, and a slot has one holder at a time ({@link ShardLink}).
 * <p>
 * Runs on its own thread under an {@code AgentRunner} (or through {@link #doWork()} in tests). Only
 * {@link #call} is for other threads; ports are attached and detached through it.
 */
public final class PortWorker implements Agent, WorkerCommands
{
    /**
     * Empty slots it keeps for reading at most: a few receive bursts (less where the owner's share for it is
     * smaller). More, from writes, go back to the owner.
     */
    static final int KEEP = 2 * DataplaneWorker.RECEIVE_BURST;
    /** How long it waits for lent slots when it has none (the owner's pool ran dry): a pause, not a spin. */
    private static final long NO_SLOTS_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final String name;
    private final PacketPool pool;
    private final ShardLink link;
    private final Poller poller;
    /** Polling or blocking, and the cycles and time blocked. */
    private final DutyCycle duty;
    private final PortTable ports = new PortTable();
    private final CommandQueue commands;
    private final Poller.ReadyHandler onReady = this::receiveFrom;
    private final int[] kept;
    private int keptCount;
    private int receivedThisCycle;
    private boolean returnedThisCycle;

    /**
     * @param pool       the owner's pool: this worker only writes into slots it holds, and their metadata
     * @param spinMicros as {@link DataplaneWorker}'s, {@link DataplaneWorker#ADAPTIVE_SPIN} for adaptive
     */
    public PortWorker(final String name, final PacketPool pool, final ShardLink link, final Poller poller,
        final int idleTimeoutMs, final long spinMicros)
    {
        this.name = name;
        this.pool = pool;
        this.link = link;
        this.poller = poller;
        this.commands = new CommandQueue("port worker", 256, poller);
        this.duty = new DutyCycle(poller, onReady, idleTimeoutMs, spinMicros, () -> receivedThisCycle > 0);
        this.kept = new int[Math.max(1, Math.min(KEEP, link.share))];
        link.wakePortWorkerBy(poller::wakeup);
    }

    public ShardLink link()
    {
        return link;
    }

    @Override
    public <T> CompletableFuture<T> call(final Supplier<T> command)
    {
        return commands.call(command);
    }

    /** This worker's thread: starts reading {@code port}; the owner's table has its {@link RemotePort} already. */
    public void attach(final Port port)
    {
        ports.put(port);
        poller.register(port);
    }

    /** This worker's thread: stops reading and writing {@code port}; closed by the caller afterwards. */
    public void detach(final Port port)
    {
        poller.unregister(port);
        ports.remove(port.id());
    }

    @Override
    public int doWork()
    {
        int work = commands.drain();
        receivedThisCycle = 0;
        returnedThisCycle = false;
        work += transmitHandedOver();
        takeLentSlots();
        final boolean spinning = duty.spinning(work);
        if (keptCount == 0)
        {
            // nothing to read into: the owner's pool is dry (or not lent yet); reading now would only drop frames
            if (work == 0)
            {
                LockSupport.parkNanos(NO_SLOTS_PAUSE_NANOS);
            }
        }
        else if (spinning)
        {
            duty.spin(work);
        }
        else if (link.portWorkerParking())
        {
            duty.block();
            link.portWorkerAwake();
        }
        else
        {
            duty.pollNow();
        }
        work += receivedThisCycle;
        if (receivedThisCycle > 0 || returnedThisCycle)
        {
            link.signalOwner();
        }
        duty.done(work);
        return work;
    }

    /** Writes what the owner handed over; each slot is kept for reading, or given back when enough are. */
    private int transmitHandedOver()
    {
        int sent = 0;
        Port deferred = null;
        for (int handle = link.egress.poll(); handle != PacketPool.NO_PACKET; handle = link.egress.poll())
        {
            final Port port = ports.get(pool.egress(handle));
            if (port != null)
            {
                port.transmit(pool, handle); // counted on the port, success or not
                if (port.defersTransmits())
                {
                    if (deferred != null && deferred != port)
                    {
                        deferred.flushTransmits();
                    }
                    deferred = port;
                }
            }
            keep(handle);
            sent++;
        }
        if (deferred != null)
        {
            deferred.flushTransmits(); // the last port's frames; one wake-up per run of frames to a port
        }
        return sent;
    }

    private void takeLentSlots()
    {
        while (keptCount < kept.length)
        {
            final int handle = link.spare.poll();
            if (handle == PacketPool.NO_PACKET)
            {
                return;
            }
            kept[keptCount++] = handle;
        }
    }

    private void keep(final int handle)
    {
        if (keptCount < kept.length)
        {
            kept[keptCount++] = handle;
        }
        else
        {
            link.returned.offer(handle); // sized for the whole pool: never full
            returnedThisCycle = true;
        }
    }

    private void receiveFrom(final Port port)
    {
        for (int i = 0; i < DataplaneWorker.RECEIVE_BURST && keptCount > 0; i++)
        {
            final int handle = kept[keptCount - 1];
            pool.renew(handle);
            final int outcome = port.receiveOne(pool, handle);
            if (outcome == Port.RECEIVED)
            {
                keptCount--;
                link.received.offer(handle); // sized for the whole pool: never full
                receivedThisCycle++;
            }
            else if (outcome != Port.SKIPPED)
            {
                return; // drained, failed, or a port that cannot read this way (never attached here)
            }
        }
    }

    /** Duty cycles run so far. Any thread. */
    public long cycles()
    {
        return duty.cycles();
    }

    /** Nanoseconds spent blocked in the poller. Any thread. */
    public long blockedNanos()
    {
        return duty.blockedNanos();
    }

    /** The spin window now, in nanoseconds. Any thread. */
    public long spinWindowNanos()
    {
        return duty.spinWindowNanos();
    }

    @Override
    public void onClose()
    {
        poller.close();
    }

    @Override
    public String roleName()
    {
        return name;
    }
}
