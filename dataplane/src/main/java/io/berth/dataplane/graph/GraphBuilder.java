package io.berth.dataplane.graph;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.PacketPool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link Graph} from nodes registered by name and arcs connected by name:
 * <pre>
 *   new GraphBuilder().add(parse).add(l2).add(tx)
 *       .connect("parse", "next", "l2-forward")
 *       .connect("l2-forward", "tx", "tx")
 *       .build(pool, drops);
 * </pre>
 * The first node added is the entry, where ports receive. Drivers and services contribute nodes the same way,
 * or {@link #splice} one into an existing arc (vxlan-decap between parse and l2-forward). Every arc must lead
 * forward: an arc that would close a cycle is refused when it is connected, so a batch still runs to
 * completion in one pass. The build orders nodes topologically, keeping registration order where arcs leave
 * a choice. Setup time, any one thread.
 */
public final class GraphBuilder
{
    private final Map<String, Node> nodes = new LinkedHashMap<>();

    /** Registers a node under its name; names are unique. */
    public GraphBuilder add(final Node node)
    {
        if (node.index() >= 0 || node.graph != null)
        {
            throw new IllegalArgumentException("node " + node.name() + " belongs to a graph already");
        }
        if (nodes.putIfAbsent(node.name(), node) != null)
        {
            throw new IllegalArgumentException("a node called " + node.name() + " is registered already");
        }
        return this;
    }

    public boolean has(final String name)
    {
        return nodes.containsKey(name);
    }

    /** Connects {@code from}'s arc {@code arcName} to node {@code to}; refuses an arc that leads backwards. */
    public GraphBuilder connect(final String from, final String arcName, final String to)
    {
        final Arc arc = arcOf(from, arcName);
        final Node target = nodeOf(to);
        final List<String> back = path(target, arc.from());
        if (back != null)
        {
            throw new IllegalArgumentException("arc " + arc + " -> " + to + " goes backwards: " +
                String.join(" -> ", back) + " already leads there; arcs only lead forward");
        }
        if (target == first())
        {
            throw new IllegalArgumentException("arc " + arc + " -> " + to + " leads into the entry node; arcs " +
                "only lead forward from it");
        }
        targets.put(arc, target);
        return this;
    }

    /**
     * Puts {@code inserted} on arc {@code from.arcName}: that arc now leads to {@code inserted}, whose arc
     * {@code insertedArc} leads where the arc led before. How a driver adds a stage between two others.
     */
    public GraphBuilder splice(final String from, final String arcName, final Node inserted, final String insertedArc)
    {
        final Arc arc = arcOf(from, arcName);
        final Node previous = targets.get(arc);
        if (previous == null)
        {
            throw new IllegalArgumentException("arc " + arc + " is not connected; nothing to splice into");
        }
        add(inserted);
        targets.remove(arc);
        connect(inserted.name(), insertedArc, previous.name());
        connect(from, arcName, inserted.name());
        return this;
    }

    /**
     * Orders the nodes and fixes every arc's target index. Refuses a required arc left unconnected.
     */
    public Graph build(final PacketPool pool, final DropCounters drops)
    {
        if (nodes.isEmpty())
        {
            throw new IllegalStateException("a graph needs at least one node");
        }
        for (final Node node : nodes.values())
        {
            for (final Arc arc : node.arcs())
            {
                if (!arc.optional() && !targets.containsKey(arc))
                {
                    throw new IllegalStateException("arc " + arc + " is not connected; connect it to one of " +
                        nodes.keySet());
                }
            }
        }
        final Node[] ordered = topologicalOrder();
        final Map<Node, Integer> indexes = new LinkedHashMap<>();
        for (int i = 0; i < ordered.length; i++)
        {
            indexes.put(ordered[i], i);
        }
        for (final Map.Entry<Arc, Node> e : targets.entrySet())
        {
            e.getKey().target = indexes.get(e.getValue());
        }
        return new Graph(pool, drops, ordered);
    }

    private final Map<Arc, Node> targets = new LinkedHashMap<>();

    private Node[] topologicalOrder()
    {
        final Map<Node, Integer> incoming = new LinkedHashMap<>();
        nodes.values().forEach(n -> incoming.put(n, 0));
        targets.values().forEach(n -> incoming.merge(n, 1, Integer::sum));
        final List<Node> order = new ArrayList<>();
        final Set<Node> done = new HashSet<>();
        while (order.size() < nodes.size())
        {
            Node next = null;
            for (final Node candidate : nodes.values()) // registration order breaks ties
            {
                if (!done.contains(candidate) && incoming.get(candidate) == 0)
                {
                    next = candidate;
                    break;
                }
            }
            if (next == null)
            {
                throw new IllegalStateException("the graph has a cycle"); // connect() refuses them; defensive
            }
            done.add(next);
            order.add(next);
            for (final Arc arc : next.arcs())
            {
                final Node target = targets.get(arc);
                if (target != null)
                {
                    incoming.merge(target, -1, Integer::sum);
                }
            }
        }
        if (order.get(0) != first())
        {
            throw new IllegalStateException("entry node " + first().name() + " must come first");
        }
        return order.toArray(new Node[0]);
    }

    /** A path of node names from {@code start} to {@code goal} along connected arcs, or null. */
    private List<String> path(final Node start, final Node goal)
    {
        final Map<Node, Node> cameFrom = new LinkedHashMap<>();
        final Deque<Node> queue = new ArrayDeque<>();
        queue.add(start);
        cameFrom.put(start, null);
        while (!queue.isEmpty())
        {
            final Node node = queue.poll();
            if (node == goal)
            {
                final List<String> names = new ArrayList<>();
                for (Node n = node; n != null; n = cameFrom.get(n))
                {
                    names.add(0, n.name());
                }
                return names;
            }
            for (final Arc arc : node.arcs())
            {
                final Node next = targets.get(arc);
                if (next != null && !cameFrom.containsKey(next))
                {
                    cameFrom.put(next, node);
                    queue.add(next);
                }
            }
        }
        return null;
    }

    private Node first()
    {
        return nodes.values().iterator().next();
    }

    private Node nodeOf(final String name)
    {
        final Node node = nodes.get(name);
        if (node == null)
        {
            throw new IllegalArgumentException("no node called " + name + "; registered: " + nodes.keySet());
        }
        return node;
    }

    private Arc arcOf(final String from, final String arcName)
    {
        final Node node = nodeOf(from);
        final Arc arc = node.arc(arcName);
        if (arc == null)
        {
            final List<String> names = new ArrayList<>();
            node.arcs().forEach(a -> names.add(a.name()));
            throw new IllegalArgumentException("node " + from + " has no arc " + arcName + "; its arcs: " + names);
        }
        return arc;
    }
}
