package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.CtInfo;
import io.berth.conntrack.Ipv6Tokens;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import static io.berth.conntrack.ConnectionFlags.F_SNAT;
import static io.berth.conntrack.ConnectionTable.REPLY;

/**
 * NAT66 on the way in, before IPv6 routing (issue 27): a reply of a masqueraded connection (it came to the
 * uplink's address and the external port) gets the container's address and port back as its destination, from
 * the connection's original tuple, so routing then takes it to the container. Everything else passes unchanged.
 * Worker thread; allocation-free.
 */
public final class Unmasquerade6Node extends Node
{
    private final ConnectionTable table;
    private final CtInfo info;
    private final Ipv6Tokens tokens;
    private final Arc next = declareArc("next");

    public Unmasquerade6Node(final ConnectionTable table, final CtInfo info, final Ipv6Tokens tokens)
    {
        super("nat66-in", NatDrops.NAT_UNTRANSLATABLE);
        this.table = table;
        this.info = info;
        this.tokens = tokens;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (!info.isTracked(handle) || info.direction(handle) != REPLY || info.ctClass(handle) == CtInfo.RELATED
                || !table.hasFlags(info.entry(handle), F_SNAT))
            {
                graph.enqueue(next, handle);
                continue;
            }
            final int entry = info.entry(handle);
            final long original1 = table.key1(entry << 1);
            final long original2 = table.key2(entry << 1);
            final int container = Tuples.source(original1);
            final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
            final long upper = Ipv6Header.upperLayer(buffer, ip, pool.frameOffset(handle) + pool.frameLength(handle));
            if (upper < 0 || !Ipv6Rewriter.rewrite(buffer, ip, Ipv6Header.offsetOf(upper), Ipv6Header.protocolOf(upper),
                false, tokens.hi(container), tokens.lo(container), Tuples.sourcePort(original2)))
            {
                graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                continue;
            }
            graph.enqueue(next, handle);
        }
    }
}
