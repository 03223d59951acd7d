package io.berth.dataplane.graph;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.PacketPool;

import java.util.Arrays;
import java.util.List;

/**
 * Small graphs for unit tests of single stages, wired by convention: an arc named like a node goes to that node,
 * an arc called "next" to the node listed after its own, and an optional arc with neither stays unconnected.
 * The production graph is built by name in control's PacketPath.
 */
public final class TestGraphs
{
    private TestGraphs()
    {
    }

    public static Graph autowire(final PacketPool pool, final DropCounters drops, final Node... nodes)
    {
        final GraphBuilder builder = new GraphBuilder();
        final List<Node> list = Arrays.asList(nodes);
        list.forEach(builder::add);
        for (int i = 0; i < nodes.length; i++)
        {
            for (final Arc arc : nodes[i].arcs())
            {
                if (builder.has(arc.name()))
                {
                    builder.connect(nodes[i].name(), arc.name(), arc.name());
                }
                else if (arc.name().equals("next") && i + 1 < nodes.length)
                {
                    builder.connect(nodes[i].name(), arc.name(), nodes[i + 1].name());
                }
            }
        }
        return builder.build(pool, drops);
    }
}
