package io.berth.control.dataplane;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.Ipv6Tokens;
import io.berth.conntrack.Tuples;
import io.berth.conntrack.CtInfo;
import io.berth.control.error.BerthException;
import io.berth.dataplane.Egress;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.graph.Graph;
import io.berth.tap.AfPacketPort;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_DEVICE;
import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_HOST_IP;
import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_HOST_MAC;
import static io.berth.control.dataplane.UserspaceDataplane.HOST_LINK_OUR_MAC;
import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * {@code berth trace} in the production graph: a synthetic packet injected as if a port had sent it, or the next
 * packets a port sends, followed node by node by the graph's one tracer and told back with the ports' names and
 * the connection's class. One trace at a time; the caller's thread waits, the worker does the packet work.
 */
final class PacketTracing
{
    private final PacketPath pipeline;
    private final ToIntFunction<String> portIdOf;
    private final IntFunction<String> portNameOf;

    /** @param portIdOf a port's id by name (negative: none); {@code portNameOf} the other way. */
    PacketTracing(final PacketPath pipeline, final ToIntFunction<String> portIdOf, final IntFunction<String> portNameOf)
    {
        this.pipeline = pipeline;
        this.portIdOf = portIdOf;
        this.portNameOf = portNameOf;
    }

    /** One trace at a time: the graph has one tracer. */
    private final Object tracing = new Object();

    /** Traces {@code frame} injected at {@code portName}, or the next {@code count} packets it sends. */
    List<TraceEvent> trace(final String portName, final byte[] frame, final int destination,
        final int protocol, final int l4Port, final int count, final long timeoutMs) throws InterruptedException
    {
        return trace(portName, frame, (tracer, port) -> tracer.follow(port, destination, protocol, l4Port, count),
            count, timeoutMs);
    }

    /** The next {@code count} IPv6 packets {@code portName} sends to {@code destination} (issue 27). */
    List<TraceEvent> traceIpv6(final String portName, final long[] destination, final int protocol,
        final int l4Port, final int count, final long timeoutMs) throws InterruptedException
    {
        return trace(portName, null, (tracer, port) -> tracer.follow6(port, destination[0], destination[1],
            protocol == TraceFrames.ICMP ? TraceFrames.ICMPV6 : protocol, l4Port, count), count, timeoutMs);
    }

    /** What {@code --next} follows, set on the worker. */
    @FunctionalInterface
    private interface Follow
    {
        void start(PacketTracer tracer, int port);
    }

    private List<TraceEvent> trace(final String portName, final byte[] frame, final Follow follow, final int count,
        final long timeoutMs) throws InterruptedException
    {
        final int port = portIdOf.applyAsInt(portName);
        if (port < 0)
        {
            throw new BerthException("no port " + portName + " to trace from");
        }
        synchronized (tracing)
        {
            final Graph graph = pipeline.graph();
            final PacketTracer tracer = new PacketTracer(graph.pool(), pipeline.connections, pipeline.ctInfo,
                graph.node("conntrack").index());
            await(pipeline.worker.submit(() -> graph.tracer(tracer)));
            try
            {
                final int traced;
                if (frame != null)
                {
                    traced = 1;
                    await(pipeline.worker.submit(() -> injectSynthetic(tracer, port, frame)));
                }
                else
                {
                    traced = count;
                    await(pipeline.worker.submit(() -> follow.start(tracer, port)));
                }
                final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
                List<PacketTracer.Event> events;
                while (true)
                {
                    events = await(pipeline.worker.call(tracer::events));
                    final long ended = events.stream().filter(e -> !e.kind().equals("enter")).map(PacketTracer.Event::packet)
                        .distinct().count();
                    if (ended >= traced || System.nanoTime() > deadline)
                    {
                        break;
                    }
                    Thread.sleep(20);
                }
                if (frame != null)
                {
                    // a synthetic packet parked for ARP, or whose connection outlived it: forget its connection
                    await(pipeline.worker.submit(() -> forgetSynthetic(frame)));
                }
                return events.stream().map(e -> new TraceEvent(e.packet(), graph.node(e.node()).name(), e.kind(),
                    e.reason(), e.frame(), e.frameLength(), e.inPort() < 0 ? "" : portNameOf.apply(e.inPort()),
                    egressName(e.egress()), ctClassName(e.ctClass()), e.ctDirection() < 0 ? null
                    : e.ctDirection() == 0 ? "original" : "reply", e.ctEntry())).toList();
            }
            finally
            {
                await(pipeline.worker.submit(() -> graph.tracer(null)));
            }
        }
    }

    /** Worker thread: the synthetic packet enters as if its port had sent it. */
    private void injectSynthetic(final PacketTracer tracer, final int port, final byte[] frame)
    {
        final PacketPool pool = pipeline.graph().pool();
        final int handle = pool.allocate();
        if (handle == PacketPool.NO_PACKET)
        {
            throw new BerthException("the packet pool is dry: try the trace again");
        }
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        pool.inPort(handle, port);
        pool.trace(handle, tracer.syntheticMark());
        final long[] keys = keysOf(frame);
        syntheticWasNew = keys == null || pipeline.connections.lookup(keys[0], keys[1]) == ConnectionTable.NOT_FOUND;
        pipeline.graph().inject(handle);
        pipeline.graph().run();
    }

    /** Worker thread: whether the synthetic packet's tuple had no connection before it (then its entry goes). */
    private boolean syntheticWasNew;

    private void forgetSynthetic(final byte[] frame)
    {
        final long[] keys = keysOf(frame);
        final int ref = keys == null ? ConnectionTable.NOT_FOUND : pipeline.connections.lookup(keys[0], keys[1]);
        if (syntheticWasNew && ref != ConnectionTable.NOT_FOUND)
        {
            pipeline.connections.remove(ConnectionTable.entry(ref));
        }
    }

    /**
     * Worker thread: the conntrack keys of a synthetic frame; an IPv6 one's from its addresses' tokens, null when
     * an address has none (then no connection has it).
     */
    private long[] keysOf(final byte[] frame)
    {
        if ((((frame[12] & 0xFF) << 8) | (frame[13] & 0xFF)) != 0x86DD)
        {
            return TraceFrames.conntrackKeys(frame);
        }
        final ByteBuffer b = ByteBuffer.wrap(frame);
        final int source = pipeline.ipv6.tokens.find(b.getLong(22), b.getLong(30));
        final int destination = pipeline.ipv6.tokens.find(b.getLong(38), b.getLong(46));
        if (source == Ipv6Tokens.NO_TOKEN || destination == Ipv6Tokens.NO_TOKEN)
        {
            return null;
        }
        final int next = frame[20] & 0xFF;
        final int sourcePort = next == TraceFrames.ICMPV6 ? b.getShort(58) & 0xFFFF : b.getShort(54) & 0xFFFF;
        final int destinationPort = next == TraceFrames.ICMPV6 ? sourcePort : b.getShort(56) & 0xFFFF;
        return new long[] {Tuples.key1(source, destination), Tuples.key2v6(next, sourcePort, destinationPort)};
    }

    private String egressName(final int egress)
    {
        if (egress >= 0)
        {
            return portNameOf.apply(egress);
        }
        return Egress.isFlood(egress) ? "flood" : "";
    }

    private static String ctClassName(final int ctClass)
    {
        return switch (ctClass)
        {
            case -1 -> null;
            case CtInfo.NEW -> "new";
            case CtInfo.ESTABLISHED -> "established";
            case CtInfo.RELATED -> "related";
            default -> "untracked";
        };
    }

    /**
     * Traces a synthetic first packet as if from the LAN behind the uplink (its gateway, or a neighbour) or from the
     * host through berth0, to {@code destination}:{@code destinationPort}.
     */
    List<TraceEvent> traceFrom(final boolean fromUplink, final int protocol, final int destination,
        final int destinationPort, final long timeoutMs, final AfPacketPort uplink, final UplinkSpec uplinkSpec,
        final boolean hostLinkUp) throws InterruptedException
    {
        final long srcMac;
        final long dstMac;
        final int source;
        final String port;
        if (fromUplink)
        {
            if (uplink == null || uplinkSpec == null)
            {
                throw new BerthException("berthd has no uplink");
            }
            final int mask = uplinkSpec.prefixLength() == 0 ? 0 : -1 << (32 - uplinkSpec.prefixLength());
            final int other = (uplinkSpec.ip() & mask) | ((uplinkSpec.ip() + 1) & ~mask);
            source = uplinkSpec.gateway() != 0 ? uplinkSpec.gateway() : other != uplinkSpec.ip() ? other : uplinkSpec.ip() - 1;
            srcMac = 0x0200_5e00_0000L | (source & 0xFFFF_FFFFL) & 0xFF_FFFFL; // a LAN host's (locally administered)
            dstMac = macOf(uplink.mac());
            port = "uplink";
        }
        else
        {
            if (!hostLinkUp)
            {
                throw new BerthException("berthd has no host link (berth0)");
            }
            source = HOST_LINK_HOST_IP;
            srcMac = HOST_LINK_HOST_MAC;
            dstMac = HOST_LINK_OUR_MAC;
            port = HOST_LINK_DEVICE;
        }
        final byte[] frame = TraceFrames.build(dstMac, srcMac, protocol, source, destination,
            TraceFrames.ephemeralPort(), destinationPort);
        return trace(port, frame, 0, 0, 0, 0, timeoutMs);
    }

    /**
     * {@link #traceFrom} over IPv6 (issue 27): a synthetic packet as a LAN host on the uplink's IPv6 prefix sends
     * it (from the IPv6 gateway, else the address next to berthd's).
     */
    List<TraceEvent> traceFromIpv6(final int protocol, final long[] destination, final int destinationPort,
        final long timeoutMs, final AfPacketPort uplink, final UplinkSpec uplinkSpec) throws InterruptedException
    {
        if (uplink == null || uplinkSpec == null || uplinkSpec.ip6() == null)
        {
            throw new BerthException("berthd has no IPv6 uplink address (berthd --uplink-ip6)");
        }
        final long[] source = uplinkSpec.gateway6() != null ? uplinkSpec.gateway6()
            : new long[] {uplinkSpec.ip6()[0], uplinkSpec.ip6()[1] ^ 1};
        final long srcMac = 0x0200_5e00_0000L | (source[1] & 0xFF_FFFFL); // a LAN host's (locally administered)
        final byte[] frame = TraceFrames.build6(macOf(uplink.mac()), srcMac, protocol, source, destination,
            TraceFrames.ephemeralPort(), destinationPort);
        return trace("uplink", frame, 0, 0, 0, 0, timeoutMs);
    }

    /** A MAC as a port reports it (6 bytes) in the 48 low bits of a long. */
    static long macOf(final byte[] mac)
    {
        long value = 0;
        for (final byte b : mac)
        {
            value = (value << 8) | (b & 0xFF);
        }
        return value;
    }
}
