package io.berth.control.flowlog;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounters;
import io.berth.conntrack.FlowEnd;
import io.berth.conntrack.FlowRecorder;
import io.berth.conntrack.Tuples;
import io.berth.control.ipam.Ipv4;
import io.berth.control.service.EndpointEvent;
import net.openhft.chronicle.queue.RollCycles;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flow log: records from the worker's ring stored in Chronicle, read back, followed, and kept no longer than the retention. */
class FlowLogTest
{
    @TempDir
    Path dir;

    final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(
        64 * 1024 + RingBufferDescriptor.TRAILER_LENGTH)));
    final FlowRecorder recorder = new FlowRecorder(ring, false);
    final ConnectionTable table = new ConnectionTable(16, new ConntrackCounters());

    /** A SNAT'd connection 172.18.0.2:40000 -> 10.99.0.2:80 that left as 10.99.0.1:61000, ended. */
    void endOne(final int sourcePort, final long now)
    {
        final int c = Ipv4.parse("172.18.0.2", "test");
        final int s = Ipv4.parse("10.99.0.2", "test");
        final int entry = table.create(Tuples.key1(c, s), Tuples.key2(6, sourcePort, 80), ConnState.SYN_SENT, 0, now + 60_000, now - 25);
        assertTrue(table.reply(entry, Tuples.key1(s, Ipv4.parse("10.99.0.1", "test")), Tuples.key2(6, 80, 61000)));
        table.addFlags(entry, ConnectionFlags.F_SNAT);
        table.account(entry, ConnectionTable.ORIGINAL, 60);
        table.account(entry, ConnectionTable.REPLY, 1500);
        table.account(entry, ConnectionTable.REPLY, 52);
        table.state(entry, ConnState.TIME_WAIT);
        table.onFlow(recorder);
        table.flowClosed(entry, FlowEnd.FIN, now);
        table.remove(entry);
    }

    List<JsonNode> readAll(final FlowLog log, final long since) throws InterruptedException
    {
        final List<JsonNode> records = new ArrayList<>();
        log.read(since, false, r -> records.add(r));
        return records;
    }

    @Test
    void aRecordHasItsTuplesBeforeAndAfterNatTheContainerAndItsCounts() throws Exception
    {
        try (FlowLog log = new FlowLog(dir, ring, recorder::lost, Duration.ofHours(1)))
        {
            log.joined(new EndpointEvent("web", "id1", "bridge", "n1", "ns", "eth0", Ipv4.parse("172.18.0.2", "test"),
                List.of(), false));
            endOne(40000, 1_000_000_000_000L);
            log.flush();
            final List<JsonNode> records = readAll(log, 0);
            assertEquals(1, records.size(), records.toString());
            final JsonNode r = records.get(0);
            assertEquals("end", r.path("event").asText());
            assertEquals("tcp", r.path("proto").asText());
            assertEquals("web", r.path("container").asText());
            assertEquals("snat", r.path("nat").asText());
            assertEquals("172.18.0.2", r.path("original").path("src").asText());
            assertEquals(40000, r.path("original").path("sport").asInt());
            assertEquals("10.99.0.2", r.path("original").path("dst").asText());
            assertEquals("10.99.0.1", r.path("translated").path("src").asText());
            assertEquals(61000, r.path("translated").path("sport").asInt());
            assertEquals(1, r.path("packets").path("original").asLong());
            assertEquals(2, r.path("packets").path("reply").asLong());
            assertEquals(60, r.path("bytes").path("original").asLong());
            assertEquals(1552, r.path("bytes").path("reply").asLong());
            assertEquals(25, r.path("durationMs").asLong());
            assertEquals("fin", r.path("reason").asText());
            assertEquals("2001-09-09T01:46:40Z", r.path("time").asText());
            assertEquals(0, readAll(log, 1_000_000_000_001L).size(), "--since after it");
        }
    }

    @Test
    void aFollowerSeesNewRecordsAsTheyCome() throws Exception
    {
        try (FlowLog log = new FlowLog(dir, ring, recorder::lost, Duration.ofHours(1)))
        {
            final List<JsonNode> seen = new CopyOnWriteArrayList<>();
            final Thread follower = new Thread(() ->
            {
                try
                {
                    log.read(0, true, r ->
                    {
                        if (r != null)
                        {
                            seen.add(r);
                        }
                        return seen.size() < 2;
                    });
                }
                catch (final InterruptedException ignored)
                {
                    // ended
                }
            });
            follower.start();
            endOne(40001, System.currentTimeMillis());
            endOne(40002, System.currentTimeMillis());
            follower.join(10_000);
            assertEquals(2, seen.size());
            assertEquals(40002, seen.get(1).path("original").path("sport").asInt());
        }
    }

    @Test
    void cycleFilesOlderThanTheRetentionAreDeleted() throws Exception
    {
        try (FlowLog log = new FlowLog(dir, ring, recorder::lost, Duration.ofSeconds(1), RollCycles.TEST_SECONDLY))
        {
            endOne(40003, System.currentTimeMillis());
            log.flush();
            Thread.sleep(1100); // the next record goes into a new cycle file
            endOne(40004, System.currentTimeMillis());
            log.flush();
            final long now = System.currentTimeMillis() + 1500; // the first file is past the retention, the newest is kept
            log.applyRetention(now);
            final List<JsonNode> left = readAll(log, 0);
            assertEquals(1, left.size(), left.toString());
            assertEquals(40004, left.get(0).path("original").path("sport").asInt());
            try (Stream<Path> files = Files.list(dir))
            {
                assertEquals(1, files.filter(p -> p.toString().endsWith(".cq4")).count());
            }
        }
    }

    @Test
    void durationsAndTimesAreParsedOrRefusedNamingTheValue()
    {
        assertEquals(Duration.ofHours(24), FlowLog.parseRetention("24h"));
        assertEquals(Duration.ofDays(7), FlowLog.parseRetention("7d"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FlowLog.parseRetention("10s")).getMessage()
            .contains("1m or more"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FlowLog.parseRetention("soon")).getMessage()
            .contains("'soon'"));
        assertEquals(1000L - 90_000, Durations.since("90s", 1000));
        assertEquals(1_764_700_000_000L, Durations.since("2025-12-02T18:26:40Z", 0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.since("yesterday", 0)).getMessage()
            .contains("'yesterday'"));
    }
}
