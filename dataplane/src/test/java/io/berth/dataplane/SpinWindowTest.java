package io.berth.dataplane;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SpinWindowTest
{
    private static final int TIMEOUT_MS = 100;

    @Test
    void trafficAfterSleepingStretchesTheWindowOverTheGapUpToItsCeiling()
    {
        final SpinWindow window = SpinWindow.adaptive(TIMEOUT_MS);
        assertEquals(SpinWindow.MIN_NANOS, window.nanos());
        // a ping every 3 ms: the first one after the worker went to sleep shows the gap
        window.afterBlocking(3_000_000 - SpinWindow.MIN_NANOS, true);
        assertEquals(6_000_000, window.nanos(), "twice the 3 ms gap");
        // caught while spinning from now on: the worker does not block, and the window stays
        // traffic long after it went to sleep (an interactive user's pings) does not grow it
        window.afterBlocking(60_000_000, true);
        assertEquals(6_000_000, window.nanos());
        // a 7 ms gap would need 14 ms: capped
        window.afterBlocking(1_000_000, true);
        assertEquals(SpinWindow.MAX_NANOS, window.nanos());
    }

    @Test
    void timeoutsWithoutTrafficHalveItBackToItsFloor()
    {
        final SpinWindow window = SpinWindow.adaptive(TIMEOUT_MS);
        window.afterBlocking(5_000_000, true);
        window.afterBlocking(3_000_000, false); // woken by a command: no verdict
        assertEquals(SpinWindow.MAX_NANOS, window.nanos());
        window.afterBlocking(TIMEOUT_MS * 1_000_000L, false);
        assertEquals(SpinWindow.MAX_NANOS / 2, window.nanos());
        for (int i = 0; i < 20; i++)
        {
            window.afterBlocking(TIMEOUT_MS * 1_000_000L, false);
        }
        assertEquals(SpinWindow.MIN_NANOS, window.nanos(), "an idle worker is back at the floor within ~1 s");
    }

    @Test
    void aFixedWindowNeverMoves()
    {
        final SpinWindow window = SpinWindow.fixed(10_000);
        window.afterBlocking(1, true);
        window.afterBlocking(TIMEOUT_MS * 1_000_000L, false);
        assertEquals(10_000, window.nanos());
        assertEquals(0, SpinWindow.fixed(0).nanos());
    }
}
