package io.berth.control.journal;

import io.berth.control.event.Event;
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

    private final Path directory;
    private final ChronicleQueue queue;
    private final ExcerptAppender appender;

    public ChronicleJournal(final Path directory)
    {
        this.directory = directory;
        this.queue = SingleChronicleQueueBuilder.single(directory.toFile()).build();
        this.appender = queue.acquireAppender();
    }

    @Override
    public void append(final Event event)
    {
        appendText(JournalCodec.encode(event, Instant.now()));
    }

    /** Appends one record's text as it is; returns the index Chronicle gave it. */
    public long appendText(final String text)
    {
        try (DocumentContext document = appender.writingDocument())
        {
            document.wire().write(FIELD).text(text);
        }
        return appender.lastIndexAppended();
    }

    /** One stored record: its Chronicle index and its text, or null text when it could not be read at all. */
    public interface RecordVisitor
    {
        void record(long index, String text, RuntimeException unreadable);
    }

    /**
     * Visits every record as stored, decoding nothing: what the integrity check and {@code --repair} read. A
     * record whose excerpt cannot be read is passed with its error and the walk goes on where Chronicle can.
     */
    public void visit(final RecordVisitor visitor)
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            while (true)
            {
                final long index = tailer.index();
                String text = null;
                RuntimeException error = null;
                try (DocumentContext document = tailer.readingDocument())
                {
                    if (!document.isPresent())
                    {
                        return;
                    }
                    try
                    {
                        text = document.wire().read(FIELD).text();
                    }
                    catch (final RuntimeException ex)
                    {
                        error = ex;
                    }
                }
                visitor.record(index, text, error);
            }
        }
    }

    /** Where the queue's files are. */
    public Path directory()
    {
        return directory;
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
