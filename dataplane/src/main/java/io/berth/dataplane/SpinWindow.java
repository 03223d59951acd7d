package io.berth.dataplane;

/**
 * How long the worker polls on after its last work before it blocks in the poller. Fixed ({@code --spin-us N}),
 * or adaptive, berthd's default: when traffic wakes a blocked worker, the gap since its last work (the window it
 * spun plus the time it slept) is what a window would have had to cover to catch that packet without a wake-up,
 * so the window grows to twice that gap, up to {@link #MAX_NANOS}; every poll that times out without traffic
 * halves it. Request/response traffic (ping, RPC) thus gets a window over the gaps between its packets, and an
 * idle berthd is back at the smallest window, blocking in epoll, within about a second. Owned by the worker
 * thread; {@link #nanos()} may be read anywhere.
 */
final class SpinWindow
{
    /** The adaptive window's floor: a burst's next frame is usually this close. */
    static final long MIN_NANOS = 50_000;
    /**
     * Its ceiling. Polling costs a core while it lasts (yielding to runnable threads), so the window may grow to
     * cover gaps of a few milliseconds, not the seconds between the pings of an interactive user.
     */
    static final long MAX_NANOS = 10_000_000;

    private final boolean adaptive;
    private final long timeoutNanos;
    private volatile long nanos;

    private SpinWindow(final boolean adaptive, final long nanos, final long timeoutNanos)
    {
        this.adaptive = adaptive;
        this.nanos = nanos;
        this.timeoutNanos = timeoutNanos;
    }

    static SpinWindow fixed(final long nanos)
    {
        return new SpinWindow(false, nanos, 0);
    }

    /** @param idleTimeoutMs the worker's poll timeout: a block this long found no traffic. */
    static SpinWindow adaptive(final int idleTimeoutMs)
    {
        return new SpinWindow(true, MIN_NANOS, idleTimeoutMs * 1_000_000L);
    }

    long nanos()
    {
        return nanos;
    }

    /**
     * Worker thread, after each block in the poller.
     *
     * @param blockedNanos how long it blocked.
     * @param traffic      whether the wake-up brought frames (not just a command or the timeout).
     */
    void afterBlocking(final long blockedNanos, final boolean traffic)
    {
        if (!adaptive)
        {
            return;
        }
        final long window = nanos;
        final long gap = window + blockedNanos;
        if (traffic && gap <= MAX_NANOS)
        {
            nanos = Math.min(Math.max(window, 2 * gap), MAX_NANOS);
        }
        else if (!traffic && blockedNanos >= timeoutNanos - timeoutNanos / 10)
        {
            nanos = Math.max(window / 2, MIN_NANOS);
        }
    }
}
