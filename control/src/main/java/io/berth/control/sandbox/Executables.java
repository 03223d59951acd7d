package io.berth.control.sandbox;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a command can be executed: a path to an executable file, or a name found on PATH. Sandboxes share the
 * host's filesystem, so berthd (before {@code run}) and the CLI (before {@code exec}) can both tell beforehand.
 * Stateless.
 */
public final class Executables
{
    /** What a lookup found. */
    public enum Lookup
    {
        FOUND, NOT_FOUND, NOT_EXECUTABLE
    }

    private Executables()
    {
    }

    public static Lookup find(final String command)
    {
        if (command.contains("/"))
        {
            final Path path = Path.of(command);
            if (!Files.exists(path))
            {
                return Lookup.NOT_FOUND;
            }
            return Files.isRegularFile(path) && Files.isExecutable(path) ? Lookup.FOUND : Lookup.NOT_EXECUTABLE;
        }
        final String searchPath = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/sbin:/usr/bin:/sbin:/bin");
        for (final String dir : searchPath.split(File.pathSeparator))
        {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate))
            {
                return Lookup.FOUND;
            }
        }
        return Lookup.NOT_FOUND;
    }
}
