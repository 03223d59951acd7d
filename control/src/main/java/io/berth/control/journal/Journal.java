package io.berth.control.journal;

import io.berth.control.event.Event;
import io.berth.control.event.Scope;
import io.berth.control.event.Store;

import java.util.function.Consumer;

/** The local store: this host's configuration events, in order. Used by the control thread only. */
public interface Journal extends Store
{
    @Override
    default Scope scope()
    {
        return Scope.LOCAL;
    }

    /** Appends durably enough that a restarted berthd sees it; throws when it could not be written. */
    void append(Event event);

    /** Delivers every event appended so far, oldest first. */
    void replay(Consumer<Event> consumer);

    @Override
    void close();
}
