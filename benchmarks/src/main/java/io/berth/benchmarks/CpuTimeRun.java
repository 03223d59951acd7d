package io.berth.benchmarks;

import com.sun.management.ThreadMXBean;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The {@link L2PipelineBenchmark} and {@link NatPipelineBenchmark} scenarios timed by the thread's CPU time as
 * well as the wall clock: on a machine shared with other work, packets per CPU-second is still "packets per
 * second on one core", where JMH's wall-clock score is not. Also prints bytes allocated per packet. Not a
 * substitute for JMH on a quiet machine.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.berth.benchmarks.CpuTimeRun [rounds] [packetsPerRound] [l2|nat|all]
 * </pre>
 * Default: 5 rounds of 20 M packets, every scenario ({@code all}).
 */
public final class CpuTimeRun
{
    /** One rig: a name, how to build it, one invocation (256 packets) and the end-of-run check. */
    private static final class Scenario
    {
        final String name;
        final String variant;
        final IntSupplier run;
        final Runnable check;

        Scenario(final String name, final String variant, final IntSupplier run, final Runnable check)
        {
            this.name = name;
            this.variant = variant;
            this.run = run;
            this.check = check;
        }
    }

    private CpuTimeRun()
    {
    }

    public static void main(final String[] args)
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        final long packetsPerRound = args.length > 1 ? Long.parseLong(args[1]) : 20_000_000L;
        final String group = args.length > 2 ? args[2] : "all";
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        System.out.printf(Locale.ROOT, "%-16s %-20s %14s %14s %12s%n", "scenario", "params", "Mpps/cpu-core", "Mpps/wall", "B/packet");
        for (final Scenario s : scenarios(group))
        {
            // every rig runs 256 packets per invocation (L2PipelineBenchmark.FRAMES, NatPipelineBenchmark.PACKETS)
            final long invocationsPerRound = packetsPerRound / 256;
            for (long i = 0; i < invocationsPerRound / 4; i++)
            {
                s.run.getAsInt(); // warm-up
            }
            final double[] perCpu = new double[rounds];
            double bestWall = 0;
            long allocated = 0;
            for (int r = 0; r < rounds; r++)
            {
                final long allocBefore = threads.getThreadAllocatedBytes(self);
                final long cpuBefore = threads.getCurrentThreadCpuTime();
                final long wallBefore = System.nanoTime();
                for (long i = 0; i < invocationsPerRound; i++)
                {
                    s.run.getAsInt();
                }
                final long wall = System.nanoTime() - wallBefore;
                final long cpu = threads.getCurrentThreadCpuTime() - cpuBefore;
                allocated += threads.getThreadAllocatedBytes(self) - allocBefore;
                final double packets = invocationsPerRound * 256.0;
                perCpu[r] = packets * 1e3 / cpu;
                bestWall = Math.max(bestWall, packets * 1e3 / wall);
            }
            Arrays.sort(perCpu);
            System.out.printf(Locale.ROOT, "%-16s %-20s %14.2f %14.2f %12.5f%n", s.name, s.variant, perCpu[rounds / 2], bestWall,
                allocated / (double)(rounds * invocationsPerRound * 256));
            s.check.run();
        }
    }

    private static List<Scenario> scenarios(final String group)
    {
        final List<Scenario> list = new ArrayList<>();
        final boolean l2 = group.equals("all") || group.equals("l2");
        final boolean nat = group.equals("all") || group.equals("nat");
        if (!l2 && !nat)
        {
            throw new IllegalArgumentException("group must be l2, nat or all, got " + group);
        }
        for (final int batch : new int[] {64, 256})
        {
            if (!l2)
            {
                break;
            }
            final L2PipelineBenchmark.ForwardRig forward = new L2PipelineBenchmark.ForwardRig();
            forward.batch = batch;
            forward.setup();
            list.add(new Scenario("forward", "batch=" + batch, forward::run, forward::check));
            final L2PipelineBenchmark.MixedRig mixed = new L2PipelineBenchmark.MixedRig();
            mixed.batch = batch;
            mixed.setup();
            list.add(new Scenario("forwardMixed", "batch=" + batch, mixed::run, mixed::check));
            final L2PipelineBenchmark.FloodRig flood = new L2PipelineBenchmark.FloodRig();
            flood.batch = batch;
            flood.setup();
            list.add(new Scenario("flood", "batch=" + batch, flood::run, flood::check));
            final L2PipelineBenchmark.PingRig ping = new L2PipelineBenchmark.PingRig();
            ping.batch = batch;
            ping.setup();
            list.add(new Scenario("gatewayPing", "batch=" + batch, ping::run, ping::check));
        }
        for (final int batch : new int[] {64, 256})
        {
            if (!nat)
            {
                break;
            }
            final NatPipelineBenchmark.SnatEstablishedRig snat = new NatPipelineBenchmark.SnatEstablishedRig();
            snat.batchSize = batch;
            snat.setup();
            list.add(new Scenario("establishedSnat", "batch=" + batch, snat::run, snat::check));
            final NatPipelineBenchmark.DnatEstablishedRig dnat = new NatPipelineBenchmark.DnatEstablishedRig();
            dnat.batchSize = batch;
            dnat.setup();
            list.add(new Scenario("establishedDnat", "batch=" + batch, dnat::run, dnat::check));
            final NatPipelineBenchmark.SnatNewRig newSnat = new NatPipelineBenchmark.SnatNewRig();
            newSnat.batchSize = batch;
            newSnat.setup();
            list.add(new Scenario("newSnat", "batch=" + batch, newSnat::run, newSnat::check));
            for (final int other : new int[] {0, 5000})
            {
                final NatPipelineBenchmark.DnatNewRig newDnat = new NatPipelineBenchmark.DnatNewRig();
                newDnat.batchSize = batch;
                newDnat.otherPorts = other;
                newDnat.setup();
                list.add(new Scenario("newDnat", "batch=" + batch + ",other=" + other, newDnat::run, newDnat::check));
            }
        }
        return list;
    }
}
