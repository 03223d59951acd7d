package io.berth.dataplane.graph;

/**
 * A named way out of a node ("next", "tx", "route"...), declared by the node and connected by name in a
 * {@link GraphBuilder}; after the build it holds the graph index of the node it leads to. Nodes enqueue through
 * their arcs, so nobody numbers nodes by hand and adding a node renumbers nothing. Worker thread after the build.
 */
public final class Arc
{
    /** {@link #target()} of an optional arc left unconnected. */
    public static final int UNCONNECTED = -1;

    private final Node from;
    private final String name;
    private final boolean optional;
    int target = UNCONNECTED;

    Arc(final Node from, final String name, final boolean optional)
    {
        this.from = from;
        this.name = name;
        this.optional = optional;
    }

    public String name()
    {
        return name;
    }

    public Node from()
    {
        return from;
    }

    public boolean optional()
    {
        return optional;
    }

    /** Graph index of the node this arc leads to, or {@link #UNCONNECTED}. */
    public int target()
    {
        return target;
    }

    public boolean connected()
    {
        return target != UNCONNECTED;
    }

    @Override
    public String toString()
    {
        return from.name() + "." + name;
    }
}
