package io.berth.control.state;

import io.berth.control.event.Event;
import io.berth.control.journal.Journal;
import io.berth.control.journal.JournalCodec;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A journal in a list, through the real codec so what is written must also read back. */
final class MemoryJournal implements Journal
{
    final List<String> entries = new ArrayList<>();

    @Override
    public void append(final Event event)
    {
        entries.add(JournalCodec.encode(event, Instant.EPOCH));
    }

    @Override
    public void replay(final Consumer<Event> consumer)
    {
        entries.forEach(text -> consumer.accept(JournalCodec.decode(text)));
    }

    @Override
    public void close()
    {
    }

    /**
     * Events that change the state: a run that failed after it acted leaves its intent and the matching
     * abandonment in the journal (what was tried, and that it was taken back), but changes nothing else.
     */
    long stateChanges()
    {
        return entries.stream().map(JournalCodec::decode)
            .filter(e -> !(e instanceof Event.ContainerIntent)
                && !(e instanceof Event.ContainerAbandoned)).count();
    }
}
