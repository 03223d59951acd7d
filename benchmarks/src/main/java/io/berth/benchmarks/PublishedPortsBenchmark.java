package io.berth.benchmarks;

import io.berth.dataplane.Frames;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.nat.PublishedPorts;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The published-port lookup DNAT does once per new connection ({@link PublishedPorts#lookup}), with 1 or 5,001
 * ports published on the uplink address (12211 and 20000..24999). ops/s = lookups/s.
 * <ul>
 * <li>{@code hitRotating}: the published ports in turn (with 1 port published: 12211 every time). (A loop
 * looking up one constant port measures nothing: the JIT hoists the lookup out of the loop.)</li>
 * <li>{@code miss}: a port nobody published (exact lookup, then the wildcard one).</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PublishedPortsBenchmark
{
    static final int OPS = 256;
    static final int HOST = Frames.ip("10.99.0.1");
    static final int CONTAINER = Frames.ip("172.17.0.2");

    @State(Scope.Thread)
    public static class Ports
    {
        @Param({"1", "5001"})
        int published;

        PublishedPorts ports;
        int[] hostPorts;
        int next;

        @Setup(Level.Trial)
        public void setup()
        {
            ports = new PublishedPorts();
            hostPorts = new int[published];
            hostPorts[0] = 12211;
            for (int i = 1; i < published; i++)
            {
                hostPorts[i] = 20000 + i - 1;
            }
            for (int i = 0; i < published; i++)
            {
                if (!ports.publish(HOST, Ipv4Flyweight.PROTO_TCP, hostPorts[i], CONTAINER + (i & 63), 8000 + (i & 1023)))
                {
                    throw new IllegalStateException("publish " + hostPorts[i]);
                }
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long hitRotating(final Ports p)
    {
        long sum = 0;
        int n = p.next;
        final int[] hostPorts = p.hostPorts;
        for (int i = 0; i < OPS; i++)
        {
            sum += p.ports.lookup(HOST, Ipv4Flyweight.PROTO_TCP, hostPorts[n]);
            n = n + 1 == hostPorts.length ? 0 : n + 1;
        }
        p.next = n;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long miss(final Ports p)
    {
        long sum = 0;
        for (int i = 0; i < OPS; i++)
        {
            sum += p.ports.lookup(HOST, Ipv4Flyweight.PROTO_TCP, 30000 + (i & 255));
        }
        return sum;
    }
}
