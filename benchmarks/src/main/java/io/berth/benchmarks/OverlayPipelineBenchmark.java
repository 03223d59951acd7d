package io.berth.benchmarks;

import io.berth.control.dataplane.MemoryPacketPath;
import io.berth.control.dataplane.OverlayHost;
import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.Frames;
import io.berth.dataplane.PortCounters;
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
 * berthd's production graph with an overlay network ({@code OverlayHost}: vxlan-decap after parse, a tunnel port
 * to one remote VTEP), on one thread. A container replays a UDP frame of {@code frameBytes} to a container on the
 * other host whose MAC was learned on the tunnel port: every frame is parsed, checked by port security, switched
 * to the tunnel port, encapsulated into the headroom, sent on the uplink and restored ({@code encapsulate}). The
 * uplink replays the VXLAN datagram the other way: parsed, decapsulated, checked again, switched to the container
 * ({@code decapsulate}). One duty cycle carries {@value DataplaneWorker#RECEIVE_BURST} frames. A score is frames per
 * second on one core.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OverlayPipelineBenchmark
{
    static final int VNI = 4242;
    static final int NET = 1;
    static final int VTEP_A = Frames.ip("192.168.50.1");
    static final int VTEP_B = Frames.ip("192.168.50.2");
    static final long MAC_A = Frames.mac("02:00:c0:a8:32:01");
    static final long MAC_B = Frames.mac("02:00:c0:a8:32:02");
    static final int IP_A1 = Frames.ip("10.0.0.2");
    static final int IP_B1 = Frames.ip("10.0.0.3");

    @State(Scope.Thread)
    public static class Rig
    {
        @Param({"64", "1400"})
        public int frameBytes;

        OverlayHost a;
        OverlayHost b;
        long sentBefore;
        long deliveredBefore;

        @Setup(Level.Trial)
        public void build()
        {
            a = new OverlayHost(VNI, NET, 100, VTEP_A, MAC_A, VTEP_B, MAC_B);
            b = new OverlayHost(VNI, NET, 100, VTEP_B, MAC_B, VTEP_A, MAC_A);
            a.path.container(a.container, NET, IP_A1);
            b.path.container(b.container, NET, IP_B1);
            final long macA1 = MemoryPacketPath.macFor(IP_A1);
            final long macB1 = MemoryPacketPath.macFor(IP_B1);
            // b1 speaks first, so a learns b1's MAC on its tunnel port
            b.container.inject(Frames.arpRequest(macB1, IP_B1, IP_A1));
            b.path.cycle();
            a.uplink.inject(b.uplink.takeTransmitted());
            a.path.cycle();
            a.container.takeTransmitted();
            // what a1 sends, and what arrives at b for b1 (captured once, then replayed)
            final byte[] frame = Frames.udpFrame(macA1, macB1, IP_A1, IP_B1, 40000, 53, frameBytes);
            a.container.inject(frame);
            a.path.cycle();
            final byte[] datagram = a.uplink.takeTransmitted();
            if (datagram == null || datagram.length != frame.length + 50)
            {
                throw new IllegalStateException("setup: the frame did not leave encapsulated");
            }
            // and b learns a1 on its tunnel from that datagram
            b.uplink.inject(datagram);
            b.path.cycle();
            if (b.container.takeTransmitted() == null)
            {
                throw new IllegalStateException("setup: the datagram was not decapsulated to b1");
            }
            a.container.replay(frame);
            a.uplink.keepTransmitted(false);
            b.uplink.replay(datagram);
            b.container.keepTransmitted(false);
            sentBefore = a.uplink.counters().get(PortCounters.TX_PACKETS);
            deliveredBefore = b.container.counters().get(PortCounters.TX_PACKETS);
        }

        @TearDown(Level.Trial)
        public void check()
        {
            // a benchmark runs only one of the two directions: whichever it ran must have carried every frame
            final long sent = a.uplink.counters().get(PortCounters.TX_PACKETS) - sentBefore;
            final long delivered = b.container.counters().get(PortCounters.TX_PACKETS) - deliveredBefore;
            if (sent < 10_000 && delivered < 10_000)
            {
                throw new IllegalStateException("frames were dropped, not carried: " + sent + " sent, " + delivered + " delivered");
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(DataplaneWorker.RECEIVE_BURST)
    public int encapsulate(final Rig rig)
    {
        return rig.a.path.cycle();
    }

    @Benchmark
    @OperationsPerInvocation(DataplaneWorker.RECEIVE_BURST)
    public int decapsulate(final Rig rig)
    {
        return rig.b.path.cycle();
    }
}
