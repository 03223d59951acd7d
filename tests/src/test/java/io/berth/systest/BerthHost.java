package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One berthd in a private "host" network namespace, and everything a test made through it.
 *
 * <p>Every kernel object a test makes carries a random prefix ({@code bt<8 hex>}): the host namespace is
 * {@code <prefix>-h}, containers are {@code <prefix>-<suffix>} (short suffixes: berth may derive device names
 * from them). {@link #close()} removes all of it, also after a failure: containers ({@code berth rm -f}),
 * berthd (SIGTERM, then SIGKILL), every process left in a namespace with the prefix, the namespaces, the
 * temporary socket and state directory. berthd's log is kept in {@code tests/target/berthd-logs/}.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class BerthHost implements TopologyTestBase.Topology
{
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final Path root;
    private final String prefix;
    private final String hostNs;
    private final Path tmp;
    private final Path socket;
    private final Path stateDir;
    private final Path log;
    private final Set<String> containers = new LinkedHashSet<>();
    private final Set<String> networks = new LinkedHashSet<>();
    private final List<Spawned> spawned = new ArrayList<>();
    private final Thread shutdownHook;
    private Process berthd;
    private boolean closed;
    private boolean socketFromEnv;
    private final List<String> berthdArgs = new ArrayList<>();

    private BerthHost()
    {
        root = repoRoot();
        prefix = String.format("bt%08x", ThreadLocalRandom.current().nextInt());
        hostNs = prefix + "-h";
        try
        {
            tmp = Files.createTempDirectory("berth-" + prefix + "-");
        }
        catch (IOException e)
        {
            throw new UncheckedIOException(e);
        }
        socket = tmp.resolve("s.sock");
        stateDir = tmp.resolve("state");
        log = tmp.resolve("berthd.log");
        shutdownHook = new Thread(this::closeQuietly, "berth-systest-cleanup-" + prefix);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Checks the machine (skips, or fails under CI), makes the host namespace and starts berthd in it. */
    public static BerthHost start()
    {
        return start(false);
    }

    /**
     * Like {@link #start()}; with SOCKET_FROM_ENV berthd gets its socket only from BERTH_SOCKET (no
     * {@code --socket}).
     */
    public static BerthHost start(boolean socketFromEnv)
    {
        Capabilities.require();
        final BerthHost host = new BerthHost();
        host.socketFromEnv = socketFromEnv;
        try
        {
            host.checkLaunchers();
            host.must(Sh.run("ip", "netns", "add", host.hostNs));
            host.must(Sh.run("ip", "-n", host.hostNs, "link", "set", "lo", "up"));
            host.startBerthd();
            return host;
        }
        catch (Throwable t)
        {
            host.closeQuietly();
            throw t;
        }
    }

    /**
     * Like {@link #start()}, but BEFORE_BERTHD runs once the host namespace exists and before berthd starts (e.g.
     * to put an uplink device there, see {@link Uplink}), and berthd gets BERTHD_ARGS on every start (restarts
     * too), e.g. {@code --uplink IFACE --uplink-ip CIDR}.
     */
    public static BerthHost start(Consumer<BerthHost> beforeBerthd, List<String> berthdArgs)
    {
        Capabilities.require();
        final BerthHost host = new BerthHost();
        host.berthdArgs.addAll(berthdArgs);
        try
        {
            host.checkLaunchers();
            host.must(Sh.run("ip", "netns", "add", host.hostNs));
            host.must(Sh.run("ip", "-n", host.hostNs, "link", "set", "lo", "up"));
            beforeBerthd.accept(host);
            host.startBerthd();
            return host;
        }
        catch (Throwable t)
        {
            host.closeQuietly();
            throw t;
        }
    }

    // ------------------------------------------------------------------------------------------------ names

    public String prefix()
    {
        return prefix;
    }

    /** The namespace berthd runs in. */
    public String hostNs()
    {
        return hostNs;
    }

    /** A container name owned by this host: {@code <prefix>-<suffix>}. */
    public String name(String suffix)
    {
        return prefix + "-" + suffix;
    }

    public Path log()
    {
        return log;
    }

    public Path stateDir()
    {
        return stateDir;
    }

    /** berthd's API socket (what BERTH_SOCKET points at). */
    public Path socket()
    {
        return socket;
    }

    public Path root()
    {
        return root;
    }

    // ---------------------------------------------------------------------------------------------- berthd

    public boolean running()
    {
        return berthd != null && berthd.isAlive();
    }

    /** berthd's pid (the launcher execs java, so this is the JVM unless the launcher forks). */
    public long berthdPid()
    {
        return berthd.pid();
    }

    /** Starts berthd in the host namespace with this host's socket and state dir and waits until it answers. */
    public void startBerthd()
    {
        startBerthd(List.of());
    }

    /** {@link #startBerthd()} with more options for this start only (e.g. {@code --repair}). */
    public void startBerthd(final List<String> extraArgs)
    {
        if (running())
        {
            throw new IllegalStateException("berthd already running");
        }
        try
        {
            Files.writeString(log, "==== starting berthd " + Instant.now() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", hostNs, root.resolve("bin/berthd").toString()));
            if (!socketFromEnv)
            {
                cmd.addAll(List.of("--socket", socket.toString()));
            }
            cmd.addAll(List.of("--state-dir", stateDir.toString()));
            cmd.addAll(berthdArgs);
            cmd.addAll(extraArgs);
            final ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(root.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("BERTH_SOCKET", socket.toString());
            berthd = pb.start();
        }
        catch (IOException e)
        {
            throw new UncheckedIOException(e);
        }
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Result last = null;
        while (System.nanoTime() < deadline)
        {
            if (!berthd.isAlive())
            {
                fail("berthd exited with " + berthd.exitValue() + " before it was ready\n" + logTail());
            }
            if (Files.exists(socket))
            {
                last = berth(Duration.ofSeconds(20), "network", "ls");
                if (last.ok())
                {
                    return;
                }
            }
            sleep(200);
        }
        fail("berthd not ready after " + READY_TIMEOUT.toSeconds() + " s (socket " + socket + " " +
            (Files.exists(socket) ? "exists" : "missing") + ")\n" + (last == null ? "" : last + "\n") + logTail());
    }

    /** Runs berthd on this host's state dir in the foreground and returns how it ended (for starts that must fail). */
    public Result runBerthdToExit(final Duration timeout, final String... extraArgs)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", hostNs, root.resolve("bin/berthd").toString(),
            "--socket", socket.toString(), "--state-dir", stateDir.toString()));
        cmd.addAll(berthdArgs);
        cmd.addAll(Arrays.asList(extraArgs));
        return Sh.run(timeout, Map.of(), cmd);
    }

    /**
     * {@link #runBerthdToExit} with some of this host's berthd flags given other values ({@code --flag} -> value;
     * a flag it did not have is added).
     */
    public Result runBerthdToExitWith(final Duration timeout, final Map<String, String> replaced)
    {
        final List<String> args = new ArrayList<>(berthdArgs);
        final Map<String, String> left = new LinkedHashMap<>(replaced);
        for (int i = 0; i + 1 < args.size(); i++)
        {
            final String value = left.remove(args.get(i));
            if (value != null)
            {
                args.set(i + 1, value);
            }
        }
        left.forEach((flag, value) -> args.addAll(List.of(flag, value)));
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", hostNs, root.resolve("bin/berthd").toString(),
            "--socket", socket.toString(), "--state-dir", stateDir.toString()));
        cmd.addAll(args);
        return Sh.run(timeout, Map.of(), cmd);
    }

    /** SIGTERM, and waits for berthd to exit; fails (after a SIGKILL) when it does not stop in time. */
    public void stopBerthd()
    {
        if (berthd == null)
        {
            return;
        }
        final Process p = berthd;
        berthd = null;
        p.destroy(); // SIGTERM
        try
        {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                fail("berthd did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM; killed\n" + logTail());
            }
        }
        catch (InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL, as in a crash: berthd gets no chance to tidy up. */
    public void killBerthd()
    {
        if (berthd == null)
        {
            return;
        }
        final Process p = berthd;
        berthd = null;
        p.destroyForcibly();
        try
        {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    public void restartBerthd()
    {
        stopBerthd();
        startBerthd();
    }

    public String logTail()
    {
        try
        {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "--- berthd log (" + log + ", last 60 lines) ---\n" +
                String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        }
        catch (IOException | UncheckedIOException e)
        {
            return "--- no berthd log: " + e + " ---";
        }
    }

    // ------------------------------------------------------------------------------------------------- CLI

    /** Runs {@code bin/berth ARGS…} with BERTH_SOCKET pointing at this host's berthd. */
    public Result berth(String... args)
    {
        return berth(Sh.DEFAULT_TIMEOUT, args);
    }

    public Result berth(Duration timeout, String... args)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("bin/berth").toString());
        cmd.addAll(Arrays.asList(args));
        return Sh.run(timeout, Map.of("BERTH_SOCKET", socket.toString()), cmd);
    }

    /** Runs berth and fails the test (with the command, its output and berthd's log) when it exits non-zero. */
    public Result berthOk(String... args)
    {
        final Result r = berth(args);
        if (!r.ok())
        {
            fail("berth command failed\n" + r + "\n" + logTail());
        }
        return r;
    }

    /** Runs berth, expects success and JSON on stdout. */
    public JsonNode json(String... args)
    {
        final Result r = berthOk(args);
        try
        {
            return JSON.readTree(r.out());
        }
        catch (IOException e)
        {
            throw new AssertionError("not JSON from berth " + String.join(" ", args) + ": " + e.getMessage() + "\n" + r, e);
        }
    }

    /** {@code berth network create ARGS… NAME}; remembers NAME for {@link #reset()}. */
    public Result createNetwork(String name, String... opts)
    {
        final List<String> args = new ArrayList<>(List.of("network", "create"));
        args.addAll(Arrays.asList(opts));
        args.add(name);
        networks.add(name);
        return berthOk(args.toArray(String[]::new));
    }

    /**
     * {@code berth run -d --name <prefix>-SUFFIX OPTS…} — put {@code "--"} and the command in OPTS. Returns the
     * full container name.
     */
    public String run(String suffix, String... opts)
    {
        final String name = name(suffix);
        final List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name));
        args.addAll(Arrays.asList(opts));
        containers.add(name);
        berthOk(args.toArray(String[]::new));
        return name;
    }

    /** Remembers a container made some other way, so that it is removed. */
    public void track(String container)
    {
        containers.add(container);
    }

    /** {@code berth network inspect NAME} as the single object of its JSON array. */
    public JsonNode inspectNetwork(String name)
    {
        final JsonNode n = json("network", "inspect", name);
        return n.isArray() ? n.get(0) : n;
    }

    /** {@code berth inspect NAME} as one object (accepts an array of one, Docker-style). */
    public JsonNode inspect(String container)
    {
        final JsonNode n = json("inspect", container);
        return n.isArray() ? n.get(0) : n;
    }

    /** {@link #reset()} while berthd runs (a test may have stopped it). */
    @Override
    public void resetAfterTest()
    {
        if (running())
        {
            reset();
        }
    }

    /** Removes every container and network this host's tests created (ignoring errors), e.g. after each test. */
    public void reset()
    {
        resetContainers();
        resetNetworks();
    }

    /** The containers (and background processes) of {@link #reset()} only: networks stay. */
    public void resetContainers()
    {
        for (Spawned s : spawned)
        {
            s.kill();
        }
        spawned.clear();
        for (String c : containers)
        {
            berth("rm", "-f", c);
        }
        containers.clear();
    }

    /** The networks of {@link #reset()} only (a network some container still uses stays). */
    public void resetNetworks()
    {
        for (String n : networks)
        {
            berth("network", "rm", n);
        }
        networks.clear();
    }

    // ------------------------------------------------------------------------------------------ namespaces

    /** {@code ip netns exec NS CMD…} */
    public static Result inNs(String ns, String... cmd)
    {
        return inNs(Sh.DEFAULT_TIMEOUT, ns, cmd);
    }

    public static Result inNs(Duration timeout, String ns, String... cmd)
    {
        final List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(Arrays.asList(cmd));
        return Sh.run(timeout, Map.of(), all);
    }

    /** Starts a long-running process ({@code ip netns exec NS CMD…}) with its output in a file; killed on close. */
    public Spawned spawn(String ns, String... cmd)
    {
        final List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(Arrays.asList(cmd));
        try
        {
            final Path out = Files.createTempFile(tmp, "spawn-", ".out");
            final Process p = new ProcessBuilder(all)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
            final Spawned s = new Spawned(all, p, out);
            spawned.add(s);
            return s;
        }
        catch (IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    public static List<String> namespaces()
    {
        final Result r = Sh.run("ip", "netns", "list");
        final List<String> names = new ArrayList<>();
        for (String line : r.out().split("\n"))
        {
            final String t = line.trim();
            if (!t.isEmpty())
            {
                names.add(t.split("\\s+")[0]);
            }
        }
        return names;
    }

    /** The inode of a network namespace handle, e.g. {@code /run/netns/NAME} or {@code /proc/PID/ns/net}. */
    public static long nsInode(Path nsFile)
    {
        try
        {
            return ((Number) Files.getAttribute(nsFile, "unix:ino")).longValue();
        }
        catch (IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ clean-up

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (IllegalStateException ignored)
        {
            // already shutting down: the hook is what is calling us
        }
        closeQuietly();
    }

    private void closeQuietly()
    {
        closed = true;
        for (Spawned s : spawned)
        {
            s.kill();
        }
        if (running())
        {
            for (String c : containersOnRecord())
            {
                berth(Duration.ofSeconds(30), "rm", "-f", c);
            }
        }
        if (berthd != null)
        {
            final Process p = berthd;
            berthd = null;
            p.destroy();
            try
            {
                if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                {
                    Sh.killTree(p.toHandle());
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        // whatever is left in our namespaces (container processes, host-mode processes), then the namespaces
        for (String ns : namespaces())
        {
            if (ns.startsWith(prefix))
            {
                final Result pids = Sh.run("ip", "netns", "pids", ns);
                for (String pid : pids.out().split("\\s+"))
                {
                    if (!pid.isBlank())
                    {
                        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(Sh::killTree);
                    }
                }
            }
        }
        for (String ns : namespaces())
        {
            if (ns.startsWith(prefix))
            {
                Sh.run("ip", "netns", "delete", ns);
            }
        }
        // the resolv.conf and hosts files berthd writes per sandbox, and any a test wrote for the host namespace
        try (Stream<Path> dirs = Files.list(Path.of("/etc/netns")))
        {
            dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).forEach(Sh::deleteTree);
        }
        catch (IOException | RuntimeException ignored)
        {
            // no /etc/netns: nothing was written
        }
        keepLog();
        Sh.deleteTree(tmp);
    }

    /** Containers known from our own record and from {@code berth ps} (anything with our prefix). */
    private Set<String> containersOnRecord()
    {
        final Set<String> all = new LinkedHashSet<>(containers);
        final Result ps = berth(Duration.ofSeconds(30), "ps");
        for (String token : ps.out().split("[\\s,\"]+"))
        {
            if (token.startsWith(prefix + "-"))
            {
                all.add(token);
            }
        }
        return all;
    }

    private void keepLog()
    {
        try
        {
            if (Files.exists(log))
            {
                final Path dir = root.resolve("tests/target/berthd-logs");
                Files.createDirectories(dir);
                Files.copy(log, dir.resolve(prefix + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        catch (IOException ignored)
        {
            // the log is a courtesy
        }
    }

    // --------------------------------------------------------------------------------------------- helpers

    private void checkLaunchers()
    {
        for (String l : List.of("bin/berthd", "bin/berth"))
        {
            if (!Files.isExecutable(root.resolve(l)))
            {
                fail(root.resolve(l) + " is missing or not executable (build with `mvn -B -DskipTests package` first)");
            }
        }
    }

    private void must(Result r)
    {
        assertEquals(0, r.exit(), () -> "setup command failed\n" + r);
    }

    static void sleep(long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path repoRoot()
    {
        final String prop = System.getProperty("berth.root");
        if (prop != null && !prop.isBlank())
        {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null)
        {
            if (Files.exists(p.resolve("tests/pom.xml")) && Files.exists(p.resolve("pom.xml")))
            {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the repository root from " + System.getProperty("user.dir"));
    }

    /** A background process started by a test. */
    public static final class Spawned
    {
        private final List<String> command;
        private final Process process;
        private final Path out;

        Spawned(List<String> command, Process process, Path out)
        {
            this.command = command;
            this.process = process;
            this.out = out;
        }

        public String output()
        {
            try
            {
                return Files.readString(out, StandardCharsets.UTF_8);
            }
            catch (IOException e)
            {
                return "";
            }
        }

        public boolean alive()
        {
            return process.isAlive();
        }

        public Process process()
        {
            return process;
        }

        /** Waits until the output contains TEXT; false after the timeout. */
        public boolean awaitOutput(String text, Duration timeout)
        {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline)
            {
                if (output().contains(text))
                {
                    return true;
                }
                sleep(100);
            }
            return output().contains(text);
        }

        public void kill()
        {
            if (process.isAlive())
            {
                Sh.killTree(process.toHandle());
                try
                {
                    process.waitFor(5, TimeUnit.SECONDS);
                }
                catch (InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public String toString()
        {
            return String.join(" ", command) + "\n--- output ---\n" + output();
        }
    }
}
