package io.berth.dataplane;

import io.berth.dataplane.graph.Graph;
import org.agrona.concurrent.Agent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The agent that owns a graph, its ports and their tables. Each duty cycle it runs a bounded number of control
 * commands, reads a burst from every ready port into the graph, runs the graph to completion and gives
 * housekeeping a slice. When a cycle finds nothing to do, the next one blocks in the poller (epoll), so an idle
 * dataplane costs no CPU; a command wakes it.
 * <p>
 * Runs on its own thread under an {@code AgentRunner}, or on the caller's thread through {@link #doWork()} in
 * tests. Only {@link #submit} is for other threads.
 */
public final class DataplaneWorker implements Agent, WorkerCommands
{
    /** Frames read from one port per visit: fairness between ports, and a bound on batch size. */
    public static final int RECEIVE_BURST = 64;

    private final String name;
    private final PacketPool pool;
    private final Graph graph;
    private final PortTable ports;
    private final Poller poller;
    private final List<Housekeeping> housekeeping = new ArrayList<>();
    private final CommandQueue commands;
    private final Poller.ReadyHandler onReady = this::receiveFrom;
    /** {@code spinMicros} for an adaptive spin window ({@link SpinWindow}), berthd's default. */
    public static final long ADAPTIVE_SPIN = -1;

    /** Polling or blocking, and the cycles and time blocked. */
    private final DutyCycle duty;
    private int receivedThisCycle;
    /** Duty cycles that found work: written here, read by anyone. */
    private final AtomicLong busyCycles = new AtomicLong();
    /** Links to the port workers ({@code --workers N}); empty with one worker. */
    private final List<ShardLink> shards = new ArrayList<>();
    /** Set while this worker blocks or is about to: the port workers' signal to wake it. */
    private final AtomicBoolean parked = new AtomicBoolean();
    /** Slots lent to each port worker at most, and what the owner keeps for itself whatever it lends. */
    private final int lendPerShard;
    private final int keepForOwner;

    public DataplaneWorker(final String name, final PacketPool pool, final Graph graph, final PortTable ports,
        final Poller poller, final int idleTimeoutMs)
    {
        this(name, pool, graph, ports, poller, idleTimeoutMs, 0);
    }

    /**
     * @param spinMicros how long after its last work the worker keeps polling without blocking, or
     *                   {@link #ADAPTIVE_SPIN}. A blocked worker costs every packet that arrives a thread wake-up
     *                   (on a VM an inter-processor interrupt and often a VM exit); polling on for a short while
     *                   keeps request/response traffic and bursts from paying it, and costs a core only while
     *                   traffic is recent.
     */
    public DataplaneWorker(final String name, final PacketPool pool, final Graph graph, final PortTable ports,
        final Poller poller, final int idleTimeoutMs, final long spinMicros)
    {
        this.name = name;
        this.pool = pool;
        this.graph = graph;
        this.ports = ports;
        this.poller = poller;
        this.commands = new CommandQueue("dataplane", 1024, poller);
        this.duty = new DutyCycle(poller, onReady, idleTimeoutMs, spinMicros, () -> receivedThisCycle > 0);
        this.keepForOwner = pool.capacity() / 4;
        this.lendPerShard = Math.max(1, Math.min(PortWorker.KEEP, pool.capacity() / 8));
    }

    /**
     * A link to a new port worker, which reads and writes the ports this worker's table holds as
     * {@link RemotePort}s. Setup time, before the worker runs.
     */
    public ShardLink newShardLink()
    {
        final ShardLink link = new ShardLink(pool.capacity(), lendPerShard, parked, poller::wakeup);
        shards.add(link);
        return link;
    }

    public PacketPool pool()
    {
        return pool;
    }

    public Graph graph()
    {
        return graph;
    }

    public PortTable ports()
    {
        return ports;
    }

    /** Setup time, before the worker starts. */
    public void addHousekeeping(final Housekeeping task)
    {
        housekeeping.add(task);
    }

    /**
     * Runs {@code command} on the worker thread between batches; the future completes after it ran (or with its
     * exception). Any thread. This is how the control plane changes tables the worker owns.
     */
    public CompletableFuture<Void> submit(final Runnable command)
    {
        return run(command);
    }

    /** Any thread: runs {@code command} on the worker and completes with its result. */
    @Override
    public <T> CompletableFuture<T> call(final Supplier<T> command)
    {
        return commands.call(command);
    }

    /** Worker thread: registers a port with the poller and the port table. */
    public void attachPort(final Port port)
    {
        ports.put(port);
        poller.register(port);
    }

    /** Worker thread: stops reading the port; it is closed by the caller afterwards. */
    public void detachPort(final Port port)
    {
        if (!(ports.get(port.id()) instanceof RemotePort))
        {
            poller.unregister(port);
        }
        ports.remove(port.id());
    }

    /** Worker thread: {@code port}'s packets go to its port worker from now on; that worker reads it. */
    public void attachRemotePort(final RemotePort port)
    {
        ports.put(port);
    }

    @Override
    public int doWork()
    {
        int work = commands.drain();
        receivedThisCycle = 0;
        if (!shards.isEmpty())
        {
            work += serviceShards();
        }
        if (duty.spinning(work))
        {
            duty.spin(work);
        }
        else if (!shards.isEmpty() && !ShardLink.ownerParking(parked, shards))
        {
            duty.pollNow(); // a port worker handed something over as this worker went to block
        }
        else
        {
            duty.block();
            parked.set(false);
        }
        if (graph.entry().count() > 0)
        {
            graph.run();
        }
        if (!shards.isEmpty())
        {
            signalShards();
        }
        work += receivedThisCycle;
        if (!housekeeping.isEmpty())
        {
            final long now = System.currentTimeMillis();
            for (int i = 0, n = housekeeping.size(); i < n; i++)
            {
                work += housekeeping.get(i).doWork(now);
            }
        }
        if (work > 0)
        {
            busyCycles.lazySet(busyCycles.get() + 1);
        }
        duty.done(work);
        return work;
    }

    /** The spin window now, in nanoseconds. Any thread (a racy read of a long the worker writes). */
    public long spinWindowNanos()
    {
        return duty.spinWindowNanos();
    }

    /** Duty cycles run so far. Any thread. */
    public long cycles()
    {
        return duty.cycles();
    }

    /** Duty cycles that found work (packets, commands or housekeeping). Any thread. */
    public long busyCycles()
    {
        return busyCycles.get();
    }

    /** Nanoseconds spent blocked in the poller waiting for traffic: the worker's idle time. Any thread. */
    public long blockedNanos()
    {
        return duty.blockedNanos();
    }

    /**
     * Takes back the slots the port workers returned, lends them more up to their share (keeping a quarter of
     * the pool for this worker's own ports and the packets nodes make), and puts what they read into the graph.
     */
    private int serviceShards()
    {
        int work = 0;
        final PacketBatch entry = graph.entry();
        for (int s = 0, n = shards.size(); s < n; s++)
        {
            final ShardLink link = shards.get(s);
            for (int handle = link.returned.poll(); handle != PacketPool.NO_PACKET; handle = link.returned.poll())
            {
                link.lent--;
                pool.release(handle);
                work++;
            }
            for (int handle = link.received.poll(); handle != PacketPool.NO_PACKET; handle = link.received.poll())
            {
                link.lent--;
                if (entry.remaining() == 0)
                {
                    graph.run();
                }
                entry.add(handle);
                receivedThisCycle++;
                work++; // before the spin decision: what waits in the entry must not wait out a block in epoll
            }
            boolean lent = false;
            while (link.lent < lendPerShard && pool.available() > keepForOwner)
            {
                final int handle = pool.allocate();
                link.spare.offer(handle); // sized for the whole pool: never full
                link.lent++;
                lent = true;
            }
            link.egressPending |= lent;
        }
        return work;
    }

    /** After a pass: wakes each port worker that was handed packets or slots and may be blocked. */
    private void signalShards()
    {
        for (int s = 0, n = shards.size(); s < n; s++)
        {
            final ShardLink link = shards.get(s);
            if (link.egressPending)
            {
                link.egressPending = false;
                link.signalPortWorker();
            }
        }
    }

    private void receiveFrom(final Port port)
    {
        final PacketBatch entry = graph.entry();
        int room = entry.remaining();
        if (room < RECEIVE_BURST)
        {
            graph.run();
            room = entry.remaining();
        }
        receivedThisCycle += port.receive(pool, entry, Math.min(RECEIVE_BURST, room));
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
