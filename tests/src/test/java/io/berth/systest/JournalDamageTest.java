package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;

/**
 * Issue 13: a damaged journal is no longer taken for no state at all. berthd is stopped, its journal damaged on
 * purpose (a record's JSON garbled in the middle), and the next start refuses with one line naming the journal
 * and the way out; {@code berthd --repair} keeps every readable record, and what they describe is back.
 */
class JournalDamageTest extends SystemTestBase
{
    @Test
    void aDamagedJournalRefusesTheStartAndRepairKeepsWhatIsReadable() throws Exception
    {
        host.createNetwork("keep-one", "--subnet", "10.88.1.0/24");
        host.createNetwork("lost-two", "--subnet", "10.88.2.0/24");
        final String c = host.run("c", "--network", "keep-one");
        host.stopBerthd();

        garble("\"name\":\"lost-two\"");
        final Result refused = host.runBerthdToExit(Duration.ofSeconds(90));
        assertEquals(1, refused.exit(), refused::toString);
        final String message = (refused.out() + refused.err()).strip();
        assertTrue(message.contains("journal") && message.contains("damaged") && message.contains("--repair"),
            () -> "one line that names the journal and the way out:\n" + message);
        assertFalse(message.contains("\tat "), () -> "no stack trace:\n" + message);

        host.startBerthd(List.of("--repair"));
        final String networks = host.berthOk("network", "ls").out();
        assertTrue(networks.contains("keep-one") && !networks.contains("lost-two"), networks);
        assertTrue(host.berthOk("ps").out().contains(c), "the container is back");
        Net.assertPings(c, "10.88.1.1", host);
        assertTrue(host.logTail().contains("repair: dropped record"), host::logTail);
    }

    private void garble(final String marker) throws Exception
    {
        final Path queue;
        try (Stream<Path> files = Files.list(host.stateDir().resolve("journal")))
        {
            queue = files.filter(f -> f.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        final byte[] bytes = Files.readAllBytes(queue);
        final byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        int at = -1;
        for (int i = 0; i + needle.length <= bytes.length && at < 0; i++)
        {
            if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length))
            {
                at = i;
            }
        }
        assertTrue(at > 0, "the record is in " + queue);
        try (RandomAccessFile raf = new RandomAccessFile(queue.toFile(), "rw"))
        {
            raf.seek(at);
            raf.write("#######".getBytes(StandardCharsets.US_ASCII)); // the JSON of that record no longer parses
        }
    }
}
