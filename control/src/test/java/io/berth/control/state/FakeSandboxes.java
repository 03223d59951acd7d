package io.berth.control.state;

import io.berth.control.error.BerthException;
import io.berth.control.model.ProcessRecord;
import io.berth.control.sandbox.Sandboxes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Namespaces as a set of names, processes as pids that run until killed. */
final class FakeSandboxes implements Sandboxes
{
    final Set<String> namespaces = new HashSet<>();
    final Set<Long> running = new HashSet<>();
    private final Map<Long, String> namespaceOfPid = new HashMap<>();
    boolean failNextStart;
    private long nextPid = 1000;

    @Override
    public boolean exists(final String netns)
    {
        return namespaces.contains(netns);
    }

    @Override
    public void create(final String netns) throws IOException
    {
        if (!namespaces.add(netns))
        {
            throw new IOException("exists");
        }
    }

    @Override
    public void delete(final String netns)
    {
        namespaces.remove(netns);
    }

    @Override
    public void checkExecutable(final String command)
    {
        if (command.startsWith("missing"))
        {
            throw new BerthException("executable file not found in $PATH: " + command);
        }
    }

    @Override
    public ProcessRecord start(final String netns, final List<String> cmd, final Path log)
        throws IOException
    {
        if (failNextStart)
        {
            failNextStart = false;
            throw new IOException("injected start failure");
        }
        final long pid = nextPid++;
        running.add(pid);
        namespaceOfPid.put(pid, String.valueOf(netns));
        return new ProcessRecord(pid, 1, cmd, log.toString());
    }

    @Override
    public boolean isAlive(final ProcessRecord process)
    {
        return running.contains(process.pid());
    }

    @Override
    public void killAllIn(final String netns)
    {
        running.removeIf(pid -> netns.equals(namespaceOfPid.get(pid)));
    }

    @Override
    public void killGroup(final ProcessRecord process)
    {
        running.remove(process.pid());
    }
}
