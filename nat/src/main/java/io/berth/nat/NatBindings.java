package io.berth.nat;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.EntryRemoval;
import io.berth.conntrack.Tuples;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The NAT bindings of the live connection table, mirrored as they are made into a memory-mapped file, so that
 * a berthd killed with SIGKILL finds every translated connection again, also those younger than the last saved
 * table: what a process wrote to a shared mapping is in the page cache, and its death does not take it back.
 * The saved table (every second, and at SIGTERM) keeps states and timers; this keeps only who is translated to
 * what, which is the part no packet can tell afterwards (a reply to a masqueraded port names no container).
 * <pre>
 *  slot e (table entry e), 40 bytes:
 *   0       4       8                16               24               32               40
 *  +-------+-------+----------------+----------------+----------------+----------------+
 *  | proto | flags | original key1  | original key2  |   reply key1   |   reply key2   |
 *  +-------+-------+----------------+----------------+----------------+----------------+
 *  proto 0: empty. Written keys first and proto last (ordered), cleared proto first: a slot a kill cut in half
 *  reads as empty or as the binding before.
 * </pre>
 * Writes are plain stores into mapped memory: no system call, no lock, no allocation. The worker thread that owns
 * the table owns this; {@link #read} and {@link #map} are for the control plane at start-up.
 */
public final class NatBindings implements EntryRemoval
{
    static final int SLOT = 40;
    private static final int FLAGS = 4;
    private static final int ORIGINAL1 = 8;
    private static final int ORIGINAL2 = 16;
    private static final int REPLY1 = 24;
    private static final int REPLY2 = 32;
    /** What a recovered binding keeps: which translation it has, and that it was decided. */
    private static final int KEPT_FLAGS = ConnectionFlags.F_SNAT | ConnectionFlags.F_DNAT
        | ConnectionFlags.F_SNAT_DONE | ConnectionFlags.F_DNAT_DONE;

    private final int capacity;
    private MappedByteBuffer mapped;
    private UnsafeBuffer slots;

    /** Mirrors nothing until {@link #attach}: tests and benchmarks never attach. */
    public NatBindings(final int capacity)
    {
        this.capacity = capacity;
    }

    /**
     * The bindings a previous berthd left in {@code file}, as connections to restore: each with its translation
     * and a short life, TCP as a connection picked up mid-stream (300 s until both ends are heard, then its
     * full timeout), UDP as unreplied. A TCP one counts as answered, so that a first packet routing refuses
     * (its container not back yet) does not forget it as a connection never made. Its connection may have ended
     * while berthd was down; then it expires.
     */
    public static List<ConnectionSnapshot> read(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return List.of();
        }
        final List<ConnectionSnapshot> result = new ArrayList<>();
        final byte[] bytes = Files.readAllBytes(file);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int at = 0; at + SLOT <= bytes.length; at += SLOT)
        {
            final int protocol = buffer.getInt(at);
            if (protocol != 6 && protocol != 17)
            {
                continue;
            }
            final int flags = buffer.getInt(at + FLAGS) & KEPT_FLAGS;
            final boolean tcp = protocol == 6;
            result.add(new ConnectionSnapshot(protocol, tcp ? ConnState.ESTABLISHED : ConnState.UNREPLIED,
                tcp ? 300 : 30, flags | (tcp ? ConnectionFlags.F_PICKED_UP | ConnectionFlags.F_SEEN_REPLY : 0),
                tuple(buffer.getLong(at + ORIGINAL1), buffer.getLong(at + ORIGINAL2)),
                tuple(buffer.getLong(at + REPLY1), buffer.getLong(at + REPLY2))));
        }
        return result;
    }

    /** A new, empty (sparse) mirror file for {@code capacity} entries, mapped. Any thread. */
    public static MappedByteBuffer map(final Path file, final int capacity) throws IOException
    {
        final long length = (long)capacity * SLOT;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(0);
            raf.setLength(length); // sparse: pages are only written for translated connections
            return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
    }

    /** Starts mirroring into {@code file} (from {@link #map}). Worker thread (a command). */
    public void attach(final MappedByteBuffer file)
    {
        if (file.capacity() < (long)capacity * SLOT)
        {
            throw new IllegalArgumentException("the mirror holds " + file.capacity() / SLOT + " entries, the table " + capacity);
        }
        detach();
        mapped = file;
        slots = new UnsafeBuffer(file);
    }

    /** Stops mirroring and unmaps the file. Worker thread (a command), or after the worker stopped. */
    public void detach()
    {
        if (mapped != null)
        {
            final MappedByteBuffer old = mapped;
            slots = null;
            mapped = null;
            IoUtil.unmap(old);
        }
    }

    /** Records {@code entry}'s current tuples and translation. Worker thread; allocation-free. */
    public void bind(final ConnectionTable table, final int entry)
    {
        final UnsafeBuffer slots = this.slots;
        if (slots == null || entry >= capacity)
        {
            return;
        }
        final int at = entry * SLOT;
        slots.putIntOrdered(at, 0);
        slots.putInt(at + FLAGS, table.flags(entry) & KEPT_FLAGS);
        slots.putLong(at + ORIGINAL1, table.key1(entry << 1));
        slots.putLong(at + ORIGINAL2, table.key2(entry << 1));
        slots.putLong(at + REPLY1, table.key1((entry << 1) | 1));
        slots.putLong(at + REPLY2, table.key2((entry << 1) | 1));
        slots.putIntOrdered(at, table.protocol(entry));
    }

    /** {@link #bind} when the entry is translated (SNAT or DNAT); restores and the first attach go through here. */
    public void bindIfTranslated(final ConnectionTable table, final int entry)
    {
        if ((table.flags(entry) & (ConnectionFlags.F_SNAT | ConnectionFlags.F_DNAT)) != 0)
        {
            bind(table, entry);
        }
    }

    @Override
    public void removed(final int entry)
    {
        final UnsafeBuffer slots = this.slots;
        if (slots != null && entry < capacity && slots.getInt(entry * SLOT) != 0)
        {
            slots.putIntOrdered(entry * SLOT, 0);
        }
    }

    private static ConnectionSnapshot.Tuple tuple(final long key1, final long key2)
    {
        return new ConnectionSnapshot.Tuple(Tuples.source(key1), Tuples.destination(key1), Tuples.sourcePort(key2),
            Tuples.destinationPort(key2));
    }
}
