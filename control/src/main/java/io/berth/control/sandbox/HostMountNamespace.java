package io.berth.control.sandbox;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ArrayList;

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
    private static final System.Logger LOG = System.getLogger("io.berth.control.sandbox");
    private final FileInputStream anchor;
    private final List<String> prefix;

    private HostMountNamespace(final FileInputStream anchor, final List<String> prefix)
    {
        this.anchor = anchor;
        this.prefix = prefix;
    }

    /**
     * Finds the outer mount namespace; none (commands run as they are) when berthd already runs in it. When berthd's
     * /run/netns is a slave of peer group N (what {@code ip netns exec} leaves), the outer namespace is one whose
     * /run/netns is shared in group N: a bind mount there reaches every peer, the user's namespace included, and
     * propagates down to berthd. Ancestors are tried first, then every process (the launcher may be gone).
     */
    public static HostMountNamespace discover()
    {
        try
        {
            final String own = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
            final Optional<String> master = propagationTag(Path.of("/proc/self/mountinfo"), "master:");
            final List<Long> candidates = new ArrayList<>();
            ProcessHandle.current().parent().ifPresent(parent ->
            {
                for (Optional<ProcessHandle> p = Optional.of(parent); p.isPresent(); p = p.get().parent())
                {
                    candidates.add(p.get().pid());
                }
            });
            if (master.isPresent())
            {
                ProcessHandle.allProcesses().map(ProcessHandle::pid).forEach(candidates::add);
            }
            for (final long pid : candidates)
            {
                final Path link = Path.of("/proc/" + pid + "/ns/mnt");
                final Optional<String> theirs = readLink(link);
                if (theirs.isEmpty() || theirs.get().equals(own))
                {
                    continue;
                }
                if (master.isPresent() && !propagationTag(Path.of("/proc/" + pid + "/mountinfo"), "shared:")
                    .map(tag -> tag.equals(master.get())).orElse(false))
                {
                    continue;
                }
                final HostMountNamespace found = anchorAt(link, theirs.get());
                if (found != null)
                {
                    return found;
                }
            }
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot inspect mount namespaces (" + ex.getMessage() + "); binding " +
                "network namespaces in berthd's own");
        }
        return new HostMountNamespace(null, List.of());
    }

    private static HostMountNamespace anchorAt(final Path link, final String target) throws IOException
    {
        final FileInputStream anchor;
        try
        {
            anchor = new FileInputStream(link.toFile());
        }
        catch (final IOException ex)
        {
            return null; // the process went away meanwhile
        }
        final Optional<Integer> fd = findOwnFdPointingTo(target);
        if (fd.isEmpty())
        {
            anchor.close();
            return null;
        }
        final long self = ProcessHandle.current().pid();
        return new HostMountNamespace(anchor, List.of("nsenter", "--mount=/proc/" + self + "/fd/" + fd.get(), "--"));
    }

    /** The peer group number after {@code kind} ("shared:" or "master:") on the /run/netns line of a mountinfo. */
    private static Optional<String> propagationTag(final Path mountinfo, final String kind)
    {
        try
        {
            for (final String line : Files.readAllLines(mountinfo))
            {
                final String[] fields = line.split(" ");
                if (fields.length > 6 && fields[4].equals("/run/netns"))
                {
                    for (int i = 6; i < fields.length && !fields[i].equals("-"); i++)
                    {
                        if (fields[i].startsWith(kind))
                        {
                            return Optional.of(fields[i].substring(kind.length()));
                        }
                    }
                }
            }
        }
        catch (final IOException | SecurityException ex)
        {
            return Optional.empty();
        }
        return Optional.empty();
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
        final ArrayList<String> wrapped = new ArrayList<>(chosen);
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
