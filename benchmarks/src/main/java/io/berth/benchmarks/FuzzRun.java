package io.berth.benchmarks;

import io.berth.control.fuzz.FuzzHarness;

/**
 * The long fuzz run: 10^7 random and mutated frames (or argv[0]) through berthd's production graph on every port
 * kind, with the checks of the unit test (no node threw, every frame sent, dropped with a declared reason or
 * delivered, the pool full again), and the figures for docs/performance.md. Exits 1 when a check fails.
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.berth.benchmarks.FuzzRun [frames] [seed]
 * </pre>
 */
public final class FuzzRun
{
    private FuzzRun()
    {
    }

    public static void main(final String[] args)
    {
        final long frames = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        final long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
        final FuzzHarness.Result result = new FuzzHarness(seed).run(frames);
        System.out.printf("frames %d  seed %d  %.2f s  %.2f Mframes/s%n", frames, seed, result.nanos() / 1e9,
            result.framesPerSecond() / 1e6);
        System.out.printf("received %d  transmitted %d  dropped %d  delivered %d%n", result.received(),
            result.transmitted(), result.dropped(), result.delivered());
        System.out.printf("exceptions %d  undeclared drops %d  double releases %d  pool %d/%d%n", result.exceptions(),
            result.undeclaredDrops(), result.doubleReleases(), result.poolAvailable(), result.poolCapacity());
        System.out.println("drops by reason: " + result.drops());
        System.out.println("packets per node: " + result.nodePackets());
        final boolean ok = result.received() == frames && result.exceptions() == 0 && result.undeclaredDrops() == 0
            && result.accounted() && result.poolAvailable() == result.poolCapacity() && result.doubleReleases() == 0;
        System.out.println(ok ? "OK" : "FAILED");
        if (!ok)
        {
            System.exit(1);
        }
    }
}
