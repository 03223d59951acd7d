package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.CtInfo;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import static io.berth.conntrack.ConnectionFlags.F_DNAT;
import static io.berth.conntrack.ConnectionFlags.F_DNAT_DONE;
import static io.berth.conntrack.ConnectionFlags.F_NAT_FAILED;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;

/**
 * Destination translation, before routing (Linux's PREROUTING): for a new TCP/UDP connection to a published
 * port it points the reply tuple at the container (decided once, on the connection's first packet through
 * here); then for every packet of a connection it rewrites the destination where the connection says so:
 * <ul>
 * <li>original direction of a DNAT connection: host address:port -> container address:port;</li>
 * <li>reply direction of a SNAT connection: external address:port -> container address:port (de-masquerade);</li>
 * <li>ICMP errors RELATED to such a connection: the outer destination, and the quoted packet's source.</li>
 * </ul>
 * The target is always the inverse of the other direction's tuple, so one rule serves both cases. Packets of a
 * connection whose translation failed are dropped; untracked packets pass unchanged. Worker thread;
 * allocation-free.
 */
public final class DnatNode extends Node
{
    private final ConnectionTable table;
    private final CtInfo info;
    private final PublishedPorts published;
    private final NatCounters counters;
    private final NatBindings bindings;
    private final Arc next = declareArc("next");
    private final HeaderRewriter rewriter = new HeaderRewriter();

    /** Arc {@code next} takes every packet not dropped (routing, typically). */
    public DnatNode(final ConnectionTable table, final CtInfo info, final PublishedPorts published, final NatCounters counters)
    {
        this(table, info, published, counters, new NatBindings(0));
    }

    /** @param bindings where each new published binding is mirrored for a restart after SIGKILL. */
    public DnatNode(final ConnectionTable table, final CtInfo info, final PublishedPorts published, final NatCounters counters,
        final NatBindings bindings)
    {
        super("dnat", NatDrops.NAT_FAILED);
        this.table = table;
        this.info = info;
        this.published = published;
        this.counters = counters;
        this.bindings = bindings;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (!info.isTracked(handle) || translate(pool, buffer, handle))
            {
                graph.enqueue(next, handle);
            }
            else
            {
                graph.drop(handle, NatDrops.NAT_FAILED);
            }
        }
    }

    private boolean translate(final PacketPool pool, final UnsafeBuffer buffer, final int handle)
    {
        final int entry = info.entry(handle);
        final int direction = info.direction(handle);
        final boolean related = info.ctClass(handle) == CtInfo.RELATED;
        if (direction == ORIGINAL && !related && !table.hasFlags(entry, F_DNAT_DONE))
        {
            decide(entry);
        }
        return rewriter.translateDecided(table, pool, buffer, handle,
            pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH, entry, direction, related,
            HeaderRewriter.DESTINATION);
    }

    private void decide(final int entry)
    {
        table.addFlags(entry, F_DNAT_DONE);
        final int protocol = table.protocol(entry);
        if (protocol != Ipv4Flyweight.PROTO_TCP && protocol != Ipv4Flyweight.PROTO_UDP)
        {
            return;
        }
        final long original1 = table.key1(entry << 1);
        final long original2 = table.key2(entry << 1);
        final long target = published.lookup(Tuples.destination(original1), protocol, Tuples.destinationPort(original2));
        if (target == PublishedPorts.NONE)
        {
            return;
        }
        final int replyRef = (entry << 1) | ConnectionTable.REPLY;
        final long reply1 = Tuples.key1(PublishedPorts.targetAddress(target), Tuples.destination(table.key1(replyRef)));
        final long reply2 = Tuples.key2(protocol, PublishedPorts.targetPort(target), Tuples.destinationPort(table.key2(replyRef)));
        if (table.reply(entry, reply1, reply2))
        {
            table.addFlags(entry, F_DNAT);
            bindings.bind(table, entry);
            counters.count(NatCounter.DNAT_CONNECTIONS);
        }
        else
        {
            // the entry may be referenced by packets still in flight: mark it and let it expire, never free it here
            table.addFlags(entry, F_NAT_FAILED);
            table.refresh(entry, 0);
            counters.count(NatCounter.DNAT_CLASH);
        }
    }
}
