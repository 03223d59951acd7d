package io.berth.dataplane;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A worker's duty cycle between polling and blocking, shared by {@link DataplaneWorker} and {@link PortWorker}:
 * after its last work a worker polls without blocking for the {@link SpinWindow} (yielding to a runnable sender
 * or receiver on its CPU when a cycle found nothing), then blocks in the poller up to the idle timeout; the time
 * blocked and whether traffic woke it adapt the window. Counts cycles and time blocked. Owned by the worker's
 * thread; the figures are read by any thread.
 */
final class DutyCycle
{
    private final Poller poller;
    private final Poller.ReadyHandler onReady;
    private final int idleTimeoutMs;
    private final SpinWindow spin;
    /** Whether the cycle's polls read anything: a block that ends with traffic widens the window. */
    private final BooleanSupplier received;
    private long lastWorkNanos;
    private final AtomicLong cycles = new AtomicLong();
    private final AtomicLong blockedNanos = new AtomicLong();

    /**
     * @param spinMicros {@link DataplaneWorker#ADAPTIVE_SPIN}, or a fixed window in microseconds.
     * @param received   made once by the worker: true when this cycle's polls read anything.
     */
    DutyCycle(final Poller poller, final Poller.ReadyHandler onReady, final int idleTimeoutMs, final long spinMicros,
        final BooleanSupplier received)
    {
        this.poller = poller;
        this.onReady = onReady;
        this.idleTimeoutMs = idleTimeoutMs;
        this.spin = spinMicros == DataplaneWorker.ADAPTIVE_SPIN ? SpinWindow.adaptive(idleTimeoutMs) :
            SpinWindow.fixed(spinMicros * 1000);
        this.received = received;
    }

    /** At the top of a cycle, with what it did so far: whether it is still inside the spin window. */
    boolean spinning(final int workSoFar)
    {
        final long nowNanos = System.nanoTime();
        if (workSoFar > 0)
        {
            lastWorkNanos = nowNanos;
        }
        return nowNanos - lastWorkNanos <= spin.nanos();
    }

    /**
     * Polls without blocking; with nothing done this cycle, yields first: it keeps the CPU out of idle (no
     * wake-up interrupt for the next packet) but lets a runnable sender or receiver on this CPU go first, since
     * on 2 cores a pure spin starves the very traffic it waits for.
     */
    void spin(final int workSoFar)
    {
        if (workSoFar == 0)
        {
            Thread.yield();
        }
        poller.poll(0, onReady);
    }

    /** Polls without blocking or yielding (something was handed over as the worker went to block). */
    void pollNow()
    {
        poller.poll(0, onReady);
    }

    /** Blocks in the poller up to the idle timeout; the time blocked, and whether traffic ended it, adapt the window. */
    void block()
    {
        final long blockedFrom = System.nanoTime();
        poller.poll(idleTimeoutMs, onReady);
        final long blocked = System.nanoTime() - blockedFrom;
        blockedNanos.lazySet(blockedNanos.get() + blocked); // single writer
        spin.afterBlocking(blocked, received.getAsBoolean());
    }

    /** At the end of a cycle, with all it did. */
    void done(final int work)
    {
        if (work > 0)
        {
            lastWorkNanos = System.nanoTime();
        }
        cycles.lazySet(cycles.get() + 1);
    }

    /** Duty cycles run so far. Any thread. */
    long cycles()
    {
        return cycles.get();
    }

    /** Nanoseconds spent blocked in the poller waiting for traffic: the worker's idle time. Any thread. */
    long blockedNanos()
    {
        return blockedNanos.get();
    }

    /** The spin window now, in nanoseconds. Any thread (a racy read of a long the worker writes). */
    long spinWindowNanos()
    {
        return spin.nanos();
    }
}
