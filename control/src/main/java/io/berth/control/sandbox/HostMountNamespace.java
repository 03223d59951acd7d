package io.berth.control.sandbox;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The mount namespace in which named network namespaces must be bound so that the user sees them.
 *
 * <p>Why: {@code ip netns exec HOST bin/berthd} runs berthd in a mount namespace of its own whose mounts are slaves
 * of the host's. A namespace that berthd binds with {@code ip netns add} there would be invisible to the user's
 * {@code ip netns exec NAME}. So berthd keeps a descriptor of the first ancestor's mount namespace that differs from
 * its own (the one {@code ip netns exec} was called from) and runs {@code ip netns add/del} in it through
 * {@code nsenter --mount=/proc/PID/fd/N}; the bind mount then propagates down into berthd's namespace too. The
 * descriptor stays valid after that ancestor exits. Better still, when a request comes from the CLI (which sends
 * its pid), the namespace is bound in the CLI's own mount namespace, where the user will look for it. Created once
 * at start; used by the control thread.
 */
public final class HostMountNamespace implements AutoCloseable
{
    private final FileInputStream anchor;
    private final List<String> prefix;

    private HostMountNamespace(final FileInputStream anchor, final List<String> prefix)
    {
        this.anchor = anchor;
        this.prefix = prefix;
    }

    /** Finds the outer mount namespace; none (commands run as they are) when berthd already runs in it. */
    public static HostMountNamespace discover()
    {
        try
        {
            final String own = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
            Optional<ProcessHandle> ancestor = ProcessHandle.current().parent();
            while (ancestor.isPresent())
            {
                final long pid = ancestor.get().pid();
                final Path link = Path.of("/proc/" + pid + "/ns/mnt");
                final Optional<String> theirs = readLink(link);
                if (theirs.isPresent() && !theirs.get().equals(own))
                {
                    final FileInputStream anchor = new FileInputStream(link.toFile());
                    final Optional<Integer> fd = findOwnFdPointingTo(theirs.get());
                    if (fd.isPresent())
                    {
                        final long self = ProcessHandle.current().pid();
                        return new HostMountNamespace(anchor,
                            List.of("nsenter", "--mount=/proc/" + self + "/fd/" + fd.get(), "--"));
                    }
                    anchor.close();
                }
                ancestor = ancestor.get().parent();
            }
        }
        catch (final IOException ex)
        {
            System.err.println("berthd: cannot inspect mount namespaces (" + ex.getMessage() + "); binding " +
                "network namespaces in berthd's own");
        }
        return new HostMountNamespace(null, List.of());
    }

    /**
     * Prepends what makes {@code command} run in the mount namespace of {@code callerPid} (when positive, alive and
     * different from berthd's), else in the outer one found at start, else as it is.
     */
    public List<String> wrap(final long callerPid, final List<String> command)
    {
        List<String> chosen = prefix;
        if (callerPid > 0)
        {
            final Path link = Path.of("/proc/" + callerPid + "/ns/mnt");
            final Optional<String> theirs = readLink(link);
            final Optional<String> own = readLink(Path.of("/proc/self/ns/mnt"));
            if (theirs.isPresent() && own.isPresent() && !theirs.equals(own))
            {
                chosen = List.of("nsenter", "--mount=" + link, "--");
            }
            else if (theirs.isPresent() && theirs.equals(own))
            {
                chosen = List.of();
            }
        }
        if (chosen.isEmpty())
        {
            return command;
        }
        final java.util.ArrayList<String> wrapped = new java.util.ArrayList<>(chosen);
        wrapped.addAll(command);
        return wrapped;
    }

    public boolean isSeparate()
    {
        return !prefix.isEmpty();
    }

    @Override
    public void close()
    {
        if (anchor != null)
        {
            try
            {
                anchor.close();
            }
            catch (final IOException ignored)
            {
                // closing a read-only namespace descriptor cannot lose anything
            }
        }
    }

    private static Optional<String> readLink(final Path link)
    {
        try
        {
            return Optional.of(Files.readSymbolicLink(link).toString());
        }
        catch (final IOException | SecurityException ex)
        {
            return Optional.empty();
        }
    }

    private static Optional<Integer> findOwnFdPointingTo(final String target) throws IOException
    {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path fd : fds)
            {
                if (readLink(fd).filter(target::equals).isPresent())
                {
                    return Optional.of(Integer.parseInt(fd.getFileName().toString()));
                }
            }
        }
        return Optional.empty();
    }
}
