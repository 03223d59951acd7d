package io.berth.l3.frag;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l3.L3Drops;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;


/**
 * Routed IPv4 and IPv6 fragments into whole datagrams ({@link Reassembly}) before conntrack: each fragment's payload is
 * copied and the fragment released (counted as merged); a completed datagram goes on as a new packet. Anything
 * not a fragment passes untouched. Expects frames checked by {@code ParseNode}. Reads the clock once per batch.
 * Worker thread; allocation-free.
 */
public final class DefragNode extends Node
{
    private final Reassembly reassembly;
    private final EpochClock clock;
    private final Arc next = declareArc("next");

    public DefragNode(final Reassembly reassembly, final EpochClock clock)
    {
        super("defrag", L3Drops.FRAG_OVERLAP, L3Drops.FRAG_TOO_BIG, L3Drops.FRAG_TINY,
            L3Drops.FRAG_MALFORMED, L3Drops.FRAG_DUPLICATE, L3Drops.FRAG_NO_BUFFER);
        this.reassembly = reassembly;
        this.clock = clock;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        long now = 0;
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (!Ipv4Flyweight.isFragment(buffer, pool.frameOffset(handle), pool.frameLength(handle))
                && !Ipv6Header.isFragment(buffer, pool.frameOffset(handle), pool.frameLength(handle)))
            {
                graph.enqueue(next, handle);
                continue;
            }
            if (now == 0)
            {
                now = clock.time();
            }
            final int result = reassembly.add(handle, now);
            switch (result)
            {
                case Reassembly.HELD -> graph.merged(handle);
                case Reassembly.COMPLETE ->
                {
                    graph.merged(handle);
                    graph.enqueueCreated(next, reassembly.completed());
                }
                case Reassembly.DUPLICATE -> graph.drop(handle, L3Drops.FRAG_DUPLICATE);
                case Reassembly.OVERLAP -> graph.drop(handle, L3Drops.FRAG_OVERLAP);
                case Reassembly.TOO_BIG -> graph.drop(handle, L3Drops.FRAG_TOO_BIG);
                case Reassembly.TINY -> graph.drop(handle, L3Drops.FRAG_TINY);
                case Reassembly.MALFORMED -> graph.drop(handle, L3Drops.FRAG_MALFORMED);
                default -> graph.drop(handle, L3Drops.FRAG_NO_BUFFER);
            }
        }
    }
}
