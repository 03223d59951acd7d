package io.berth.control.journal;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The journal in a Chronicle Queue directory: each event is one excerpt holding the event's JSON text
 * ({@link JournalCodec}) in a field named "event". The default (daily) roll cycle: a tailer did not find excerpts
 * written under {@code RollCycles.WEEKLY} in chronicle-queue 5.25ea17. Created, written, read and closed on the
 * control thread (Chronicle appenders are single-threaded).
 */
public final class ChronicleJournal implements Journal
{
    private static final String FIELD = "event";

    private final ChronicleQueue queue;
    private final ExcerptAppender appender;

    public ChronicleJournal(final Path directory)
    {
        this.queue = SingleChronicleQueueBuilder.single(directory.toFile()).build();
        this.appender = queue.acquireAppender();
    }

    @Override
    public void append(final Event event)
    {
        try (DocumentContext document = appender.writingDocument())
        {
            document.wire().write(FIELD).text(JournalCodec.encode(event, Instant.now()));
        }
    }

    @Override
    public void replay(final Consumer<Event> consumer)
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            while (true)
            {
                final String text;
                try (DocumentContext document = tailer.readingDocument())
                {
                    if (!document.isPresent())
                    {
                        return;
                    }
                    text = document.wire().read(FIELD).text();
                }
                consumer.accept(JournalCodec.decode(text));
            }
        }
    }

    @Override
    public void close()
    {
        appender.close();
        queue.close();
    }
}
