package io.berth.benchmarks;

import io.berth.dataplane.Frames;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.MemoryPacketPath;
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

import java.util.concurrent.TimeUnit;

/**
 * berthd's production graph ({@link MemoryPacketPath}) on one thread, one bridge network: {@link MemoryPort}s replay a 64-byte frame, each invocation runs worker
 * duty cycles (receive, parse, learn, look up, forward or answer, transmit to an in-memory port) until
 * {@value #FRAMES} frames went through. A score is frames per second on one core (ops/s = packets/s).
 * <p>
 * {@code batch} is how many frames one duty cycle carries through the graph: the worker reads
 * {@value DataplaneWorker#RECEIVE_BURST} per port, so 64 is one replaying port and four cycles per invocation,
 * 256 is four replaying ports and one cycle.
 * <ul>
 * <li>{@code forward}: learned unicast, every source to one sink container.</li>
 * <li>{@code flood}: unknown unicast, every frame copied to every other port of the domain
 * (batch 64: 2 copies, batch 256: 5 copies).</li>
 * <li>{@code gatewayPing}: ICMP echo requests to the gateway, answered in place and sent back.</li>
 * <li>{@code forwardMixed}: learned unicast where consecutive frames go to different containers (16 sinks, each
 * frame a new destination), so l2-forward's one-entry lookup cache never hits.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class L2PipelineBenchmark
{
    static final int FRAMES = 256;

    static final long GATEWAY_MAC = Frames.mac("02:42:ac:11:00:01");
    static final int GATEWAY_IP = Frames.ip("172.17.0.1");
    static final long SINK_MAC = Frames.mac("02:42:ac:11:00:02");
    static final int SINK_IP = Frames.ip("172.17.0.2");
    static final long UNKNOWN_MAC = Frames.mac("02:42:ac:11:00:fe");

    /** One bridge domain: sinks first (ids 0..), then replaying sources. */
    public abstract static class Rig
    {
        PacketPool pool;
        MemoryPacketPath pipeline;
        DataplaneWorker worker;
        MemoryPort[] sinks;
        MemoryPort[] sources;
        int cycles;
        long[] baseline;
        RotatingPort[] rotating;

        void build(final int batch, final int sinkCount)
        {
            build(batch, sinkCount, false);
        }

        void build(final int batch, final int sinkCount, final boolean rotatingSources)
        {
            if (batch % DataplaneWorker.RECEIVE_BURST != 0 || FRAMES % batch != 0)
            {
                throw new IllegalArgumentException("batch must be a multiple of " + DataplaneWorker.RECEIVE_BURST + " dividing " + FRAMES);
            }
            cycles = FRAMES / batch;
            pipeline = new MemoryPacketPath(1024, DataplaneOptions.defaults(), SystemEpochClock.INSTANCE);
            pool = pipeline.pool();
            worker = pipeline.worker();
            pipeline.network(0, Frames.ip("172.17.0.0"), 16, GATEWAY_IP, true, false);
            sinks = new MemoryPort[sinkCount];
            sources = new MemoryPort[batch / DataplaneWorker.RECEIVE_BURST];
            int id = 0;
            for (int i = 0; i < sinks.length; i++)
            {
                sinks[i] = attach(id++, sinkIp(i));
            }
            for (int i = 0; i < sources.length; i++)
            {
                sources[i] = attach(id++, sourceIp(i));
            }
            rotating = new RotatingPort[rotatingSources ? sources.length : 0];
            // the first sink says who it is, so its MAC is learned
            sinks[0].inject(Frames.arpRequest(SINK_MAC, SINK_IP, GATEWAY_IP));
            worker.doWork();
            takeBaseline();
        }

        void takeBaseline()
        {
            final int ports = sinks.length + sources.length;
            baseline = new long[ports];
            for (int p = 0; p < ports; p++)
            {
                baseline[p] = pipeline.path().ports().get(p).counters().get(PortCounters.TX_PACKETS);
            }
        }

        /** A container port bound (port security) to {@code ip} and its MAC, as it will send. */
        private MemoryPort attach(final int id, final int ip)
        {
            final MemoryPort port = new MemoryPort(id, "mem" + id);
            port.keepTransmitted(false);
            pipeline.container(port, 0, ip);
            return port;
        }

        /** Sink 0 is the one every rig announces (SINK_MAC, SINK_IP); the others are for forwardMixed. */
        static long sinkMac(final int s)
        {
            return s == 0 ? SINK_MAC : Frames.mac("02:42:ac:11:02:00") + s;
        }

        static int sinkIp(final int s)
        {
            return s == 0 ? SINK_IP : Frames.ip("172.17.2.0") + s;
        }

        static long sourceMac(final int i)
        {
            return Frames.mac("02:42:ac:11:01:00") + i;
        }

        static int sourceIp(final int i)
        {
            return Frames.ip("172.17.1.0") + i;
        }

        final int run()
        {
            int work = 0;
            for (int i = 0; i < cycles; i++)
            {
                work += worker.doWork();
            }
            return work;
        }

        long transmitted(final MemoryPort... ports)
        {
            long sum = 0;
            for (final MemoryPort port : ports)
            {
                sum += port.counters().get(PortCounters.TX_PACKETS) - baseline[port.id()];
            }
            return sum;
        }

        long received()
        {
            long sum = 0;
            for (final MemoryPort port : sources)
            {
                sum += port.counters().get(PortCounters.RX_PACKETS);
            }
            return sum;
        }

        /** The benchmark measured what it says: nothing dropped, nothing leaked. */
        void verify(final long expectedCopiesPerFrame, final long copies)
        {
            verify(expectedCopiesPerFrame, copies, received());
        }

        void verify(final long expectedCopiesPerFrame, final long copies, final long frames)
        {
            for (final DropReason reason : DropReason.values())
            {
                if (pipeline.graph().drops().get(reason) != 0)
                {
                    throw new IllegalStateException(pipeline.graph().drops().get(reason) + " frames dropped: " + reason);
                }
            }
            if (pool.available() != pool.capacity())
            {
                throw new IllegalStateException("leaked " + (pool.capacity() - pool.available()) + " packets");
            }
            if (frames == 0 || copies != frames * expectedCopiesPerFrame)
            {
                throw new IllegalStateException(frames + " frames in, " + copies + " copies out, expected "
                    + expectedCopiesPerFrame + " each");
            }
        }
    }

    @State(Scope.Thread)
    public static class ForwardRig extends Rig
    {
        @Param({"64", "256"})
        int batch;

        @Setup(Level.Trial)
        public void setup()
        {
            build(batch, 1);
            for (int i = 0; i < sources.length; i++)
            {
                sources[i].replay(Frames.udpFrame(sourceMac(i), SINK_MAC, sourceIp(i), SINK_IP, 40000 + i, 5001, 64));
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            verify(1, transmitted(sinks));
        }
    }

    @State(Scope.Thread)
    public static class FloodRig extends Rig
    {
        @Param({"64", "256"})
        int batch;

        @Setup(Level.Trial)
        public void setup()
        {
            build(batch, 2);
            for (int i = 0; i < sources.length; i++)
            {
                sources[i].replay(Frames.udpFrame(sourceMac(i), UNKNOWN_MAC, sourceIp(i), SINK_IP + 100, 40000 + i, 5001, 64));
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            verify(sinks.length + sources.length - 1, transmitted(sinks) + transmitted(sources));
        }
    }

    @State(Scope.Thread)
    public static class PingRig extends Rig
    {
        @Param({"64", "256"})
        int batch;

        @Setup(Level.Trial)
        public void setup()
        {
            build(batch, 1);
            for (int i = 0; i < sources.length; i++)
            {
                // 14 + 20 + 8 + 22 bytes of data = a 64-byte frame
                sources[i].replay(Frames.ping(sourceMac(i), GATEWAY_MAC, sourceIp(i), GATEWAY_IP, 0x4000 + i, 1, new byte[22]));
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            verify(1, transmitted(sources));
        }
    }

    @State(Scope.Thread)
    public static class MixedRig extends Rig
    {
        static final int SINKS = 16;

        @Param({"64", "256"})
        int batch;

        @Setup(Level.Trial)
        public void setup()
        {
            build(batch, SINKS, true);
            final byte[][] frames = new byte[SINKS][];
            for (int s = 0; s < SINKS; s++)
            {
                sinks[s].inject(Frames.udpFrame(sinkMac(s), UNKNOWN_MAC, sinkIp(s), SINK_IP + 100, 5001, 5001, 60));
            }
            worker.doWork(); // every sink says who it is (flooded once, then known)
            for (int i = 0; i < sources.length; i++)
            {
                final byte[][] rotation = new byte[SINKS][];
                for (int s = 0; s < SINKS; s++)
                {
                    rotation[s] = Frames.udpFrame(sourceMac(i), sinkMac(s), sourceIp(i), sinkIp(s), 40000 + i, 5001, 64);
                }
                rotating[i] = new RotatingPort(sources[i].id(), rotation);
                worker.detachPort(sources[i]);
                worker.attachPort(rotating[i]);
            }
            takeBaseline();
        }

        @TearDown(Level.Trial)
        public void check()
        {
            long in = 0;
            for (final RotatingPort port : rotating)
            {
                in += port.counters().get(PortCounters.RX_PACKETS);
            }
            verify(1, transmitted(sinks), in);
        }
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public int forwardMixed(final MixedRig rig)
    {
        return rig.run();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public int forward(final ForwardRig rig)
    {
        return rig.run();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public int flood(final FloodRig rig)
    {
        return rig.run();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public int gatewayPing(final PingRig rig)
    {
        return rig.run();
    }
}
