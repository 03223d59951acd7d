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

import static io.berth.conntrack.ConnectionFlags.F_DNAT;
import static io.berth.conntrack.ConnectionFlags.F_DNAT_DONE;
import static io.berth.conntrack.ConnectionFlags.F_NAT_FAILED;
import static io.berth.conntrack.ConnectionFlags.F_SNAT;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;
import static io.berth.conntrack.ConnectionTable.REPLY;

/**
 * NAT66 on the way in, before IPv6 routing (issue 27; Linux's PREROUTING): a new TCP or UDP connection to a port
 * published on berthd's uplink IPv6 address ({@link PublishedPorts6}) gets its reply tuple pointed at the
 * container (decided once, on its first packet here); then every packet's destination is rewritten where its
 * connection says so, always to the inverse of the other direction's tuple:
 * <ul>
 * <li>original direction of a published connection: uplink address:port -> the container's address:port;</li>
 * <li>reply direction of a masqueraded one: uplink address:external port -> the container's address:port;</li>
 * <li>ICMPv6 errors about a masqueraded connection: the outer destination and the quoted packet's source.</li>
 * </ul>
 * so that routing then takes it to the container. Packets of a connection whose translation failed are dropped.
 * Worker thread; allocation-free.
 */
public final class Nat66InNode extends Node
{
    private final ConnectionTable table;
    private final CtInfo info;
    private final Ipv6Tokens tokens;
    private final PublishedPorts6 published;
    private final NatCounters counters;
    private final Arc next = declareArc("next");

    public Nat66InNode(final ConnectionTable table, final CtInfo info, final Ipv6Tokens tokens,
        final PublishedPorts6 published, final NatCounters counters)
    {
        super("nat66-in", NatDrops.NAT_FAILED, NatDrops.NAT_UNTRANSLATABLE);
        this.table = table;
        this.info = info;
        this.tokens = tokens;
        this.published = published;
        this.counters = counters;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (!info.isTracked(handle))
            {
                graph.enqueue(next, handle);
                continue;
            }
            if (info.ctClass(handle) == CtInfo.RELATED)
            {
                if (!related(pool, buffer, handle))
                {
                    graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                    continue;
                }
                graph.enqueue(next, handle);
                continue;
            }
            final int entry = info.entry(handle);
            final int direction = info.direction(handle);
            if (direction == ORIGINAL && !table.hasFlags(entry, F_DNAT_DONE))
            {
                decide(entry);
            }
            if (table.hasFlags(entry, F_NAT_FAILED))
            {
                graph.drop(handle, NatDrops.NAT_FAILED);
                continue;
            }
            final boolean translated = direction == ORIGINAL ? table.hasFlags(entry, F_DNAT)
                : table.hasFlags(entry, F_SNAT);
            if (translated && !Ipv6Rewriter.fromOtherDirection(table, tokens, pool, handle, entry, direction, false))
            {
                graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                continue;
            }
            graph.enqueue(next, handle);
        }
    }

    /**
     * An ICMPv6 error about a masqueraded connection, from outside (a router's Packet Too Big, say): it came to the
     * uplink's address quoting the translated packet; it goes on to the container quoting what the container sent,
     * so path MTU discovery works through NAT66. Errors about other connections pass unchanged.
     */
    private boolean related(final PacketPool pool, final UnsafeBuffer buffer, final int handle)
    {
        final int entry = info.entry(handle);
        if (info.direction(handle) != REPLY || !table.hasFlags(entry, F_SNAT))
        {
            return true;
        }
        final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
        final int end = Math.min(pool.frameOffset(handle) + pool.frameLength(handle),
            ip + Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip));
        final long upper = Ipv6Header.upperLayer(buffer, ip, end);
        if (upper < 0 || Ipv6Header.protocolOf(upper) != Ipv6Header.PROTO_ICMPV6)
        {
            return false;
        }
        final int container = Tuples.source(table.key1(entry << 1));
        return Ipv6Rewriter.rewriteError(buffer, ip, Ipv6Header.offsetOf(upper), end, tokens.hi(container),
            tokens.lo(container), Tuples.sourcePort(table.key2(entry << 1)));
    }

    private void decide(final int entry)
    {
        table.addFlags(entry, F_DNAT_DONE);
        final int protocol = table.protocol(entry);
        if (protocol != 6 && protocol != 17)
        {
            return;
        }
        final long original1 = table.key1(entry << 1);
        final long original2 = table.key2(entry << 1);
        final int destination = Tuples.destination(original1);
        if (!published.isOurs(tokens.hi(destination), tokens.lo(destination)))
        {
            return;
        }
        final int target = published.lookup(protocol, Tuples.destinationPort(original2));
        if (target == PublishedPorts6.NONE)
        {
            return;
        }
        final int container = tokens.intern(published.targetHi(target), published.targetLo(target));
        final boolean bound = container != Ipv6Tokens.NO_TOKEN && table.reply(entry,
            Tuples.key1(container, Tuples.source(original1)),
            Tuples.key2v6(protocol, published.targetPort(target), Tuples.sourcePort(original2)));
        tokens.dropIfUnused(container);
        if (bound)
        {
            table.addFlags(entry, F_DNAT);
            counters.count(NatCounter.DNAT_CONNECTIONS);
        }
        else
        {
            // packets of it may be in flight: mark it and let it expire, never free it here
            table.addFlags(entry, F_NAT_FAILED);
            table.refresh(entry, 0);
            counters.count(NatCounter.DNAT_CLASH);
        }
    }
}
