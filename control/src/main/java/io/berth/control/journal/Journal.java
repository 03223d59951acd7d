package io.berth.control.journal;

import java.util.function.Consumer;

/** Where configuration events are kept. Used by the control thread only. */
public interface Journal extends AutoCloseable
{
    /** Appends durably enough that a restarted berthd sees it; throws when it could not be written. */
    void append(Event event);

    /** Delivers every event appended so far, oldest first. */
    void replay(Consumer<Event> consumer);

    @Override
    void close();
}
