package io.berth.benchmarks;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounter;
import io.berth.conntrack.ConntrackCounters;
import io.berth.conntrack.Timeouts;
import io.berth.conntrack.Tuples;
import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.MemoryPacketPath;
import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.Frames;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import io.berth.dataplane.graph.Graph;
import io.berth.nat.NatCounter;
import io.berth.nat.NatCounters;
import io.berth.nat.NatDrops;
import io.berth.nat.PublishedPorts;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * berthd's production graph ({@link MemoryPacketPath}: parse, l2-forward, gateway, local-delivery, conntrack,
 * dnat, route, snat, tx) on one thread, with a container port on 172.17.0.0/16 and the uplink 10.99.0.1/24 whose
 * LAN router is a known neighbour: every packet is switched, tracked, translated, routed and transmitted.
 * Each invocation copies {@value #PACKETS} 64-byte TCP frames into pool buffers (what a port's receive does),
 * runs them through the graph in batches of {@code batch}, and gives the conntrack table one expiry slice
 * ({@code doWork}) per batch. A score is packets per second on one core (ops/s = packets/s).
 * <ul>
 * <li>{@code establishedSnat}: {@value #FLOWS} established masqueraded flows container:40000+i -> 93.184.216.34:443,
 * in rotation, each outbound data packet followed by its reply to the uplink address (masquerade and
 * de-masquerade).</li>
 * <li>{@code establishedDnat}: {@value #FLOWS} established connections from outside clients 203.0.113.7:50000+i to
 * the published port 10.99.0.1:12211 -> 172.17.0.2:8080, in rotation, inbound data then the container's reply
 * (DNAT and de-DNAT).</li>
 * <li>{@code newSnat}: every packet a bare SYN of a new connection from the container (a fresh source port per
 * packet): a conntrack miss, an insert, the published-port check (a miss), the masquerade decision and a port kept.</li>
 * <li>{@code newDnat}: every packet a SYN of a new connection from outside to the published port (a fresh
 * client port per packet): a conntrack miss, an insert, a published-port hit, the reply tuple rewritten;
 * with {@code otherPorts} = 0 or 5000 more ports published.</li>
 * </ul>
 * The new-flow rigs keep the table bounded the way berthd does, by expiry: SYN_SENT times out after 1 s, the
 * clock moves 10 ms per 256 packets, and the expiry slice (up to 1024 entries) runs after every batch, so some
 * 26,000-31,000 connections are live at any time, with either batch size; a source port comes round again only
 * after its connection has gone.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class NatPipelineBenchmark
{
    static final int PACKETS = 256;
    static final int FLOWS = 1024;

    static final int UPLINK_PORT = 9;
    static final int CONTAINER_PORT = 1;
    static final int UPLINK_IP = Frames.ip("10.99.0.1");
    static final int CONTAINER_IP = Frames.ip("172.17.0.2");
    static final int SERVER_IP = Frames.ip("93.184.216.34");
    static final int CLIENT_IP = Frames.ip("203.0.113.7");
    static final int PUBLISHED_PORT = 12211;
    static final int CONTAINER_SERVICE_PORT = 8080;
    static final long UPLINK_MAC = Frames.mac("02:42:0a:63:00:01");
    static final long CONTAINER_MAC = Frames.mac("02:42:ac:11:00:02");
    static final int GATEWAY_IP = Frames.ip("172.17.0.1");
    static final long GATEWAY_MAC = MemoryPacketPath.macFor(GATEWAY_IP);
    static final int LAN_GATEWAY_IP = Frames.ip("10.99.0.254");
    static final long LAN_GATEWAY_MAC = Frames.mac("00:11:22:33:44:fe");

    static final int L4 = 14 + 20;
    static final int TCP_CHECKSUM = L4 + 16;
    static final byte[] DATA = new byte[10]; // 14 + 20 + 20 + 10 = a 64-byte frame

    public abstract static class Rig
    {
        PacketPool pool;
        Graph graph;
        DropCounters drops;
        CachedEpochClock clock;
        ConnectionTable table;
        ConntrackCounters ctCounters;
        NatCounters natCounters;
        PublishedPorts published;
        MemoryPacketPath path;
        /** The far sides: count what is sent; during setup they keep it, to read the masquerade's port. */
        MemoryPort containerPort;
        MemoryPort uplinkPort;
        long injected;
        int batch;
        long microsPerBatch;
        long micros;
        static final long START_MILLIS = 1_000_000_000L;

        /** @param microsPer256 how far the clock moves per 256 packets (0: it stands still). */
        void build(final int batch, final int limit, final Timeouts timeouts, final long microsPer256)
        {
            if (batch < 1 || PACKETS % batch != 0 || batch > PacketBatch.DEFAULT_CAPACITY)
            {
                throw new IllegalArgumentException("batch must divide " + PACKETS);
            }
            this.batch = batch;
            this.microsPerBatch = microsPer256 * batch / 256;
            clock = new CachedEpochClock();
            clock.update(START_MILLIS);
            // berthd's production graph: parse, l2, gateway, conntrack, dnat, route, snat, tx
            path = new MemoryPacketPath(512, new DataplaneOptions(limit, timeouts, 0), clock);
            containerPort = new MemoryPort(CONTAINER_PORT, "container");
            uplinkPort = new MemoryPort(UPLINK_PORT, "uplink");
            containerPort.keepTransmitted(false);
            uplinkPort.keepTransmitted(false);
            path.network(0, Frames.ip("172.17.0.0"), 16, GATEWAY_IP, true, false)
                .container(containerPort, 0, CONTAINER_IP)
                .uplink(uplinkPort, UPLINK_IP, 24, UPLINK_MAC, LAN_GATEWAY_IP)
                .neighbor(LAN_GATEWAY_IP, UPLINK_PORT, LAN_GATEWAY_MAC);
            // as berthd: every binding mirrored into a mapped file (sparse, in /tmp, gone when the JVM exits);
            // -Dberth.bench.mirror=false measures without it, for the A/B
            if (Boolean.parseBoolean(System.getProperty("berth.bench.mirror", "true")))
            {
                try
                {
                    final Path mirror = Files.createTempFile("berth-bench-nat-bindings", "");
                    mirror.toFile().deleteOnExit();
                    path.mirrorBindings(mirror);
                }
                catch (final IOException e)
                {
                    throw new UncheckedIOException(e);
                }
            }
            pool = path.pool();
            graph = path.graph();
            drops = graph.drops();
            table = path.connections();
            ctCounters = path.conntrackCounters();
            natCounters = path.natCounters();
            published = path.published();
        }

        /** One packet through the graph on its own (setup); the source port it left with. */
        int send(final byte[] frame, final int egress)
        {
            final MemoryPort out = egress == UPLINK_PORT ? uplinkPort : containerPort;
            out.keepTransmitted(true);
            inject(frame, egress);
            graph.run();
            final byte[] sent = out.takeTransmitted();
            out.keepTransmitted(false);
            if (sent == null || out.takeTransmitted() != null)
            {
                throw new IllegalStateException("setup packet dropped: " + report());
            }
            return ((sent[L4] & 0xFF) << 8) | (sent[L4 + 1] & 0xFF);
        }

        final void inject(final byte[] frame, final int egress)
        {
            graph.inject(copy(frame, egress));
            injected++;
        }

        /**
         * What a port's receive does: a pool buffer with the frame in it (not yet in the graph), from the port on
         * the other side of {@code egress}: the container's frames leave by the uplink and the other way round.
         */
        final int copy(final byte[] frame, final int egress)
        {
            final int handle = pool.allocate();
            pool.clearVnetHeader(handle);
            pool.buffer().putBytes(pool.frameOffset(handle), frame);
            pool.frameLength(handle, frame.length);
            pool.inPort(handle, egress == UPLINK_PORT ? CONTAINER_PORT : UPLINK_PORT);
            return handle;
        }

        /** {@value #PACKETS} packets, in batches of {@code batch}, one expiry slice after each batch. */
        final int run()
        {
            for (int b = 0; b < PACKETS; b += batch)
            {
                for (int i = 0; i < batch; i++)
                {
                    next();
                }
                graph.run();
                if (microsPerBatch != 0)
                {
                    micros += microsPerBatch;
                    clock.update(START_MILLIS + micros / 1000);
                }
                table.doWork(clock.time());
            }
            return table.size();
        }

        abstract void next();

        final long out()
        {
            return containerPort.counters().get(PortCounters.TX_PACKETS) + uplinkPort.counters().get(PortCounters.TX_PACKETS);
        }

        String report()
        {
            final StringBuilder sb = new StringBuilder("injected " + injected + ", out " + out() + ", table " + table.size());
            for (final ConntrackCounter c : ConntrackCounter.values())
            {
                sb.append(", ").append(c).append('=').append(ctCounters.get(c));
            }
            for (final NatCounter c : NatCounter.values())
            {
                sb.append(", ").append(c).append('=').append(natCounters.get(c));
            }
            for (final DropReason r : DropReason.values())
            {
                if (drops.get(r) != 0)
                {
                    sb.append(", drop ").append(r).append('=').append(drops.get(r));
                }
            }
            return sb.toString();
        }

        /** The benchmark measured what it says: every packet came out, none leaked, nothing refused. */
        void verify()
        {
            if (out() != injected || pool.available() != pool.capacity()
                || ctCounters.get(ConntrackCounter.INVALID) != 0 || ctCounters.get(ConntrackCounter.REFUSED_FULL) != 0
                || ctCounters.get(ConntrackCounter.REFUSED_CLASH) != 0 || graph.drops().get(NatDrops.NAT_FAILED) != 0
                || natCounters.get(NatCounter.SNAT_NO_PORT) != 0 || natCounters.get(NatCounter.DNAT_CLASH) != 0)
            {
                throw new IllegalStateException("not a clean run: " + report() + ", pool " + pool.available() + "/" + pool.capacity());
            }
        }
    }

    static byte[] outbound(final int sourceIp, final int sourcePort, final int destinationIp, final int destinationPort, final int flags)
    {
        return Frames.tcpFrame(CONTAINER_MAC, GATEWAY_MAC, sourceIp, destinationIp, sourcePort, destinationPort, flags,
            flags == TcpFlyweight.SYN ? new byte[0] : DATA);
    }

    static byte[] inbound(final int sourceIp, final int sourcePort, final int destinationIp, final int destinationPort, final int flags)
    {
        return Frames.tcpFrame(LAN_GATEWAY_MAC, UPLINK_MAC, sourceIp, destinationIp, sourcePort, destinationPort, flags,
            (flags & TcpFlyweight.SYN) != 0 ? new byte[0] : DATA);
    }

    /** Established flows in rotation: frames[2i] one way, frames[2i+1] the other. */
    abstract static class EstablishedRig extends Rig
    {
        byte[][] frames;
        int[] egress;
        int next;

        @Override
        final void next()
        {
            inject(frames[next], egress[next]);
            next = next + 1 == frames.length ? 0 : next + 1;
        }

        void checkEstablished(final long k1Base, final int firstPort, final int destinationPort)
        {
            verify();
            if (table.size() != FLOWS)
            {
                throw new IllegalStateException(table.size() + " connections, expected " + FLOWS);
            }
            for (int i = 0; i < FLOWS; i++)
            {
                final int ref = table.lookup(k1Base, Tuples.key2(Ipv4Flyweight.PROTO_TCP, firstPort + i, destinationPort));
                if (ref < 0 || table.state(ConnectionTable.entry(ref)) != ConnState.ESTABLISHED)
                {
                    throw new IllegalStateException("flow " + i + " not established");
                }
            }
        }
    }

    @State(Scope.Thread)
    public static class SnatEstablishedRig extends EstablishedRig
    {
        @Param({"64", "256"})
        int batchSize;

        @Setup(Level.Trial)
        public void setup()
        {
            build(batchSize, 65536, new Timeouts(), 0);
            frames = new byte[2 * FLOWS][];
            egress = new int[2 * FLOWS];
            for (int i = 0; i < FLOWS; i++)
            {
                final int sport = 40000 + i;
                final int external = send(outbound(CONTAINER_IP, sport, SERVER_IP, 443, TcpFlyweight.SYN), UPLINK_PORT);
                send(inbound(SERVER_IP, 443, UPLINK_IP, external, TcpFlyweight.SYN | TcpFlyweight.ACK), CONTAINER_PORT);
                send(outbound(CONTAINER_IP, sport, SERVER_IP, 443, TcpFlyweight.ACK), UPLINK_PORT);
                frames[2 * i] = outbound(CONTAINER_IP, sport, SERVER_IP, 443, TcpFlyweight.ACK | TcpFlyweight.PSH);
                egress[2 * i] = UPLINK_PORT;
                frames[2 * i + 1] = inbound(SERVER_IP, 443, UPLINK_IP, external, TcpFlyweight.ACK | TcpFlyweight.PSH);
                egress[2 * i + 1] = CONTAINER_PORT;
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            checkEstablished(Tuples.key1(CONTAINER_IP, SERVER_IP), 40000, 443);
        }
    }

    @State(Scope.Thread)
    public static class DnatEstablishedRig extends EstablishedRig
    {
        @Param({"64", "256"})
        int batchSize;

        @Setup(Level.Trial)
        public void setup()
        {
            build(batchSize, 65536, new Timeouts(), 0);
            published.publish(UPLINK_IP, Ipv4Flyweight.PROTO_TCP, PUBLISHED_PORT, CONTAINER_IP, CONTAINER_SERVICE_PORT);
            frames = new byte[2 * FLOWS][];
            egress = new int[2 * FLOWS];
            for (int i = 0; i < FLOWS; i++)
            {
                final int cport = 50000 + i;
                send(inbound(CLIENT_IP, cport, UPLINK_IP, PUBLISHED_PORT, TcpFlyweight.SYN), CONTAINER_PORT);
                send(outbound(CONTAINER_IP, CONTAINER_SERVICE_PORT, CLIENT_IP, cport, TcpFlyweight.SYN | TcpFlyweight.ACK), UPLINK_PORT);
                send(inbound(CLIENT_IP, cport, UPLINK_IP, PUBLISHED_PORT, TcpFlyweight.ACK), CONTAINER_PORT);
                frames[2 * i] = inbound(CLIENT_IP, cport, UPLINK_IP, PUBLISHED_PORT, TcpFlyweight.ACK | TcpFlyweight.PSH);
                egress[2 * i] = CONTAINER_PORT;
                frames[2 * i + 1] = outbound(CONTAINER_IP, CONTAINER_SERVICE_PORT, CLIENT_IP, cport, TcpFlyweight.ACK | TcpFlyweight.PSH);
                egress[2 * i + 1] = UPLINK_PORT;
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            checkEstablished(Tuples.key1(CLIENT_IP, UPLINK_IP), 50000, PUBLISHED_PORT);
            if (natCounters.get(NatCounter.DNAT_CONNECTIONS) != FLOWS)
            {
                throw new IllegalStateException("DNAT connections " + natCounters.get(NatCounter.DNAT_CONNECTIONS));
            }
        }
    }

    /** A SYN template whose source port is rewritten per packet (checksum patched as RFC 1624 eq. 3). */
    abstract static class NewFlowRig extends Rig
    {
        static final int FIRST_PORT = 1024;
        static final int LAST_PORT = 65535;
        byte[] template;
        int templatePort;
        int templateChecksum;
        int egressPort;
        int port = FIRST_PORT;

        void buildNew(final int batch)
        {
            // SYN_SENT lives 1 s, the clock moves 10 ms per 256 packets: live connections ~ (1 s + up to 2 ticks of
            // 100 ms) / 10 ms * 256 = 25,600-30,720 whatever the batch; a source port comes round after 2.52 s
            build(batch, 65536, new Timeouts().tcp(ConnState.SYN_SENT, 1), 10_000);
        }

        void template(final byte[] frame, final int egress)
        {
            template = frame;
            egressPort = egress;
            templatePort = ((frame[L4] & 0xFF) << 8) | (frame[L4 + 1] & 0xFF);
            templateChecksum = ((frame[TCP_CHECKSUM] & 0xFF) << 8) | (frame[TCP_CHECKSUM + 1] & 0xFF);
        }

        @Override
        final void next()
        {
            final int handle = copy(template, egressPort);
            final UnsafeBuffer buffer = pool.buffer();
            final int frame = pool.frameOffset(handle);
            buffer.putShort(frame + L4, (short)port, ByteOrder.BIG_ENDIAN);
            buffer.putShort(frame + TCP_CHECKSUM, (short)replace(templateChecksum, templatePort, port), ByteOrder.BIG_ENDIAN);
            port = port == LAST_PORT ? FIRST_PORT : port + 1;
            graph.inject(handle); // last: a full input runs the first node at once
            injected++;
        }

        static int replace(final int checksum, final int old, final int now)
        {
            int sum = (~checksum & 0xFFFF) + (~old & 0xFFFF) + now;
            sum = (sum & 0xFFFF) + (sum >>> 16);
            sum = (sum & 0xFFFF) + (sum >>> 16);
            return ~sum & 0xFFFF;
        }

        void checkNew()
        {
            verify();
            if (ctCounters.get(ConntrackCounter.CREATED) != injected)
            {
                throw new IllegalStateException("not one new connection per packet: " + report());
            }
            if (table.size() > 40_000)
            {
                throw new IllegalStateException("expiry did not keep up: " + report());
            }
        }
    }

    @State(Scope.Thread)
    public static class SnatNewRig extends NewFlowRig
    {
        @Param({"64", "256"})
        int batchSize;

        @Setup(Level.Trial)
        public void setup()
        {
            buildNew(batchSize);
            template(outbound(CONTAINER_IP, 1, SERVER_IP, 443, TcpFlyweight.SYN), UPLINK_PORT);
        }

        @TearDown(Level.Trial)
        public void check()
        {
            checkNew();
            if (natCounters.get(NatCounter.SNAT_CONNECTIONS) != injected)
            {
                throw new IllegalStateException("not every packet masqueraded: " + report());
            }
        }
    }

    @State(Scope.Thread)
    public static class DnatNewRig extends NewFlowRig
    {
        @Param({"64", "256"})
        int batchSize;

        /** Ports published besides the measured one (20000, 20001, ...), as other containers would. */
        @Param({"0", "5000"})
        int otherPorts;

        @Setup(Level.Trial)
        public void setup()
        {
            buildNew(batchSize);
            for (int i = 0; i < otherPorts; i++)
            {
                published.publish(UPLINK_IP, Ipv4Flyweight.PROTO_TCP, 20000 + i, CONTAINER_IP + 1 + (i & 63), 20000 + i);
            }
            published.publish(UPLINK_IP, Ipv4Flyweight.PROTO_TCP, PUBLISHED_PORT, CONTAINER_IP, CONTAINER_SERVICE_PORT);
            template(inbound(CLIENT_IP, 1, UPLINK_IP, PUBLISHED_PORT, TcpFlyweight.SYN), CONTAINER_PORT);
        }

        @TearDown(Level.Trial)
        public void check()
        {
            checkNew();
            if (natCounters.get(NatCounter.DNAT_CONNECTIONS) != injected)
            {
                throw new IllegalStateException("not every packet DNATed: " + report());
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int establishedSnat(final SnatEstablishedRig rig)
    {
        return rig.run();
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int establishedDnat(final DnatEstablishedRig rig)
    {
        return rig.run();
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int newSnat(final SnatNewRig rig)
    {
        return rig.run();
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int newDnat(final DnatNewRig rig)
    {
        return rig.run();
    }
}
