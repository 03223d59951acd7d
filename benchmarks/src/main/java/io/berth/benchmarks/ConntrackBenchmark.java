package io.berth.benchmarks;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounters;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.Frames;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
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
 * The conntrack table alone ({@link ConnectionTable}, the default 100 ms / 4096-bucket wheel), holding
 * {@code entries} TCP connections in a table whose limit is 262,144 (berthd's default), so the index has
 * 1,048,576 slots. Each invocation does {@value #OPS} operations on consecutive tuples; ops/s = operations/s.
 * <ul>
 * <li>{@code lookupHit}: the tuple of a live connection, alternately its original and its reply tuple.</li>
 * <li>{@code lookupMiss}: a tuple of no connection.</li>
 * <li>{@code insertRemove}: one new connection created (both keys indexed, timer filed) and the oldest one
 * removed, so the table stays at {@code entries}: the cost of a connection's life in the table, less its
 * packets.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConntrackBenchmark
{
    static final int OPS = 256;
    static final int LIMIT = 262_144;
    static final int CLIENT = Frames.ip("172.17.0.2");
    static final int SERVER = Frames.ip("93.184.216.34");

    @State(Scope.Thread)
    public static class Table
    {
        @Param({"1024", "65536"})
        int entries;

        ConnectionTable table;
        long[] k1;
        long[] k2;
        int[] entry;
        int next;
        int oldest;
        long serial;
        final long now = 1_000_000_000L;

        @Setup(Level.Trial)
        public void setup()
        {
            table = new ConnectionTable(LIMIT, new ConntrackCounters());
            k1 = new long[entries * 2];
            k2 = new long[entries * 2];
            entry = new int[entries];
            for (int i = 0; i < entries; i++)
            {
                final long a = key1(i);
                final long b = key2(i);
                entry[i] = table.create(a, b, ConnState.ESTABLISHED, ConnectionFlags.F_ASSURED, now + 7_200_000, now);
                k1[2 * i] = a;
                k2[2 * i] = b;
                k1[2 * i + 1] = Tuples.invert1(a);
                k2[2 * i + 1] = Tuples.invert2(b);
            }
            serial = entries;
        }

        /** Connection i: 16 containers x 4096 source ports (and more beyond) to one server port. */
        static long key1(final long i)
        {
            return Tuples.key1(CLIENT + (int)(i & 15), SERVER + (int)(i >>> 16));
        }

        static long key2(final long i)
        {
            return Tuples.key2(Ipv4Flyweight.PROTO_TCP, 1024 + (int)((i >>> 4) & 0xFFF), 443);
        }

        @TearDown(Level.Trial)
        public void check()
        {
            if (table.size() != entries)
            {
                throw new IllegalStateException(table.size() + " entries, expected " + entries);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int lookupHit(final Table t)
    {
        int sum = 0;
        int n = t.next;
        final int mask = t.k1.length;
        for (int i = 0; i < OPS; i++)
        {
            sum += t.table.lookup(t.k1[n], t.k2[n]);
            n = n + 1 == mask ? 0 : n + 1;
        }
        t.next = n;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int lookupMiss(final Table t)
    {
        int sum = 0;
        int n = t.next;
        final int length = t.k1.length;
        for (int i = 0; i < OPS; i++)
        {
            sum += t.table.lookup(t.k1[n] + 0x10000L, t.k2[n]); // another server address: nobody's tuple
            n = n + 1 == length ? 0 : n + 1;
        }
        t.next = n;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int insertRemove(final Table t)
    {
        final ConnectionTable table = t.table;
        int last = 0;
        for (int i = 0; i < OPS; i++)
        {
            final long s = t.serial++;
            table.remove(t.entry[t.oldest]);
            last = table.create(Table.key1(s), Table.key2(s), ConnState.SYN_SENT, 0, t.now + 60_000, t.now);
            if (last < 0)
            {
                throw new IllegalStateException("create refused: " + last);
            }
            t.entry[t.oldest] = last;
            t.oldest = t.oldest + 1 == t.entry.length ? 0 : t.oldest + 1;
        }
        return last;
    }
}
