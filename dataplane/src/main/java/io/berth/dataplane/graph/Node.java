package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One stage of the packet path. The graph hands it a batch; for every packet it decides where the packet goes
 * next: {@link Graph#enqueue(Arc, int)} along one of its arcs, {@link Graph#drop} with one of the reasons it
 * declared, or {@link Graph#transmitted} once it sent it. A node names its arcs and its drop reasons when it is
 * made (VPP's next-nodes and per-node error list); a {@link GraphBuilder} connects the arcs by name.
 * Owned by the worker thread that owns its graph.
 */
public abstract class Node
{
    private final String name;
    private final Set<DropReason> declaredDrops;
    private final List<Arc> arcs = new ArrayList<>();
    final PacketBatch input = new PacketBatch();
    protected Graph graph;
    int index = -1;

    /** @param drops every reason this node may drop a packet for; shown per node in {@code berth counters}. */
    protected Node(final String name, final DropReason... drops)
    {
        this.name = name;
        final Set<DropReason> set = new LinkedHashSet<>();
        Collections.addAll(set, drops);
        this.declaredDrops = Collections.unmodifiableSet(set);
    }

    public final String name()
    {
        return name;
    }

    /** Position in the graph; the nodes an arc leads to have higher indexes. */
    public final int index()
    {
        return index;
    }

    /** The graph this node was built into; null before the build. */
    public final Graph graph()
    {
        return graph;
    }

    /** The reasons this node declared it may drop for. */
    public final Set<DropReason> declaredDrops()
    {
        return declaredDrops;
    }

    /** This node's arcs, in declaration order. */
    public final List<Arc> arcs()
    {
        return Collections.unmodifiableList(arcs);
    }

    /** The arc called {@code arcName}, or null. */
    public final Arc arc(final String arcName)
    {
        for (final Arc arc : arcs)
        {
            if (arc.name().equals(arcName))
            {
                return arc;
            }
        }
        return null;
    }

    /** Construction time: declares an arc the build must connect. */
    protected final Arc declareArc(final String arcName)
    {
        return declare(arcName, false);
    }

    /** Construction time: declares an arc that may stay unconnected (the node then drops or skips that way). */
    protected final Arc declareOptionalArc(final String arcName)
    {
        return declare(arcName, true);
    }

    private Arc declare(final String arcName, final boolean optional)
    {
        if (arc(arcName) != null)
        {
            throw new IllegalArgumentException("node " + name + " declares arc " + arcName + " twice");
        }
        final Arc arc = new Arc(this, arcName, optional);
        arcs.add(arc);
        return arc;
    }

    void attach(final Graph graph, final int index)
    {
        this.graph = graph;
        this.index = index;
    }

    /** Handles every packet of {@code batch}; the batch is cleared by the graph afterwards. */
    protected abstract void process(PacketBatch batch);
}
