package io.berth.control.fuzz;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short form of the fuzz run (benchmarks' FuzzRun pushes 10^7): random and mutated frames through the
 * production graph on every port kind; nothing may escape a node, every frame must be accounted for with a
 * reason its node declared, and the pool must be full again.
 */
class FuzzTest
{
    private static final long FRAMES = 400_000;

    @Test
    void randomAndMutatedFramesAreForwardedOrDroppedWithAReasonAndNothingLeaks()
    {
        for (final long seed : new long[] {1, 0x5EED_BE27L})
        {
            final FuzzHarness.Result result = new FuzzHarness(seed).run(FRAMES);
            final String report = "seed " + seed + ": " + result;
            assertEquals(FRAMES, result.received(), report);
            assertEquals(0, result.exceptions(), "no node threw: " + report);
            assertEquals(0, result.undeclaredDrops(), "every drop has a reason its node declared: " + report);
            assertTrue(result.accounted(), "received + made inside = sent + dropped + delivered + merged: " + report);
            assertEquals(result.poolCapacity(), result.poolAvailable(), "the pool is full again: " + report);
            assertEquals(0, result.doubleReleases(), report);
            assertTrue(result.transmitted() > FRAMES / 50, "a fair share still goes through: " + report);
            assertTrue(result.drops().size() > 15, "many different reasons were hit: " + report);
            result.nodePackets().forEach((node, packets) -> assertTrue(packets > 0, node + " was reached: " + report));
        }
    }
}
