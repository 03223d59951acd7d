package io.berth.control.journal;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: berthd never starts with less state than it had. Each case damages a real journal on purpose, the way
 * the issue found it: the file emptied, a record's header overwritten, a record's text garbled in the middle or
 * torn at the end; and what {@code --repair} keeps.
 */
class JournalIntegrityTest
{
    @TempDir
    Path state;

    private static Event network(final String name)
    {
        return new Event.NetworkCreated("0".repeat(60) + name.substring(name.length() - 4), name, "bridge", "local",
            new Event.IpamConfig("default", "10.1.0.0/16", null, "10.1.0.1"), Map.of("icc", "true", "mtu", "1500"),
            false, false, Map.of(), "2026-12-01T00:00:00Z");
    }

    private void write(final String... names)
    {
        try (CheckedJournal journal = new CheckedJournal(state))
        {
            for (final String name : names)
            {
                journal.append(network(name));
            }
        }
    }

    private List<String> replay()
    {
        final List<String> names = new ArrayList<>();
        try (CheckedJournal journal = new CheckedJournal(state))
        {
            journal.replay(e -> names.add(((Event.NetworkCreated)e).name()));
        }
        return names;
    }

    private Path queueFile() throws IOException
    {
        try (Stream<Path> files = Files.list(state.resolve("journal")))
        {
            return files.filter(f -> f.toString().endsWith(".cq4") && !f.toString().endsWith(".cq4t")).findFirst()
                .orElseThrow();
        }
    }

    /** Overwrites bytes of the stored record whose text names {@code marker}, {@code shift} bytes from its start. */
    private void garble(final String marker, final int shift, final int length) throws IOException
    {
        final Path file = queueFile();
        final byte[] bytes = Files.readAllBytes(file);
        final int at = indexOf(bytes, ("\"name\":\"" + marker + "\"").getBytes(StandardCharsets.UTF_8));
        assertTrue(at > 0, "record " + marker + " found in " + file);
        int start = at;
        while (bytes[start] != '{')
        {
            start--;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(start + shift);
            raf.write("#".repeat(length).getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void anIntactJournalReplaysAndAppendsGoOn()
    {
        write("net-aaaa", "net-bbbb", "net-cccc");
        assertEquals(List.of("net-aaaa", "net-bbbb", "net-cccc"), replay());
        write("net-dddd");
        assertEquals(List.of("net-aaaa", "net-bbbb", "net-cccc", "net-dddd"), replay());
    }

    @Test
    void anEmptiedJournalRefusesTheStart() throws IOException
    {
        write("net-aaaa", "net-bbbb");
        try (RandomAccessFile raf = new RandomAccessFile(queueFile().toFile(), "rw"))
        {
            raf.setLength(0);
        }
        final BerthException refused = assertThrows(BerthException.class, this::replay);
        assertTrue(refused.getMessage().contains("journal") && refused.getMessage().contains("counts 2"),
            refused.getMessage());
    }

    @Test
    void aRecordWhoseHeaderIsOverwrittenRefusesTheStart() throws IOException
    {
        write("net-aaaa", "net-bbbb", "net-cccc");
        garble("net-aaaa", -12, 12); // the excerpt's length header and field name before the first record's text
        final BerthException refused = assertThrows(BerthException.class, this::replay);
        assertTrue(refused.getMessage().contains("damaged"), refused.getMessage());
    }

    @Test
    void aGarbledRecordInTheMiddleRefusesTheStartAndRepairKeepsTheRest() throws IOException
    {
        write("net-aaaa", "net-bbbb", "net-cccc");
        garble("net-bbbb", 0, 6);
        final BerthException refused = assertThrows(BerthException.class, this::replay);
        assertTrue(refused.getMessage().contains("damaged") && refused.getMessage().contains("--repair"),
            refused.getMessage());
        assertEquals(1, refused.getMessage().lines().count(), "one line");

        final List<String> report = CheckedJournal.repair(state);
        assertEquals(2, report.size(), report.toString());
        assertTrue(report.get(0).startsWith("dropped record"), report.toString());
        assertTrue(report.get(1).startsWith("kept 2 record(s), dropped 1"), report.toString());
        assertEquals(List.of("net-aaaa", "net-cccc"), replay());
        write("net-dddd");
        assertEquals(List.of("net-aaaa", "net-cccc", "net-dddd"), replay());
    }

    @Test
    void aTornLastRecordIsDroppedWithAWarningAndStaysDropped() throws IOException
    {
        write("net-aaaa", "net-bbbb");
        // a crash in the middle of the next change: its record is written, the manifest not yet
        final Path manifest = state.resolve(CheckedJournal.MANIFEST);
        final byte[] before = Files.readAllBytes(manifest);
        write("net-cccc");
        Files.write(manifest, before);
        garble("net-cccc", 0, 6);
        assertEquals(List.of("net-aaaa", "net-bbbb"), replay(), "the torn change is dropped");
        assertEquals(List.of("net-aaaa", "net-bbbb"), replay(), "and stays dropped on the next start");
        write("net-dddd");
        assertEquals(List.of("net-aaaa", "net-bbbb", "net-dddd"), replay());
    }

    @Test
    void aJournalFromBeforeTheManifestIsTakenAsItIs()
    {
        try (ChronicleJournal old = new ChronicleJournal(state.resolve("journal")))
        {
            old.append(network("net-aaaa"));
        }
        assertEquals(List.of("net-aaaa"), replay());
        assertTrue(Files.exists(state.resolve(CheckedJournal.MANIFEST)), "it gets a manifest");
        write("net-bbbb");
        assertEquals(List.of("net-aaaa", "net-bbbb"), replay());
    }
}
