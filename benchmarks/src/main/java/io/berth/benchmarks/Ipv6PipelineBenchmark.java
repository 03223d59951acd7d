package io.berth.benchmarks;

import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.MemoryPacketPath;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.Frames;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.graph.Graph;
import org.agrona.concurrent.SystemEpochClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The IPv6 routed path in berthd's production graph (issue 27), on one thread: {@value #FLOWS} established UDP
 * flows from a container on a dual-stack network to a server beyond the uplink, in rotation, each 64-byte
 * datagram followed by its reply: parse, port security, l2-forward, gateway, conntrack (IPv6 tokens), nat66-in,
 * route6, nat66-out, tx. {@code masquerade}: the network is unique-local and masqueraded to the uplink's IPv6
 * address (NAT66 out and back), or routed as it is. Compare with {@code NatPipelineBenchmark.establishedSnat}
 * (IPv4, TCP) in the same run. Score: packets per second (ops/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class Ipv6PipelineBenchmark
{
    static final int PACKETS = 256;
    static final int FLOWS = 1024;
    private static final long PREFIX = 0xfd00_0018_0000_0000L;
    private static final long[] CONTAINER6 = {PREFIX, 2};
    private static final long[] UPLINK6 = {0xfd00_0099_0000_0000L, 1};
    private static final long[] LAN_GW6 = {0xfd00_0099_0000_0000L, 0xfe};
    private static final long[] SERVER6 = {0x2001_0db8_ffff_0000L, 5};
    private static final int CONTAINER_IP = Frames.ip("172.18.0.2");
    private static final long CONTAINER_MAC = MemoryPacketPath.macFor(CONTAINER_IP);
    private static final long GATEWAY_MAC = MemoryPacketPath.macFor(Frames.ip("172.18.0.1"));
    private static final long UPLINK_MAC = Frames.mac("02:aa:0a:63:00:01");
    private static final long LAN_GW_MAC = Frames.mac("00:11:22:33:44:fe");

    @Param({"true", "false"})
    public boolean masquerade;

    private MemoryPacketPath path;
    private PacketPool pool;
    private Graph graph;
    private MemoryPort container;
    private MemoryPort uplink;
    private byte[][] outbound;
    private byte[][] replies;
    private int flow;
    private long injected;

    @Setup(Level.Trial)
    public void setUp()
    {
        container = new MemoryPort(1, "container");
        uplink = new MemoryPort(4, "uplink");
        path = new MemoryPacketPath(512, DataplaneOptions.defaults(), SystemEpochClock.INSTANCE)
            .network(1, Frames.ip("172.18.0.0"), 16, Frames.ip("172.18.0.1"), true, false)
            .container(container, 1, CONTAINER_IP)
            .uplink(uplink, Frames.ip("10.99.0.1"), 24, UPLINK_MAC, Frames.ip("10.99.0.254"))
            .ipv6Network(1, PREFIX, Frames.ip("172.18.0.0"), masquerade)
            .ipv6Container(container, CONTAINER6[0], CONTAINER6[1])
            .ipv6Routes(new long[] {0xfd00_a9fe_7b00_0000L, 2}, new long[] {0xfd00_a9fe_7b00_0000L, 1}, UPLINK6,
                LAN_GW6);
        pool = path.pool();
        graph = path.graph();
        uplink.inject(Frames.ipv6Frame(UPLINK_MAC, LAN_GW_MAC, LAN_GW6, UPLINK6, 58, 255,
            Frames.concat(Frames.l4v6(58, 136, 0, new byte[0]), ByteBuffer.allocate(24).putLong(LAN_GW6[0])
                .putLong(LAN_GW6[1]).put((byte)2).put((byte)1).putShort((short)(LAN_GW_MAC >>> 32))
                .putInt((int)LAN_GW_MAC).array())));
        path.cycle();
        final long[] seenFrom = masquerade ? UPLINK6 : CONTAINER6;
        outbound = new byte[FLOWS][];
        replies = new byte[FLOWS][];
        for (int i = 0; i < FLOWS; i++)
        {
            // 14 + 40 + 8 + 2 = a 64-byte frame; the masquerade keeps the container's port (it is free)
            outbound[i] = Frames.ipv6Frame(GATEWAY_MAC, CONTAINER_MAC, CONTAINER6, SERVER6, 17, 64,
                Frames.l4v6(17, 40000 + i, 53, new byte[2]));
            replies[i] = Frames.ipv6Frame(UPLINK_MAC, LAN_GW_MAC, SERVER6, seenFrom, 17, 60,
                Frames.l4v6(17, 53, 40000 + i, new byte[2]));
            send(outbound[i], 1);
            graph.run(); // the masquerade is decided after conntrack: the reply must find it made
            send(replies[i], 4);
            graph.run();
        }
        graph.run();
        container.keepTransmitted(false);
        uplink.keepTransmitted(false);
        if (out() != injected || graph.drops().get(DropReason.NO_ROUTE) != 0)
        {
            throw new IllegalStateException("setup packets dropped: " + drops());
        }
    }

    private void send(final byte[] frame, final int inPort)
    {
        final int handle = pool.allocate();
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        pool.inPort(handle, inPort);
        graph.inject(handle);
        injected++;
        if (injected % 64 == 0)
        {
            graph.run();
        }
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int establishedFlows()
    {
        for (int i = 0; i < PACKETS; i += 2)
        {
            send(outbound[flow], 1);
            send(replies[flow], 4);
            flow = (flow + 1) & (FLOWS - 1);
        }
        graph.run();
        return flow;
    }

    private long out()
    {
        return container.counters().get(PortCounters.TX_PACKETS) + uplink.counters().get(PortCounters.TX_PACKETS);
    }

    private String drops()
    {
        final StringBuilder sb = new StringBuilder();
        for (final DropReason reason : DropReason.values())
        {
            if (graph.drops().get(reason) != 0)
            {
                sb.append(reason).append('=').append(graph.drops().get(reason)).append(' ');
            }
        }
        return sb.toString();
    }

    @TearDown(Level.Trial)
    public void verify()
    {
        if (out() != injected || pool.available() != pool.capacity())
        {
            throw new IllegalStateException("not a clean run: injected " + injected + ", out " + out() + ", pool " +
                pool.available() + "/" + pool.capacity() + ", " + drops());
        }
    }
}
