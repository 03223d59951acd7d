package io.berth.control.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The state dir holds every tracked connection, NAT binding, address and network: only root may read it. The dir
 * (and those below it) are 0700, its files 0600; writers of later files call {@link #file}. Any thread.
 */
public final class OwnerOnly
{
    public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private OwnerOnly()
    {
    }

    /** Makes {@code file} 0600. */
    public static void file(final Path file) throws IOException
    {
        Files.setPosixFilePermissions(file, FILE);
    }

    /** Makes {@code dir} and every directory below it 0700 and every file 0600 (a state dir an older berthd left). */
    public static void tree(final Path dir) throws IOException
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                if (Files.isSymbolicLink(path))
                {
                    continue;
                }
                Files.setPosixFilePermissions(path, Files.isDirectory(path) ? DIRECTORY : FILE);
            }
        }
    }
}
