package io.berth.control.flowlog;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.service.EndpointEvent;
import io.berth.control.service.EndpointService;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.wire.DocumentContext;
import io.berth.control.dataplane.FlowRecords;
import io.berth.control.ipam.Ipv6Cidr;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.Arrays;

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
    /** Each stored record begins with it: the layout below may change, old files are then skipped, not misread. */
    private static final int VERSION = 1;
    private static final System.Logger LOG = System.getLogger("io.berth.control.flowlog");

    private final ChronicleQueue queue;
    private final File directory;
    private final RingBuffer ring;
    private final LongSupplier ringLost;
    private final Duration retention;
    private final Map<Integer, String> containers = new ConcurrentHashMap<>();
    /** Dual-stack endpoints' IPv6 addresses (as text, as IPv6 records name them) -> container. */
    private final Map<String, String> containers6 = new ConcurrentHashMap<>();
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
        if (endpoint.ip6() != null)
        {
            final ByteBuffer ip6 = ByteBuffer.wrap(endpoint.ip6());
            containers6.put(Ipv6Cidr.format(ip6.getLong(), ip6.getLong()), endpoint.container());
        }
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
        final byte[] raw4 = new byte[FlowRecords.LENGTH];
        final byte[] raw6 = new byte[FlowRecords.LENGTH_IPV6];
        long lastRetention = 0;
        while (running)
        {
            final int read = ring.read((type, buffer, index, length) ->
            {
                // stored as the worker wrote it, with the container's name: JSON is made when read, not here
                final byte[] raw = FlowRecords.isIpv6(type) ? raw6 : raw4;
                buffer.getBytes(index, raw);
                String container = null;
                if (FlowRecords.isIpv6(type))
                {
                    for (final String address : FlowRecords.addresses6(buffer, index))
                    {
                        container = container == null ? containers6.get(address) : container;
                    }
                }
                else
                {
                    for (final int address : FlowRecords.addresses(buffer, index))
                    {
                        container = container == null ? containers.get(address) : container;
                    }
                }
                try (DocumentContext document = appender.writingDocument())
                {
                    final Bytes<?> bytes = document.wire().bytes();
                    bytes.writeInt(VERSION);
                    bytes.writeInt(type);
                    bytes.write(raw);
                    bytes.writeUtf8(container == null ? "" : container);
                }
                written.incrementAndGet();
            }, 1024);
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
        Arrays.sort(files);
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
                JsonNode record = null;
                boolean present;
                try (DocumentContext document = tailer.readingDocument())
                {
                    present = document.isPresent();
                    if (present)
                    {
                        record = decode(document.wire().bytes());
                    }
                }
                if (!present)
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
                if (record == null)
                {
                    continue;
                }
                if (record.path("timeMs").asLong() >= sinceMillis && !sink.test(record))
                {
                    return;
                }
            }
        }
    }

    /** One stored record as JSON, or null (logged) when it is not one this version wrote. */
    private static JsonNode decode(final Bytes<?> bytes)
    {
        if (bytes.readRemaining() < 8 + FlowRecords.LENGTH || bytes.readInt() != VERSION)
        {
            LOG.log(System.Logger.Level.WARNING, "unreadable flow record skipped");
            return null;
        }
        final int type = bytes.readInt();
        if (bytes.readRemaining() < FlowRecords.length(type))
        {
            LOG.log(System.Logger.Level.WARNING, "truncated flow record skipped");
            return null;
        }
        final byte[] raw = new byte[FlowRecords.length(type)];
        bytes.read(raw);
        final String container = bytes.readUtf8();
        return FlowRecords.decode(type, new UnsafeBuffer(raw), 0, ip -> container == null || container.isEmpty()
            ? null : container);
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
