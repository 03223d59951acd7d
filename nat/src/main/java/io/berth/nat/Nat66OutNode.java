package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.CtInfo;
import io.berth.conntrack.Ipv6Tokens;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;

import static io.berth.conntrack.ConnectionFlags.F_DNAT;
import static io.berth.conntrack.ConnectionFlags.F_NAT_FAILED;
import static io.berth.conntrack.ConnectionFlags.F_SNAT;
import static io.berth.conntrack.ConnectionFlags.F_SNAT_DONE;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;

/**
 * NAT66 on the way out, after IPv6 routing (issue 27; Linux's POSTROUTING, Docker's {@code ip6tables} MASQUERADE
 * for unique-local subnets): the first packet of a connection asks the {@link Masquerade6Policy}; a masqueraded
 * one takes an external port from the {@link PortAllocator} (its reply tuple then points at that address and port,
 * the address as its {@link Ipv6Tokens token}). Then every packet's source is rewritten where its connection says
 * so, always to the inverse of the other direction's tuple:
 * <ul>
 * <li>original direction of a masqueraded connection: the container's address:port -> the external ones;</li>
 * <li>reply direction of a published one: the container's address:port -> the uplink address and host port.</li>
 * </ul>
 * Untracked packets (fragments) that would be masqueraded are dropped rather than leak a container's address.
 * Worker thread; allocation-free.
 */
public final class Nat66OutNode extends Node
{
    private final ConnectionTable table;
    private final CtInfo info;
    private final Ipv6Tokens tokens;
    private final PortAllocator ports;
    private final Masquerade6Policy policy;
    private final NatCounters counters;
    private final Arc next = declareArc("next");
    private final long[] external = new long[2];

    public Nat66OutNode(final ConnectionTable table, final CtInfo info, final Ipv6Tokens tokens,
        final PortAllocator ports, final Masquerade6Policy policy, final NatCounters counters)
    {
        super("nat66-out", NatDrops.NAT_FAILED, NatDrops.NAT_UNTRANSLATABLE);
        this.table = table;
        this.info = info;
        this.tokens = tokens;
        this.ports = ports;
        this.policy = policy;
        this.counters = counters;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (!info.isTracked(handle))
            {
                if (policy.masquerade(pool, handle, false, external))
                {
                    graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                }
                else
                {
                    graph.enqueue(next, handle);
                }
                continue;
            }
            if (info.ctClass(handle) == CtInfo.RELATED)
            {
                graph.enqueue(next, handle);
                continue;
            }
            final int entry = info.entry(handle);
            final int direction = info.direction(handle);
            if (direction == ORIGINAL && !table.hasFlags(entry, F_SNAT_DONE))
            {
                decide(pool, handle, entry);
            }
            if (table.hasFlags(entry, F_NAT_FAILED))
            {
                graph.drop(handle, NatDrops.NAT_FAILED);
                continue;
            }
            final boolean translated = direction == ORIGINAL ? table.hasFlags(entry, F_SNAT)
                : table.hasFlags(entry, F_DNAT);
            if (translated && !Ipv6Rewriter.fromOtherDirection(table, tokens, pool, handle, entry, direction, true))
            {
                graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                continue;
            }
            graph.enqueue(next, handle);
        }
    }

    private void decide(final PacketPool pool, final int handle, final int entry)
    {
        table.addFlags(entry, F_SNAT_DONE);
        if (!policy.masquerade(pool, handle, table.hasFlags(entry, F_DNAT), external))
        {
            return;
        }
        final int address = tokens.intern(external[0], external[1]);
        final int port = address == Ipv6Tokens.NO_TOKEN ? PortAllocator.NO_PORT : ports.allocate(entry, address);
        tokens.dropIfUnused(address);
        if (port == PortAllocator.NO_PORT)
        {
            counters.count(NatCounter.SNAT_NO_PORT);
            table.addFlags(entry, F_NAT_FAILED);
            return;
        }
        table.addFlags(entry, F_SNAT);
        counters.count(NatCounter.SNAT_CONNECTIONS);
        if (ports.lastKept())
        {
            counters.count(NatCounter.SNAT_PORT_KEPT);
        }
    }
}
