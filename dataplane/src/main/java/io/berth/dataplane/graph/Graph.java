package io.berth.dataplane.graph;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;

import java.util.ArrayList;
import java.util.List;

/**
 * Stages in topological order; packets only ever move to a later node, so one pass over the nodes runs every
 * packet to completion (VPP's graph dispatch, simplified to a DAG). A node's input batch that fills up is run
 * at once, so a burst never overflows. Owned by one worker thread; allocation-free after {@link #add(Node)}.
 */
public final class Graph
{
    private final PacketPool pool;
    private final DropCounters drops;
    private final List<Node> building = new ArrayList<>();
    private Node[] nodes = new Node[0];

    public Graph(final PacketPool pool, final DropCounters drops)
    {
        this.pool = pool;
        this.drops = drops;
    }

    public PacketPool pool()
    {
        return pool;
    }

    public DropCounters drops()
    {
        return drops;
    }

    /** Appends a node after all earlier ones and returns its index. Setup time only. */
    public int add(final Node node)
    {
        node.attach(this, building.size());
        building.add(node);
        nodes = building.toArray(new Node[0]);
        return node.index;
    }

    /** Where packets enter: the first node. */
    public void inject(final int handle)
    {
        enqueue(0, handle);
    }

    /** The first node's input, for ports to receive straight into. */
    public PacketBatch entry()
    {
        return nodes[0].input;
    }

    public void enqueue(final int nodeIndex, final int handle)
    {
        final Node target = nodes[nodeIndex];
        target.input.add(handle);
        if (target.input.isFull())
        {
            runNode(target);
        }
    }

    public void drop(final int handle, final DropReason reason)
    {
        drops.count(reason);
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
        node.process(batch);
        batch.clear();
    }

    public int nodeCount()
    {
        return nodes.length;
    }

    public Node node(final int index)
    {
        return nodes[index];
    }
}
