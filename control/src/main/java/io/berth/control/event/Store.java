package io.berth.control.event;


import java.util.function.Consumer;

/**
 * Where configuration events are kept, per scope: the local journal for this host's networks and containers, a
 * distributed store (etcd, for global networks) beside it. Callers append and replay events; they do not know
 * which store they talk to. Control thread.
 */
public interface Store extends AutoCloseable
{
    Scope scope();

    /** Appends durably enough that a restarted berthd sees it; throws when it could not be written. */
    void append(Event event);

    /**
     * Appends, and returns the event as it is now kept: a global store fills in what only it can decide (an
     * overlay's VNI, unique across the store). What the caller applies to its state.
     */
    default Event commit(final Event event)
    {
        append(event);
        return event;
    }

    /** Delivers every event appended so far, oldest first. */
    void replay(Consumer<Event> consumer);

    @Override
    void close();
}
