package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.CtInfo;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.berth.conntrack.ConnectionFlags.F_NAT_FAILED;
import static io.berth.conntrack.ConnectionFlags.F_SNAT;
import static io.berth.conntrack.ConnectionFlags.F_SNAT_DONE;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;

/**
 * Source translation, after routing (Linux's POSTROUTING): asks the {@link SnatPolicy} once per new connection
 * whether it is masqueraded and, if so, takes an external port from the {@link PortAllocator} (which points the
 * reply tuple at it); then for every packet of a connection it rewrites the source where the connection says so:
 * <ul>
 * <li>original direction of a SNAT connection: container address:port -> external address:port;</li>
 * <li>reply direction of a DNAT connection: container address:port -> published host address:port;</li>
 * <li>ICMP errors RELATED to such a connection: the outer source, and the quoted packet's destination.</li>
 * </ul>
 * The target is the inverse of the other direction's tuple. A connection that gets no port is refused: its
 * packets are dropped until it expires (a retransmitted SYN then tries afresh). Untracked packets (fragments)
 * that the policy would masquerade are dropped rather than leak a container address. Worker thread;
 * allocation-free.
 */
public final class SnatNode extends Node
{
    private final ConnectionTable table;
    private final CtInfo info;
    private final PortAllocator ports;
    private final SnatPolicy policy;
    private final NatCounters counters;
    private final NatBindings bindings;
    private final Arc next = declareArc("next");
    private final HeaderRewriter rewriter = new HeaderRewriter();

    /** Arc {@code next} takes every packet not dropped (transmit, typically). */
    public SnatNode(
        final ConnectionTable table, final CtInfo info, final PortAllocator ports, final SnatPolicy policy,
        final NatCounters counters)
    {
        this(table, info, ports, policy, counters, new NatBindings(0));
    }

    /** @param bindings where each new masquerade binding is mirrored for a restart after SIGKILL. */
    public SnatNode(
        final ConnectionTable table, final CtInfo info, final PortAllocator ports, final SnatPolicy policy,
        final NatCounters counters, final NatBindings bindings)
    {
        super("snat", NatDrops.NAT_FAILED, NatDrops.NAT_UNTRANSLATABLE);
        this.table = table;
        this.info = info;
        this.ports = ports;
        this.policy = policy;
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
            final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
            if (info.isTracked(handle))
            {
                if (translate(pool, buffer, handle, ip))
                {
                    graph.enqueue(next, handle);
                }
                else
                {
                    graph.drop(handle, NatDrops.NAT_FAILED);
                }
            }
            else if (isIpv4(pool, buffer, handle) && policy.externalAddress(pool, handle,
                buffer.getInt(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                buffer.getInt(ip + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN)) != SnatPolicy.NO_SNAT)
            {
                graph.drop(handle, NatDrops.NAT_UNTRANSLATABLE);
            }
            else
            {
                graph.enqueue(next, handle);
            }
        }
    }

    private boolean translate(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int ip)
    {
        final int entry = info.entry(handle);
        final int direction = info.direction(handle);
        final boolean related = info.ctClass(handle) == CtInfo.RELATED;
        if (direction == ORIGINAL && !related && !table.hasFlags(entry, F_SNAT_DONE))
        {
            decide(pool, buffer, handle, ip, entry);
        }
        return rewriter.translateDecided(table, pool, buffer, handle, ip, entry, direction, related,
            HeaderRewriter.SOURCE);
    }

    private void decide(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int ip, final int entry)
    {
        table.addFlags(entry, F_SNAT_DONE);
        final int external = policy.externalAddress(pool, handle,
            buffer.getInt(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
            buffer.getInt(ip + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN));
        if (external == SnatPolicy.NO_SNAT)
        {
            return;
        }
        if (ports.allocate(entry, external) == PortAllocator.NO_PORT)
        {
            // packets in flight may still reference the entry: mark it and let it expire, never free it here
            table.addFlags(entry, F_NAT_FAILED);
            table.refresh(entry, 0);
            counters.count(NatCounter.SNAT_NO_PORT);
            return;
        }
        table.addFlags(entry, F_SNAT);
        bindings.bind(table, entry);
        counters.count(NatCounter.SNAT_CONNECTIONS);
        if (ports.lastKept())
        {
            counters.count(NatCounter.SNAT_PORT_KEPT);
        }
    }

    private static boolean isIpv4(final PacketPool pool, final UnsafeBuffer buffer, final int handle)
    {
        return pool.frameLength(handle) >= EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
            && (buffer.getShort(pool.frameOffset(handle) + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
            == EthernetFlyweight.TYPE_IPV4;
    }
}
