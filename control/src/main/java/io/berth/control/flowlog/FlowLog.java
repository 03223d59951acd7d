package io.berth.control.flowlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.Json;
import io.berth.control.service.EndpointEvent;
import io.berth.control.service.EndpointService;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The flow log: a thread ("berth-flow-log") drains the worker's flow ring every 50 ms, names each flow's container
 * and appends it as JSON to a Chronicle Queue under {@code STATE/flows}; cycle files (five minutes each) whose
 * last record is older than the retention are deleted. Readers ({@link #read}) tail the queue on their own
 * thread. It also follows endpoints (an {@link EndpointService}) to know which container an address is; an
 * address keeps its name after the container leaves, so the ends of its last connections still say whose they
 * were. Thread-safe as described; the appender belongs to the drain thread.
 */
public final class FlowLog implements EndpointService, AutoCloseable
{
    public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
    private static final String FIELD = "flow";
    private static final System.Logger LOG = System.getLogger("io.berth.control.flowlog");

    private final ChronicleQueue queue;
    private final File directory;
    private final RingBuffer ring;
    private final LongSupplier ringLost;
    private final Duration retention;
    private final Map<Integer, String> containers = new ConcurrentHashMap<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong deletedFiles = new AtomicLong();
    private final Thread drainer;
    private volatile boolean running = true;

    /**
     * @param ring     the worker's flow ring ({@code FlowRecorder}).
     * @param ringLost records the full ring lost.
     */
    public FlowLog(final Path directory, final RingBuffer ring, final LongSupplier ringLost, final Duration retention)
    {
        this(directory, ring, ringLost, retention, RollCycles.FIVE_MINUTELY);
    }

    FlowLog(final Path directory, final RingBuffer ring, final LongSupplier ringLost, final Duration retention,
        final RollCycle rollCycle)
    {
        this.directory = directory.toFile();
        this.queue = SingleChronicleQueueBuilder.single(this.directory).rollCycle(rollCycle).build();
        this.ring = ring;
        this.ringLost = ringLost;
        this.retention = retention;
        this.drainer = new Thread(this::drainLoop, "berth-flow-log");
        this.drainer.setDaemon(true);
        this.drainer.start();
    }

    /** "24h", "90m", "3600s" or "2d": the retention; at least a minute, so a cycle file is not deleted as made. */
    public static Duration parseRetention(final String text)
    {
        final Duration duration = Durations.parse(text, "--flow-log-retention");
        if (duration.compareTo(Duration.ofMinutes(1)) < 0)
        {
            throw new IllegalArgumentException("--flow-log-retention " + text + " is too short: give 1m or more " +
                "(e.g. 24h, 7d)");
        }
        return duration;
    }

    @Override
    public String name()
    {
        return "flow-log";
    }

    @Override
    public void joined(final EndpointEvent endpoint)
    {
        containers.put(endpoint.ip(), endpoint.container());
    }

    @Override
    public void left(final EndpointEvent endpoint)
    {
        // kept: a connection of the container that ends after it left is still its connection
    }

    /** Counters for {@code berth counters}: records written and lost, cycle files deleted by retention. */
    public Map<String, Object> counters()
    {
        return Map.of("written", written.get(), "lost", ringLost.getAsLong(), "retention_deleted_files",
            deletedFiles.get(), "retention_seconds", retention.toSeconds());
    }

    private void drainLoop()
    {
        final ExcerptAppender appender = queue.acquireAppender();
        long lastRetention = 0;
        while (running)
        {
            final int read = ring.read((type, buffer, index, length) ->
            {
                final ObjectNode record = FlowRecord.decode(type, buffer, index, containers::get);
                try (DocumentContext document = appender.writingDocument())
                {
                    document.wire().write(FIELD).text(record.toString());
                }
                written.incrementAndGet();
            }, 256);
            final long now = System.currentTimeMillis();
            if (now - lastRetention > 10_000)
            {
                lastRetention = now;
                applyRetention(now);
            }
            if (read == 0)
            {
                try
                {
                    Thread.sleep(50);
                }
                catch (final InterruptedException e)
                {
                    break;
                }
            }
        }
        appender.close();
    }

    /** Deletes the cycle files that hold nothing younger than the retention (never the one being written). */
    void applyRetention(final long nowMillis)
    {
        final File[] files = directory.listFiles((dir, name) -> name.endsWith(".cq4"));
        if (files == null || files.length < 2)
        {
            return;
        }
        java.util.Arrays.sort(files);
        for (int i = 0; i < files.length - 1; i++) // the newest is the current cycle
        {
            if (files[i].lastModified() < nowMillis - retention.toMillis() && files[i].delete())
            {
                deletedFiles.incrementAndGet();
            }
        }
        queue.refreshDirectoryListing();
    }

    /**
     * Hands every stored record with {@code timeMs >= sinceMillis} to {@code sink}, oldest first; with
     * {@code follow}, goes on with new ones until the sink returns false (or the thread is interrupted). Without,
     * ends at the last record. The sink is also called with null about once a second while nothing comes (a
     * follower's chance to notice its client went). Caller's thread.
     */
    public void read(final long sinceMillis, final boolean follow, final Predicate<JsonNode> sink)
        throws InterruptedException
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            long quietSince = System.nanoTime();
            while (true)
            {
                final String text;
                try (DocumentContext document = tailer.readingDocument())
                {
                    text = document.isPresent() ? document.wire().read(FIELD).text() : null;
                }
                if (text == null)
                {
                    if (!follow)
                    {
                        return;
                    }
                    if (System.nanoTime() - quietSince > 1_000_000_000L)
                    {
                        quietSince = System.nanoTime();
                        if (!sink.test(null))
                        {
                            return;
                        }
                    }
                    Thread.sleep(50);
                    continue;
                }
                quietSince = System.nanoTime();
                final JsonNode record;
                try
                {
                    record = Json.WIRE.readTree(text);
                }
                catch (final IOException ex)
                {
                    LOG.log(System.Logger.Level.WARNING, "unreadable flow record skipped: " + ex.getMessage());
                    continue;
                }
                if (record.path("timeMs").asLong() >= sinceMillis && !sink.test(record))
                {
                    return;
                }
            }
        }
    }

    /** Waits until every record the worker has handed over is stored (tests, shutdown). */
    public void flush() throws InterruptedException
    {
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (ring.size() > 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        Thread.sleep(60); // the record being appended
    }

    @Override
    public void close()
    {
        running = false;
        drainer.interrupt();
        try
        {
            drainer.join(2000);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        queue.close();
    }
}
