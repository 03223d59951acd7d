package io.berth.dataplane;

/**
 * Tells the worker which ports have frames waiting, and blocks while none have. Owned by the worker thread,
 * except {@link #wakeup()}, which any thread may call.
 */
public interface Poller extends AutoCloseable
{
    /** Called for each port with frames waiting. */
    @FunctionalInterface
    interface ReadyHandler
    {
        void onReady(Port port);
    }

    void register(Port port);

    void unregister(Port port);

    /**
     * Calls {@code handler} for ready ports, waiting up to {@code timeoutMs} (0: do not wait) when none are.
     *
     * @return how many ports were reported.
     */
    int poll(int timeoutMs, ReadyHandler handler);

    /** Makes a blocked or the next {@link #poll} return at once. Any thread. */
    void wakeup();

    @Override
    void close();
}
