package io.berth.dataplane.graph;

import io.berth.dataplane.CounterSet;
import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.capture.CaptureTap;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Stages in topological order, as a {@link GraphBuilder} connected them by name; every arc leads to a later node,
 * so one pass over the nodes runs every packet to completion (VPP's graph dispatch, simplified to a DAG). A
 * node's input batch that fills up is run at once, so a burst never overflows.
 * <p>
 * Every packet that enters ends in exactly one way, each counted: {@link #transmitted} (sent), {@link #drop}
 * (with a reason, counted for the node that dropped it) or {@link #delivered} (to a local service). A node that throws loses neither the
 * batch nor the pool: the packets it still held are released and counted as {@link DropReason#NODE_EXCEPTION}
 * and the worker goes on.
 * <p>
 * Owned by one worker thread; allocation-free after the build. Counters are readable from any thread.
 */
public final class Graph
{
    /** Per node, in {@link #nodeCounters()} at {@code index * nodeStride()}: packets handed to the node. */
    public static final int NODE_PACKETS = 0;
    /** Per node: times the node threw. */
    public static final int NODE_EXCEPTIONS = 1;
    /** Per node: first of one counter per {@link DropReason}, by ordinal. */
    public static final int NODE_DROPS = 2;
    private static final int STRIDE = NODE_DROPS + DropReason.capacity();
    private static final int LOGGED_EXCEPTIONS_PER_NODE = 3;

    /** {@link #totals()}: packets that entered the first node. */
    public static final int RECEIVED = 0;
    /** {@link #totals()}: packets released after they were sent (a flood counts once). */
    public static final int TRANSMITTED = 1;
    /** {@link #totals()}: packets released by a drop. */
    public static final int DROPPED = 2;
    /** {@link #totals()}: packets a local handler consumed ({@link LocalDeliveryNode}). */
    public static final int DELIVERED = 3;
    /** {@link #totals()}: packets made inside the graph (a reassembled datagram, the fragments of one). */
    public static final int CREATED = 4;
    /** {@link #totals()}: packets released because their content went into another (fragments reassembled). */
    public static final int MERGED = 5;

    private static final System.Logger LOG = System.getLogger("io.berth.dataplane.graph");

    private final PacketPool pool;
    private final DropCounters drops;
    private final Node[] nodes;
    private final CounterSet nodeCounters;
    private final CounterSet totals = new CounterSet(6);
    private final long[] exceptionsLogged;
    /** By node index: the capture armed there, or null (worker thread). */
    private final CaptureTap[] taps;
    private int running = -1;
    /** berth trace, or null (worker thread): told of traced packets at every node and of their end. */
    private GraphTracer tracer;

    Graph(final PacketPool pool, final DropCounters drops, final Node[] nodes)
    {
        this.pool = pool;
        this.drops = drops;
        this.nodes = nodes;
        this.nodeCounters = new CounterSet(nodes.length * STRIDE);
        this.exceptionsLogged = new long[nodes.length];
        this.taps = new CaptureTap[nodes.length];
        for (int i = 0; i < nodes.length; i++)
        {
            nodes[i].attach(this, i);
        }
    }

    public PacketPool pool()
    {
        return pool;
    }

    /** Drops by reason, summed over every node. */
    public DropCounters drops()
    {
        return drops;
    }

    /** {@link #RECEIVED}, {@link #TRANSMITTED}, {@link #DROPPED}; any thread. */
    public CounterSet totals()
    {
        return totals;
    }

    /** Per-node counters, {@link #nodeStride()} apart; any thread. */
    public CounterSet nodeCounters()
    {
        return nodeCounters;
    }

    public static int nodeStride()
    {
        return STRIDE;
    }

    /** Where packets enter: the first node. */
    public void inject(final int handle)
    {
        nodes[0].input.add(handle);
        if (nodes[0].input.isFull())
        {
            runNode(nodes[0]);
        }
    }

    /** The first node's input, for ports to receive straight into. */
    public PacketBatch entry()
    {
        return nodes[0].input;
    }

    /** Hands the packet on along {@code arc} (one of the calling node's arcs). */
    public void enqueue(final Arc arc, final int handle)
    {
        enqueue(arc.target, handle);
    }

    /** Hands the packet to the node at {@code nodeIndex}; always a node after the caller. */
    public void enqueue(final int nodeIndex, final int handle)
    {
        final Node target = nodes[nodeIndex];
        pool.location(handle, nodeIndex);
        target.input.add(handle);
        if (target.input.isFull())
        {
            runNode(target);
        }
    }

    /** Counts the drop for the running node and releases the packet. */
    public void drop(final int handle, final DropReason reason)
    {
        if (tracer != null && pool.trace(handle) != 0)
        {
            tracer.ended(running, handle, GraphTracer.DROPPED, reason);
        }
        countDrop(reason);
        totals.increment(DROPPED);
        pool.release(handle);
    }

    /** {@link #drop}, counted for {@code node}: for a node's helpers that run between batches (housekeeping). */
    public void drop(final Node node, final int handle, final DropReason reason)
    {
        final int saved = running;
        running = node.index;
        try
        {
            drop(handle, reason);
        }
        finally
        {
            running = saved;
        }
    }

    /**
     * Counts a drop reason without releasing: the packet was turned into an answer (an ICMP error, a TCP reset)
     * and goes on, or one copy of a flood was lost.
     */
    public void countDrop(final DropReason reason)
    {
        drops.count(reason);
        if (running >= 0)
        {
            nodeCounters.increment(running * STRIDE + NODE_DROPS + reason.ordinal());
        }
    }

    /** The packet was handed to its port(s): releases it. Called by the transmit stage. */
    public void transmitted(final int handle)
    {
        if (tracer != null && pool.trace(handle) != 0)
        {
            tracer.ended(running, handle, GraphTracer.TRANSMITTED, null);
        }
        totals.increment(TRANSMITTED);
        pool.release(handle);
    }

    /**
     * The packet was handed to the worker that owns its port, which writes it and gives the slot back: counted as
     * sent, not released, and not looked at again: the slot is the other worker's now (a traced packet is never
     * handed off, so the tracer has nothing to report here). Called by the transmit stage.
     */
    public void handedOff(final int handle)
    {
        totals.increment(TRANSMITTED);
    }

    /** A node made this packet (not received from a port) and hands it on along {@code arc}. */
    public void enqueueCreated(final Arc arc, final int handle)
    {
        totals.increment(CREATED);
        enqueue(arc, handle);
    }

    /** The packet's content went into another packet: releases it. */
    public void merged(final int handle)
    {
        if (tracer != null && pool.trace(handle) != 0)
        {
            tracer.ended(running, handle, GraphTracer.MERGED, null);
        }
        totals.increment(MERGED);
        pool.release(handle);
    }

    /** A local service consumed the packet: releases it. */
    public void delivered(final int handle)
    {
        if (tracer != null && pool.trace(handle) != 0)
        {
            tracer.ended(running, handle, GraphTracer.DELIVERED, null);
        }
        totals.increment(DELIVERED);
        pool.release(handle);
    }

    /** Runs every node with pending packets, in order, until all inputs are empty. */
    public void run()
    {
        final Node[] nodes = this.nodes;
        for (int i = 0; i < nodes.length; i++)
        {
            if (nodes[i].input.count() > 0)
            {
                runNode(nodes[i]);
            }
        }
    }

    private void runNode(final Node node)
    {
        final PacketBatch batch = node.input;
        final int saved = running;
        running = node.index;
        final int count = batch.count();
        if (node.index == 0)
        {
            totals.add(RECEIVED, count);
            for (int i = 0; i < count; i++)
            {
                pool.location(batch.get(i), 0); // ports receive straight into the entry batch
            }
        }
        nodeCounters.add(node.index * STRIDE + NODE_PACKETS, count);
        final CaptureTap tap = taps[node.index];
        if (tap != null)
        {
            tap.capture(pool, batch); // what this node is handed, before it acts
        }
        if (tracer != null)
        {
            tracer.entering(node.index, pool, batch);
        }
        try
        {
            node.process(batch);
        }
        catch (final Throwable t)
        {
            recover(node, batch, t);
        }
        finally
        {
            batch.clear();
            running = saved;
        }
    }

    /**
     * What the node still held when it threw (packets it neither passed on, dropped nor sent) is released and
     * counted; the rest went on before the throw and is someone else's now.
     */
    private void recover(final Node node, final PacketBatch batch, final Throwable t)
    {
        nodeCounters.increment(node.index * STRIDE + NODE_EXCEPTIONS);
        int released = 0;
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (pool.location(handle) == node.index)
            {
                drop(handle, DropReason.NODE_EXCEPTION);
                released++;
            }
        }
        if (exceptionsLogged[node.index]++ < LOGGED_EXCEPTIONS_PER_NODE)
        {
            LOG.log(System.Logger.Level.ERROR, "node " + node.name() + " threw; " + released + " packet(s) released " +
                "and counted as node_exception", t);
        }
        if (t instanceof VirtualMachineError error)
        {
            throw error; // out of memory or stack: nothing the graph can mend
        }
    }

    public int nodeCount()
    {
        return nodes.length;
    }

    public Node node(final int index)
    {
        return nodes[index];
    }

    /** The node called {@code name}, or null. */
    public Node node(final String name)
    {
        for (final Node node : nodes)
        {
            if (node.name().equals(name))
            {
                return node;
            }
        }
        return null;
    }

    /** Arms (or, with null, disarms) berth trace. Worker thread. */
    public void tracer(final GraphTracer tracer)
    {
        this.tracer = tracer;
    }

    /** Arms (or, with null, disarms) a capture at node {@code index}. Worker thread. */
    public void tap(final int index, final CaptureTap tap)
    {
        taps[index] = tap;
    }

    /** Every node, in run order. */
    public List<Node> nodes()
    {
        return Collections.unmodifiableList(Arrays.asList(nodes));
    }

    /** Any thread: packets handed to the node so far. */
    public long packets(final Node node)
    {
        return nodeCounters.get(node.index * STRIDE + NODE_PACKETS);
    }

    /** Any thread: how often the node threw. */
    public long exceptions(final Node node)
    {
        return nodeCounters.get(node.index * STRIDE + NODE_EXCEPTIONS);
    }

    /** Any thread: packets the node dropped for {@code reason}. */
    public long drops(final Node node, final DropReason reason)
    {
        return nodeCounters.get(node.index * STRIDE + NODE_DROPS + reason.ordinal());
    }
}
