package io.berth.control.state;

import io.berth.control.journal.Event;
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
}
