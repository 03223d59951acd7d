package io.berth.nat;

import io.berth.conntrack.CtInfo;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;

/**
 * An ICMP error berthd itself made out of a tracked packet (fragmentation needed, before source NAT) quotes that
 * packet and goes back to its sender: it is RELATED to the packet's connection, in the other direction. Marked
 * so, the SNAT stage after it translates it like any error about the connection (outer source, quoted
 * destination), so a sender behind DNAT or masquerade gets it about its own packet (Linux: the error passes
 * conntrack on output). Untracked packets (the connection was never confirmed) pass as they are. Worker thread;
 * allocation-free.
 */
public final class RelatedErrorNode extends Node
{
    private final CtInfo info;
    private final Arc next = declareArc("next");

    public RelatedErrorNode(final CtInfo info)
    {
        super("related-error");
        this.info = info;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (info.isTracked(handle))
            {
                info.set(handle, info.entry(handle), info.direction(handle) ^ 1, CtInfo.RELATED, info.generation(handle));
            }
            graph.enqueue(next, handle);
        }
    }
}
