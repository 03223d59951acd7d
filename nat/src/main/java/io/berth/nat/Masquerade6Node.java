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

import static io.berth.conntrack.ConnectionFlags.F_NAT_FAILED;
import static io.berth.conntrack.ConnectionFlags.F_SNAT;
import static io.berth.conntrack.ConnectionFlags.F_SNAT_DONE;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;

/**
 * NAT66 on the way out, after IPv6 routing (issue 27; Docker's {@code ip6tables} MASQUERADE for unique-local
 * subnets): the first packet of a connection asks the {@link Masquerade6Policy}; a masqueraded one takes an
 * external port from the {@link PortAllocator} (its reply tuple then points at the uplink's address and that
 * port, the address as its {@link Ipv6Tokens token}), and every packet of it in the original direction leaves with
 * the uplink's address and that port. Replies are translated back before routing by {@link Unmasquerade6Node}.
 * Untracked packets (fragments) that would be masqueraded are dropped rather than leak a container's address.
 * Worker thread; allocation-free.
 */
public final class Masquerade6Node extends Node
{
    private final ConnectionTable table;
    private final CtInfo info;
    private final Ipv6Tokens tokens;
    private final PortAllocator ports;
    private final Masquerade6Policy policy;
    private final NatCounters counters;
    private final Arc next = declareArc("next");

    public Masquerade6Node(final ConnectionTable table, final CtInfo info, final Ipv6Tokens tokens,
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
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (!info.isTracked(handle))
            {
                if (policy.masquerades(pool, handle))
                {
                    graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                }
                else
                {
                    graph.enqueue(next, handle);
                }
                continue;
            }
            final int entry = info.entry(handle);
            if (info.direction(handle) != ORIGINAL || info.ctClass(handle) == CtInfo.RELATED)
            {
                graph.enqueue(next, handle);
                continue;
            }
            if (!table.hasFlags(entry, F_SNAT_DONE))
            {
                decide(pool, handle, entry);
            }
            if (table.hasFlags(entry, F_NAT_FAILED))
            {
                graph.drop(handle, NatDrops.NAT_FAILED);
                continue;
            }
            if (table.hasFlags(entry, F_SNAT))
            {
                // the reply tuple's destination is where the original now comes from
                final long reply1 = table.key1((entry << 1) | ConnectionTable.REPLY);
                final long reply2 = table.key2((entry << 1) | ConnectionTable.REPLY);
                final int external = Tuples.destination(reply1);
                final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
                final long upper = Ipv6Header.upperLayer(buffer, ip, pool.frameOffset(handle) + pool.frameLength(handle));
                if (upper < 0 || !Ipv6Rewriter.rewrite(buffer, ip, Ipv6Header.offsetOf(upper),
                    Ipv6Header.protocolOf(upper), true, tokens.hi(external), tokens.lo(external),
                    Tuples.destinationPort(reply2)))
                {
                    graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
                    continue;
                }
            }
            graph.enqueue(next, handle);
        }
    }

    private void decide(final PacketPool pool, final int handle, final int entry)
    {
        table.addFlags(entry, F_SNAT_DONE);
        if (!policy.masquerades(pool, handle))
        {
            return;
        }
        final int external = tokens.intern(policy.externalHi(), policy.externalLo());
        final int port = external == Ipv6Tokens.NO_TOKEN ? PortAllocator.NO_PORT : ports.allocate(entry, external);
        tokens.dropIfUnused(external);
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
