package io.berth.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@link L2PipelineBenchmark} scenarios timed by the thread's CPU time as well as the wall clock: on a
 * machine shared with other work, frames per CPU-second is still "packets per second on one core", where JMH's
 * wall-clock score is not. Also prints bytes allocated per frame. Not a substitute for JMH on a quiet machine.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.berth.benchmarks.CpuTimeRun [rounds] [framesPerRound]
 * </pre>
 */
public final class CpuTimeRun
{
    private CpuTimeRun()
    {
    }

    public static void main(final String[] args)
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        final long framesPerRound = args.length > 1 ? Long.parseLong(args[1]) : 20_000_000L;
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        System.out.printf(Locale.ROOT, "%-13s %5s %14s %14s %12s%n", "scenario", "batch", "Mpps/cpu-core", "Mpps/wall", "B/frame");
        for (final String scenario : new String[] {"forward", "forwardMixed", "flood", "gatewayPing"})
        {
            for (final int batch : new int[] {64, 256})
            {
                final L2PipelineBenchmark.Rig rig = rig(scenario, batch);
                final long cyclesPerRound = framesPerRound / L2PipelineBenchmark.FRAMES;
                for (long i = 0; i < cyclesPerRound / 4; i++)
                {
                    rig.run(); // warm-up
                }
                final double[] perCpu = new double[rounds];
                double bestWall = 0;
                long allocated = 0;
                for (int r = 0; r < rounds; r++)
                {
                    final long allocBefore = threads.getThreadAllocatedBytes(self);
                    final long cpuBefore = threads.getCurrentThreadCpuTime();
                    final long wallBefore = System.nanoTime();
                    for (long i = 0; i < cyclesPerRound; i++)
                    {
                        rig.run();
                    }
                    final long wall = System.nanoTime() - wallBefore;
                    final long cpu = threads.getCurrentThreadCpuTime() - cpuBefore;
                    allocated += threads.getThreadAllocatedBytes(self) - allocBefore;
                    final double frames = cyclesPerRound * (double)L2PipelineBenchmark.FRAMES;
                    perCpu[r] = frames * 1e3 / cpu;
                    bestWall = Math.max(bestWall, frames * 1e3 / wall);
                }
                Arrays.sort(perCpu);
                System.out.printf(Locale.ROOT, "%-13s %5d %14.2f %14.2f %12.5f%n", scenario, batch, perCpu[rounds / 2], bestWall,
                    allocated / (double)(rounds * cyclesPerRound * L2PipelineBenchmark.FRAMES));
                check(rig);
            }
        }
    }

    private static L2PipelineBenchmark.Rig rig(final String scenario, final int batch)
    {
        switch (scenario)
        {
            case "forward":
            {
                final L2PipelineBenchmark.ForwardRig rig = new L2PipelineBenchmark.ForwardRig();
                rig.batch = batch;
                rig.setup();
                return rig;
            }
            case "forwardMixed":
            {
                final L2PipelineBenchmark.MixedRig rig = new L2PipelineBenchmark.MixedRig();
                rig.batch = batch;
                rig.setup();
                return rig;
            }
            case "flood":
            {
                final L2PipelineBenchmark.FloodRig rig = new L2PipelineBenchmark.FloodRig();
                rig.batch = batch;
                rig.setup();
                return rig;
            }
            default:
            {
                final L2PipelineBenchmark.PingRig rig = new L2PipelineBenchmark.PingRig();
                rig.batch = batch;
                rig.setup();
                return rig;
            }
        }
    }

    private static void check(final L2PipelineBenchmark.Rig rig)
    {
        if (rig instanceof L2PipelineBenchmark.ForwardRig)
        {
            ((L2PipelineBenchmark.ForwardRig)rig).check();
        }
        else if (rig instanceof L2PipelineBenchmark.MixedRig)
        {
            ((L2PipelineBenchmark.MixedRig)rig).check();
        }
        else if (rig instanceof L2PipelineBenchmark.FloodRig)
        {
            ((L2PipelineBenchmark.FloodRig)rig).check();
        }
        else
        {
            ((L2PipelineBenchmark.PingRig)rig).check();
        }
    }
}
