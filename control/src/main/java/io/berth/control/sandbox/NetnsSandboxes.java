package io.berth.control.sandbox;

import io.berth.control.error.BerthException;
import io.berth.control.model.ProcessRecord;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sandboxes as named network namespaces made with iproute2 ({@code ip netns}), processes started with
 * {@code ip netns exec NAME setsid CMD}. Called from the control thread.
 */
public final class NetnsSandboxes implements Sandboxes
{
    private static final System.Logger LOG = System.getLogger("io.berth.control.sandbox");
    private static final Path NETNS_DIR = Path.of("/run/netns");
    private static final long KILL_WAIT_MILLIS = 5_000;

    private final HostMountNamespace hostMounts;
    private long callerPid;

    public NetnsSandboxes(final HostMountNamespace hostMounts)
    {
        this.hostMounts = hostMounts;
    }

    @Override
    public void caller(final long pid)
    {
        this.callerPid = pid;
    }

    @Override
    public boolean exists(final String netns)
    {
        // the file alone may be a leftover whose namespace is gone (reboot): it must be an nsfs mount
        final String mountPoint = NETNS_DIR.resolve(netns).toString();
        try
        {
            final Path callerMounts = Path.of("/proc/" + callerPid + "/mountinfo");
            final Path mountinfo = callerPid > 0 && Files.isReadable(callerMounts) ? callerMounts :
                Path.of("/proc/self/mountinfo");
            for (final String line : Files.readAllLines(mountinfo))
            {
                final String[] fields = line.split(" ");
                final int separator = line.indexOf(" - ");
                if (fields.length > 4 && fields[4].equals(mountPoint) && separator > 0 &&
                    line.substring(separator + 3).startsWith("nsfs "))
                {
                    return true;
                }
            }
        }
        catch (final IOException ex)
        {
            return Files.exists(NETNS_DIR.resolve(netns));
        }
        return false;
    }

    @Override
    public void create(final String netns) throws IOException
    {
        final Path file = NETNS_DIR.resolve(netns);
        if (Files.exists(file) && !exists(netns))
        {
            Files.deleteIfExists(file); // stale leftover of a namespace that no longer exists
        }
        Commands.run(hostMounts.wrap(callerPid, List.of("ip", "netns", "add", netns)));
        try
        {
            Commands.run(hostMounts.wrap(callerPid, List.of("ip", "-n", netns, "link", "set", "lo", "up")));
        }
        catch (final IOException ex)
        {
            delete(netns);
            throw ex;
        }
    }

    @Override
    public void delete(final String netns) throws IOException
    {
        if (!Files.exists(NETNS_DIR.resolve(netns)))
        {
            return;
        }
        // a persistent TAP outlives its namespace (it would reappear in berthd's): delete every link inside first
        try
        {
            final String links = Commands.run(List.of("ip", "-n", netns, "-o", "link", "show"));
            for (final String line : links.split("\n"))
            {
                final String[] fields = line.split(":\\s+", 3);
                if (fields.length >= 2)
                {
                    final String name = fields[1].split("@")[0].trim();
                    if (!name.isEmpty() && !name.equals("lo"))
                    {
                        Commands.run(List.of("ip", "-n", netns, "link", "del", "dev", name));
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot clear the links of " + netns + ": " + ex.getMessage());
        }
        Commands.run(hostMounts.wrap(callerPid, List.of("ip", "netns", "del", netns)));
    }

    @Override
    public void checkExecutable(final String command)
    {
        if (Executables.find(command) == Executables.Lookup.FOUND)
        {
            return;
        }
        throw new BerthException(command.contains("/") ? "cannot run " + command + ": no such executable file" :
            "executable file not found in $PATH: " + command);
    }

    @Override
    public ProcessRecord start(final String netns, final List<String> cmd, final Path log) throws IOException
    {
        return start(netns, null, cmd, log);
    }

    @Override
    public ProcessRecord start(final String netns, final String hostname, final List<String> cmd, final Path log)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        if (netns != null)
        {
            // in the user's mount namespace, like their own ip netns exec; nsenter and ip exec in place: same pid
            command.addAll(hostMounts.wrap(callerPid, List.of("ip", "netns", "exec", netns)));
        }
        if (hostname != null)
        {
            // a UTS namespace of its own (unshare without --fork execs in place: same pid) named as the container, so
            // that gethostname() names something its /etc/hosts lists: with the host's name, which it does not,
            // getfqdn() (Python's http.server calls it) waits for DNS timeouts when the resolver does not answer
            command.addAll(List.of("unshare", "--uts", "--", "sh", "-c",
                "printf '%s' \"$0\" > /proc/sys/kernel/hostname && exec \"$@\"", hostname));
        }
        // a child of the JVM is no process group leader, so setsid makes the session in place (same pid)
        command.addAll(List.of("setsid", "--"));
        command.addAll(cmd);
        Files.createDirectories(log.getParent());
        final Process process = new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectErrorStream(true)
            .start();
        final long pid = process.pid();
        return new ProcessRecord(pid, ProcStat.read(pid).map(ProcStat::startTime).orElse(0L), List.copyOf(cmd),
            log.toString());
    }

    @Override
    public boolean isAlive(final ProcessRecord process)
    {
        return ProcStat.read(process.pid())
            .filter(stat -> stat.state() != 'Z' && stat.state() != 'X')
            .filter(stat -> process.startTime() == 0 || stat.startTime() == process.startTime())
            .isPresent();
    }

    @Override
    public void killAllIn(final String netns)
    {
        final long deadline = System.currentTimeMillis() + KILL_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline)
        {
            final List<Long> pids = pidsIn(netns);
            if (pids.isEmpty())
            {
                return;
            }
            for (final long pid : pids)
            {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            pause();
        }
        LOG.log(System.Logger.Level.WARNING, "processes still left in " + netns + ": " + pidsIn(netns));
    }

    @Override
    public void killGroup(final ProcessRecord process)
    {
        if (!isAlive(process))
        {
            return;
        }
        ProcessHandle.of(process.pid()).ifPresent(leader -> leader.descendants().forEach(ProcessHandle::destroyForcibly));
        try
        {
            Commands.run(List.of("kill", "-KILL", "--", "-" + process.pid()));
        }
        catch (final IOException ex)
        {
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
        final long deadline = System.currentTimeMillis() + KILL_WAIT_MILLIS;
        while (isAlive(process) && System.currentTimeMillis() < deadline)
        {
            pause();
        }
    }

    private List<Long> pidsIn(final String netns)
    {
        final List<Long> pids = new ArrayList<>();
        if (!exists(netns))
        {
            return pids;
        }
        try
        {
            for (final String line : Commands.run(hostMounts.wrap(callerPid, List.of("ip", "netns", "pids", netns))).split("\n"))
            {
                if (!line.isBlank())
                {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot list processes of " + netns + ": " + ex.getMessage());
        }
        return pids;
    }

    private static void pause()
    {
        try
        {
            Thread.sleep(50);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
