package io.berth.benchmarks;

import io.berth.l2.MacTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * The MAC table alone: {@value #KEYS} operations per invocation over Docker-style sequential MACs spread over
 * 64 ports, in a 65536-slot table holding {@code entries} of them. Scores are operations per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MacTableBenchmark
{
    static final int KEYS = 1024;
    static final long BASE_MAC = 0x0242_ac11_0000L;

    @Param({"1024", "16384"})
    int entries;

    private MacTable table;
    private long[] known;
    private long[] unknown;
    private int[] ports;
    private int cursor;

    @Setup
    public void setup()
    {
        table = new MacTable(1 << 16, entries, 4096, 16);
        known = new long[entries];
        ports = new int[entries];
        unknown = new long[entries];
        for (int i = 0; i < entries; i++)
        {
            known[i] = BASE_MAC + i;
            ports[i] = i % 64;
            unknown[i] = BASE_MAC + 0x0100_0000L + i;
            if (table.learn(0, known[i], ports[i], 0) != MacTable.NO_PORT)
            {
                throw new IllegalStateException("could not learn " + i);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int lookupHit()
    {
        final int mask = entries - 1;
        int sum = 0;
        final int start = cursor;
        for (int i = 0; i < KEYS; i++)
        {
            sum += table.lookup(0, known[(start + i) & mask]);
        }
        cursor = (start + KEYS) & mask;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int lookupMiss()
    {
        final int mask = entries - 1;
        int sum = 0;
        final int start = cursor;
        for (int i = 0; i < KEYS; i++)
        {
            sum += table.lookup(0, unknown[(start + i) & mask]);
        }
        cursor = (start + KEYS) & mask;
        return sum;
    }

    /** The common case on the packet path: a known source seen again on its port in the same second. */
    @Benchmark
    @OperationsPerInvocation(KEYS)
    public int learnRefresh()
    {
        final int mask = entries - 1;
        int sum = 0;
        final int start = cursor;
        for (int i = 0; i < KEYS; i++)
        {
            final int k = (start + i) & mask;
            sum += table.learn(0, known[k], ports[k], 0);
        }
        cursor = (start + KEYS) & mask;
        return sum;
    }
}
