package io.berth.control.journal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The local journal with a manifest beside it, so berthd never starts with less state than it had. After every
 * append the manifest ({@code journal.manifest}: record count, last index, SHA-256 over the records' texts, the
 * indexes of records dropped as torn) is replaced atomically. On replay the journal must match it:
 * <ul>
 * <li>a journal that is missing, empty, shorter, longer or different from what the manifest says, or a record
 * that cannot be read or decoded anywhere but at the very end, refuses the start with one line naming the file
 * and the record;</li>
 * <li>one unreadable record after the last one the manifest counts is a change torn by a crash in the middle of
 * its write: it is dropped with a warning, remembered in the manifest, and skipped from then on;</li>
 * <li>{@link #repair} keeps every readable record, in a fresh journal, and says what it dropped.</li>
 * </ul>
 * A state dir from before the manifest (a journal, no manifest) is taken as it is and gets one. Control thread.
 */
public final class CheckedJournal implements Journal
{
    public static final String MANIFEST = "journal.manifest";
    private static final System.Logger LOG = System.getLogger("io.berth.control.journal");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path manifestFile;
    private final ChronicleJournal journal;
    private final TreeSet<Long> skipped = new TreeSet<>();
    private MessageDigest digest = newDigest();
    private long count;
    private long lastIndex = -1;
    /** Whether count, digest and last index describe the journal on disk (after a replay). */
    private boolean loaded;

    /** What a manifest says. */
    record Manifest(long count, long lastIndex, String sha256, List<Long> skipped)
    {
    }

    public CheckedJournal(final Path stateDir)
    {
        this.manifestFile = stateDir.resolve(MANIFEST);
        refuseEmptiedQueue(stateDir.resolve("journal"));
        this.journal = new ChronicleJournal(stateDir.resolve("journal"));
    }

    /**
     * A manifest that counts records beside queue files that are all empty (truncated, say): refused before
     * Chronicle Queue opens them, which would wait some 20 s for a header that never comes.
     */
    private void refuseEmptiedQueue(final Path journalDir)
    {
        final Manifest manifest = readManifest();
        if (manifest == null || manifest.count() == 0)
        {
            return;
        }
        try (var files = Files.list(journalDir))
        {
            final List<Path> queues = files.filter(f -> f.getFileName().toString().endsWith(".cq4")).toList();
            boolean anyData = false;
            for (final Path queue : queues)
            {
                anyData |= Files.size(queue) > 0;
            }
            if (!anyData)
            {
                throw damaged(journalDir.toString(), (queues.isEmpty() ? "it has no queue file" : "its queue file " +
                    queues.get(0).getFileName() + " is empty") + " where the manifest " + manifestFile + " counts " +
                    manifest.count() + " records");
            }
        }
        catch (final NoSuchFileException ex)
        {
            throw damaged(journalDir.toString(), "it is missing where the manifest " + manifestFile + " counts " +
                manifest.count() + " records");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void append(final Event event)
    {
        if (!loaded)
        {
            replay(e -> { }); // the manifest must describe the records before this one too
        }
        final String text = JournalCodec.encode(event, Instant.now());
        lastIndex = journal.appendText(text);
        digest.update(text.getBytes(StandardCharsets.UTF_8));
        count++;
        writeManifest();
    }

    @Override
    public void replay(final Consumer<Event> consumer)
    {
        final Manifest manifest = readManifest();
        digest = newDigest();
        count = 0;
        lastIndex = -1;
        skipped.clear();
        final List<Event> events = new ArrayList<>();
        final List<String> torn = new ArrayList<>();
        final long[] tornIndex = {-1};
        final String file = journal.directory().toString();
        try
        {
            visitChecked(manifest, events, torn, tornIndex, file);
        }
        catch (final BerthException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw damaged(file, "Chronicle Queue cannot read past record " + (lastIndex < 0 ? "0" : lastIndex) +
                " (" + ex + ")");
        }
        verify(manifest, torn, tornIndex[0], file);
        loaded = true;
        events.forEach(consumer);
    }

    private void visitChecked(final Manifest manifest, final List<Event> events, final List<String> torn,
        final long[] tornIndex, final String file)
    {
        journal.visit((index, text, unreadable) ->
        {
            if (manifest != null && manifest.skipped().contains(index))
            {
                skipped.add(index);
                return; // torn once, dropped then
            }
            if (!torn.isEmpty())
            {
                throw damaged(file, "record " + tornIndex[0] + " (" + torn.get(0) + ") is followed by more records");
            }
            Event event = null;
            String problem = unreadable == null ? null : unreadable.toString();
            if (problem == null)
            {
                try
                {
                    event = JournalCodec.decode(text);
                }
                catch (final RuntimeException ex)
                {
                    problem = "not a journal event: " + abbreviate(text);
                }
            }
            if (problem != null)
            {
                torn.add(problem);
                tornIndex[0] = index;
                return;
            }
            events.add(event);
            digest.update(text.getBytes(StandardCharsets.UTF_8));
            count++;
            lastIndex = index;
        });
    }

    private void verify(final Manifest manifest, final List<String> torn, final long tornIndex, final String file)
    {
        if (manifest != null)
        {
            final String sha = HexFormat.of().formatHex(clone(digest).digest());
            if (count != manifest.count() || !sha.equals(manifest.sha256()))
            {
                throw damaged(file, count < manifest.count()
                    ? "it holds " + count + " readable records where the manifest " + manifestFile + " counts " +
                        manifest.count() + " (last index " + manifest.lastIndex() + ")"
                    : count > manifest.count() ? "it holds " + count + " records, more than the " + manifest.count() +
                        " the manifest " + manifestFile + " counts"
                    : "its records differ from what the manifest " + manifestFile + " recorded (checksum)");
            }
        }
        if (!torn.isEmpty())
        {
            if (manifest == null && count == 0)
            {
                throw damaged(file, "its first record is unreadable (" + torn.get(0) + ")");
            }
            LOG.log(System.Logger.Level.WARNING, "journal " + file + ": record " + tornIndex + " was torn by a " +
                "crash in the middle of a change (" + torn.get(0) + "); dropped, that change never completed");
            skipped.add(tornIndex);
            lastIndex = Math.max(lastIndex, tornIndex);
        }
        if (manifest != null && !manifest.skipped().isEmpty())
        {
            skipped.addAll(manifest.skipped());
        }
        if (manifest == null || !torn.isEmpty())
        {
            writeManifest(); // first start with a manifest, or the torn record noted
        }
    }

    /**
     * {@code berthd --repair}: copies every readable record of the journal in {@code stateDir} into a fresh one,
     * moves the old one aside as {@code journal.damaged-<time>}, writes a new manifest.
     *
     * @return one line per record dropped, and a summary line last.
     */
    public static List<String> repair(final Path stateDir)
    {
        final Path journalDir = stateDir.resolve("journal");
        final Path fresh = stateDir.resolve("journal.repairing");
        deleteTree(fresh);
        final List<String> report = new ArrayList<>();
        final List<String> kept = new ArrayList<>();
        try (ChronicleJournal old = new ChronicleJournal(journalDir))
        {
            old.visit((index, text, unreadable) ->
            {
                if (unreadable != null)
                {
                    report.add("dropped record " + index + ": unreadable (" + unreadable + ")");
                    return;
                }
                try
                {
                    JournalCodec.decode(text);
                    kept.add(text);
                }
                catch (final RuntimeException ex)
                {
                    report.add("dropped record " + index + ": not a journal event: " + abbreviate(text));
                }
            });
        }
        final Path manifest = stateDir.resolve(MANIFEST);
        try
        {
            Files.deleteIfExists(manifest);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        try (CheckedJournal repaired = new CheckedJournal(stateDir, fresh))
        {
            for (final String text : kept)
            {
                repaired.append(JournalCodec.decode(text));
            }
        }
        final Path aside = stateDir.resolve("journal.damaged-" + System.currentTimeMillis());
        try
        {
            if (Files.exists(journalDir))
            {
                Files.move(journalDir, aside);
            }
            Files.move(fresh, journalDir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        report.add("kept " + kept.size() + " record(s), dropped " + report.size() + "; the old journal is " + aside);
        return report;
    }

    /** For {@link #repair}: a journal in {@code journalDir}, its manifest in the state dir. */
    private CheckedJournal(final Path stateDir, final Path journalDir)
    {
        this.manifestFile = stateDir.resolve(MANIFEST);
        this.journal = new ChronicleJournal(journalDir);
    }

    @Override
    public void close()
    {
        journal.close();
    }

    private BerthException damaged(final String file, final String what)
    {
        return new BerthException("journal " + file + " is damaged: " + what + "; berthd will not start with less " +
            "state than it had (berthd --repair keeps every readable record and reports the rest)");
    }

    private Manifest readManifest()
    {
        if (!Files.exists(manifestFile))
        {
            return null;
        }
        try
        {
            final ObjectNode node = (ObjectNode)JSON.readTree(Files.readString(manifestFile));
            final List<Long> skippedIndexes = new ArrayList<>();
            node.path("skipped").forEach(n -> skippedIndexes.add(n.asLong()));
            return new Manifest(node.path("count").asLong(-1), node.path("lastIndex").asLong(-1),
                node.path("sha256").asText(""), skippedIndexes);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new BerthException("journal manifest " + manifestFile + " is unreadable (" + ex.getMessage() + "); " +
                "berthd will not guess how much state it had (berthd --repair rebuilds it from the journal)");
        }
    }

    private void writeManifest()
    {
        final ObjectNode node = JSON.createObjectNode();
        node.put("count", count);
        node.put("lastIndex", lastIndex);
        node.put("sha256", HexFormat.of().formatHex(clone(digest).digest()));
        skipped.forEach(node.putArray("skipped")::add);
        if (skipped.isEmpty())
        {
            node.remove("skipped");
        }
        final Path tmp = manifestFile.resolveSibling(MANIFEST + ".tmp");
        try
        {
            Files.writeString(tmp, node.toString(), StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE))
            {
                channel.force(true);
            }
            Files.move(tmp, manifestFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the journal manifest " + manifestFile, ex);
        }
    }

    private static MessageDigest newDigest()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static MessageDigest clone(final MessageDigest digest)
    {
        try
        {
            return (MessageDigest)digest.clone();
        }
        catch (final CloneNotSupportedException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static String abbreviate(final String text)
    {
        return text == null ? "null" : text.length() <= 60 ? text : text.substring(0, 60) + "…";
    }

    private static void deleteTree(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (var paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
