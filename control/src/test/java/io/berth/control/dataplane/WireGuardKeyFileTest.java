package io.berth.control.dataplane;

import io.berth.control.error.BerthException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WireGuardKeyFileTest
{
    @Test
    void madeOnceWithMode0600AndKeptAcrossStarts() throws IOException
    {
        final Path dir = Files.createTempDirectory("berth-wgkey");
        try
        {
            final Path file = dir.resolve("wireguard.key");
            final WireGuardKeyFile.Identity first = WireGuardKeyFile.loadOrCreate(file);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(44, first.publicKey().length());
            final WireGuardKeyFile.Identity again = WireGuardKeyFile.loadOrCreate(file);
            assertArrayEquals(first.privateKey(), again.privateKey());
            assertEquals(first.publicKey(), again.publicKey());

            Files.writeString(file, "not a key\n");
            final BerthException damaged = assertThrows(BerthException.class, () -> WireGuardKeyFile.loadOrCreate(file));
            assertTrue(damaged.getMessage().contains(file.toString()) && damaged.getMessage().contains("remove it"),
                damaged.getMessage());
            assertEquals("not a key\n", Files.readString(file), "a damaged key is left for the user");
        }
        finally
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
