package io.berth.control.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The fields of /proc/PID/stat berth needs. Immutable.
 *
 * @param state     R, S, D, Z, ...
 * @param startTime clock ticks after boot at which the process started (field 22).
 */
public record ProcStat(char state, long startTime)
{
    public static Optional<ProcStat> read(final long pid)
    {
        try
        {
            final String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) may contain spaces and parentheses: fields restart after the last ')'
            final String[] rest = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return Optional.of(new ProcStat(rest[0].charAt(0), Long.parseLong(rest[19])));
        }
        catch (final IOException | RuntimeException ex)
        {
            return Optional.empty();
        }
    }
}
