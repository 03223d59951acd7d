package io.berth.dataplane.graph;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Hands IPv4 packets for one of berthd's own (address, protocol, port) to the handler registered for it, so a
 * service that answers on a gateway address (DNS, say) plugs in here instead of into the gateway or route
 * stages. Everything else goes on along {@code next}, IPv4 and IPv6 fragments along {@code fragments} where that is
 * connected (reassembly, so whole packets skip a stage); a handler's answers leave by {@code tx}. With nothing
 * registered a batch passes without a lookup.
 * <pre>
 *   key = address (32) | protocol (8) | port (16), in one long
 * </pre>
 * Worker thread; registration too (through a worker command). Allocation-free per packet.
 */
public final class LocalDeliveryNode extends Node
{
    /** What a handler did with a packet it was given. */
    public enum Outcome
    {
        /** The packet was rewritten into an answer with its egress set: it goes out by {@code tx}. */
        ANSWERED,
        /** The handler took what it needed; the packet is released as delivered. */
        CONSUMED,
        /** Not for the handler after all: the packet goes on along {@code next}. */
        DECLINED
    }

    /** A local service's receive hook; runs on the worker thread, must not block or allocate per packet. */
    @FunctionalInterface
    public interface Handler
    {
        Outcome deliver(PacketPool pool, int handle);
    }

    private final Arc next = declareArc("next");
    private final Arc tx = declareArc("tx");
    /** IPv4 fragments, when connected (to reassembly): whole packets then skip that stage. */
    private final Arc fragments = declareOptionalArc("fragments");
    private final Long2ObjectHashMap<Handler> handlers = new Long2ObjectHashMap<>();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    public LocalDeliveryNode()
    {
        super("local-delivery");
    }

    public static long key(final int address, final int protocol, final int port)
    {
        return ((address & 0xFFFF_FFFFL) << 24) | ((protocol & 0xFFL) << 16) | (port & 0xFFFF);
    }

    /** Worker thread. False when something is registered there already (nothing changes). */
    public boolean register(final int address, final int protocol, final int port, final Handler handler)
    {
        return handlers.putIfAbsent(key(address, protocol, port), handler) == null;
    }

    /** Worker thread. */
    public void unregister(final int address, final int protocol, final int port)
    {
        handlers.remove(key(address, protocol, port));
    }

    public int registered()
    {
        return handlers.size();
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        final boolean splitFragments = fragments.connected();
        if (handlers.isEmpty())
        {
            for (int i = 0, n = batch.count(); i < n; i++)
            {
                final int handle = batch.get(i);
                graph.enqueue(splitFragments && isFragment(buffer, pool.frameOffset(handle), pool.frameLength(handle)) ? fragments : next, handle);
            }
            return;
        }
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (splitFragments && isFragment(buffer, pool.frameOffset(handle), pool.frameLength(handle)))
            {
                graph.enqueue(fragments, handle);
                continue;
            }
            final Handler handler = handlerFor(pool, buffer, handle);
            final Outcome outcome = handler == null ? Outcome.DECLINED : handler.deliver(pool, handle);
            switch (outcome)
            {
                case ANSWERED -> graph.enqueue(tx, handle);
                case CONSUMED -> graph.delivered(handle);
                default -> graph.enqueue(next, handle);
            }
        }
    }


    /** An IPv4 or IPv6 fragment. */
    private static boolean isFragment(final UnsafeBuffer buffer, final int frame, final int length)
    {
        return Ipv4Flyweight.isFragment(buffer, frame, length) || Ipv6Header.isFragment(buffer, frame, length);
    }

    private Handler handlerFor(final PacketPool pool, final UnsafeBuffer buffer, final int handle)
    {
        ethernet.wrap(buffer, pool.frameOffset(handle));
        if (ethernet.etherType() != EthernetFlyweight.TYPE_IPV4)
        {
            return null;
        }
        ipv4.wrap(buffer, ethernet.payloadOffset());
        final int protocol = ipv4.protocol();
        if ((protocol != Ipv4Flyweight.PROTO_TCP && protocol != Ipv4Flyweight.PROTO_UDP) || ipv4.isFragment()
            || ipv4.totalLength() < ipv4.headerLength() + 4)
        {
            return null;
        }
        final int port = buffer.getShort(ipv4.payloadOffset() + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        return handlers.get(key(ipv4.destination(), protocol, port));
    }
}
