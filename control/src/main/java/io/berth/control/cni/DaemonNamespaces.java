package io.berth.control.cni;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells whether a network namespace is a berthd's: this berthd's own, or one where another berthd runs (a host of
 * several daemons, or a test lab). A CNI ADD into such a namespace would put an interface and a default route
 * next to the daemon's uplink and berth0, so it is refused. Control thread; reads /proc.
 */
final class DaemonNamespaces
{
    /** What berthd's command line names (bin/berthd runs this class). */
    static final String DAEMON_CLASS = "io.berth.control.Berthd";

    private DaemonNamespaces()
    {
    }

    /** @return who runs in {@code nsFile}'s namespace ("this berthd", "berthd pid N"), or null for nobody. */
    static String daemonIn(final Path nsFile)
    {
        final String target;
        try
        {
            target = "net:[" + Files.getAttribute(nsFile, "unix:ino") + "]";
            if (Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString().equals(target))
            {
                return "this berthd";
            }
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return null; // checked for existence before; nothing to compare
        }
        final long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*"))
        {
            for (final Path process : processes)
            {
                if (Long.parseLong(process.getFileName().toString()) != self && sameNamespace(process, target) &&
                    isDaemon(process))
                {
                    return "berthd pid " + process.getFileName();
                }
            }
        }
        catch (final IOException ex)
        {
            return null;
        }
        return null;
    }

    private static boolean sameNamespace(final Path process, final String target)
    {
        try
        {
            return Files.readSymbolicLink(process.resolve("ns/net")).toString().equals(target);
        }
        catch (final IOException ex)
        {
            return false; // gone, or not ours to read
        }
    }

    private static boolean isDaemon(final Path process)
    {
        try
        {
            return new String(Files.readAllBytes(process.resolve("cmdline"))).contains(DAEMON_CLASS);
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
