package io.berth.control.dataplane;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.berth.control.wire.Json;
import io.berth.control.journal.OwnerOnly;
import io.berth.nat.ConnectionSnapshot;
import io.berth.nat.NatBindings;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * Tracked connections across a restart of berthd: the table saved as JSON (every second and at SIGTERM) and the
 * NAT bindings mirrored into a mapped file as they are made (what a SIGKILL leaves). Both in the state dir, 0600.
 * Caller's thread; the tables are read and written through the NAT proxy.
 */
final class ConnectionFiles
{
    /** In the state dir: the NAT bindings, mirrored as made (see {@link NatBindings}). */
    static final String NAT_BINDINGS_FILE = "nat-bindings";

    private ConnectionFiles()
    {
    }

    /** The connections that outlive a restart, written whole and then moved over {@code file} (0600). */
    static void save(final PacketPath pipeline, final Path file) throws IOException
    {
        final List<ConnectionSnapshot> connections = await(pipeline.natCommands().lastingConnections());
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, Json.WIRE.writeValueAsBytes(connections));
        OwnerOnly.file(tmp);
        try (FileChannel channel = FileChannel.open(tmp,
            StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Restores the saved table ({@code file}, written every second and at SIGTERM), then the NAT bindings the
     * previous run mirrored into {@link #NAT_BINDINGS_FILE} as it made them (what a SIGKILL left, younger
     * connections included), and starts mirroring this run's bindings into a fresh file that replaces the old one
     * once everything recovered is in it.
     */
    static int restore(final PacketPath pipeline, final Path file) throws IOException
    {
        final Path mirror = file.resolveSibling(NAT_BINDINGS_FILE);
        final List<ConnectionSnapshot> recovered = NatBindings.read(mirror);
        final Path fresh = file.resolveSibling(NAT_BINDINGS_FILE + ".new");
        final MappedByteBuffer mapped = NatBindings.map(fresh, pipeline.connections.capacity());
        OwnerOnly.file(fresh);
        await(pipeline.natCommands().mirrorBindings(mapped));
        int restored = 0;
        if (Files.exists(file))
        {
            final ObjectMapper json = Json.WIRE;
            final List<ConnectionSnapshot> saved = json.readValue(file.toFile(),
                json.getTypeFactory().constructCollectionType(List.class, ConnectionSnapshot.class));
            restored += await(pipeline.natCommands().restore(saved));
        }
        restored += await(pipeline.natCommands().restore(recovered)); // those the saved table did not have yet
        Files.move(fresh, mirror, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        return restored;
    }
}
