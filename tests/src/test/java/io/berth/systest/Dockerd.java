package io.berth.systest;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A dockerd of a test's own (Debian's docker.io), in berthd's host namespace (entered with nsenter: under
 * {@code ip netns exec} dockerd remounts /sys and loses the cgroups), with private data and exec roots, socket and
 * pidfile under a temp dir, and flags that leave the namespace's networking alone: no iptables, no masquerade,
 * no forwarding, no default bridge. The image {@code berth-busybox} is imported from a busybox-static rootfs (no
 * registry). {@link #close()} removes every container, stops dockerd (and its containerd), unmounts what is left
 * under its roots and deletes them, also after a failure. Test thread.
 */
final class Dockerd implements AutoCloseable
{
    static final String IMAGE = "berth-busybox";
    private static final String DOCKER = "/usr/bin/docker"; // another CLI may come first on PATH
    private static final Duration READY = Duration.ofSeconds(90);

    private String netns;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private Dockerd(final Path dir, final List<String> extraArgs)
    {
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** Fails under CI, skips elsewhere, when docker.io or busybox-static is missing. */
    static void requireTools()
    {
        for (String tool : List.of("/usr/sbin/dockerd", DOCKER, "/bin/busybox", "/usr/bin/nsenter"))
        {
            if (!Files.isExecutable(Path.of(tool)))
            {
                if ("true".equalsIgnoreCase(System.getenv("CI")))
                {
                    fail("CI=true and " + tool + " is missing (.ci/install-tools installs docker.io, busybox-static)");
                }
                Assumptions.assumeTrue(false, "the Docker test needs " + tool);
            }
        }
    }

    /**
     * A dockerd's directory, made now (its API socket known before berthd starts, which reads names from it); the
     * daemon starts with {@link #startIn}.
     */
    static Dockerd prepare(final List<String> extraArgs)
    {
        requireTools();
        try
        {
            return new Dockerd(Files.createTempDirectory("berth-dockerd-"), List.copyOf(extraArgs));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Starts dockerd in NETNS and imports the image. */
    void startIn(final String namespace)
    {
        netns = namespace;
        try
        {
            startDaemon();
            importImage();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Starts dockerd and waits until it answers. */
    void startDaemon() throws IOException
    {
        Files.writeString(dir.resolve("daemon.json"), "{\"deprecated-key-path\": \"" + dir.resolve("key.json") +
            "\"}\n");
        final List<String> command = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns,
            "/usr/sbin/dockerd", "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--bridge=none",
            "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
            "--host", "unix://" + socket(), "--pidfile", dir.resolve("docker.pid").toString(),
            "--config-file", dir.resolve("daemon.json").toString()));
        command.addAll(extraArgs);
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile())).start();
        final long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline)
        {
            if (!process.isAlive())
            {
                fail("dockerd exited at start:\n" + log());
            }
            if (docker("version", "--format", "{{.Server.Version}}").ok())
            {
                return;
            }
            sleep(200);
        }
        fail("dockerd did not answer within " + READY + ":\n" + log());
    }

    /** Stops dockerd (SIGTERM; its containers keep running with --live-restore). */
    void stopDaemon()
    {
        if (process == null)
        {
            return;
        }
        process.destroy();
        try
        {
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                Sh.killTree(process.toHandle());
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    private void importImage() throws IOException
    {
        final Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        for (String d : List.of("etc", "tmp", "proc", "sys", "dev", "www"))
        {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : List.of("sh", "ping", "wget", "httpd", "ip", "cat", "sleep", "hostname", "nslookup",
            "nc", "echo", "grep"))
        {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("www/index.html"), "served by docker through berth\n");
        must(Sh.run("tar", "-C", rootfs.toString(), "-cf", dir.resolve("rootfs.tar").toString(), "."));
        must(docker("import", "--change", "ENV PATH=/bin", dir.resolve("rootfs.tar").toString(), IMAGE));
    }

    Path socket()
    {
        return dir.resolve("docker.sock");
    }

    /** Runs the docker CLI against this dockerd. */
    Result docker(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(DOCKER, "-H", "unix://" + socket()));
        command.addAll(List.of(args));
        return Sh.run(Duration.ofSeconds(60), command.toArray(String[]::new));
    }

    /** Runs the docker CLI and fails the test when it fails. */
    Result dockerOk(final String... args)
    {
        return must(docker(args));
    }

    String log()
    {
        try
        {
            final String text = Files.readString(dir.resolve("dockerd.log"));
            return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
        }
        catch (final IOException ex)
        {
            return "(no dockerd log: " + ex.getMessage() + ")";
        }
    }

    private Result must(final Result result)
    {
        if (!result.ok())
        {
            fail("command failed\n" + result + "\ndockerd:\n" + log());
        }
        return result;
    }

    /** Removes every container and network, then dockerd, its mounts and its directory. */
    @Override
    public void close()
    {
        if (process == null && netns != null && Files.exists(dir.resolve("data")))
        {
            try
            {
                startDaemon(); // stopped by a test (live restore): back, to remove its containers
            }
            catch (final IOException | RuntimeException | AssertionError ex)
            {
                // removed below by force
            }
        }
        if (process != null)
        {
            final Result ids = docker("ps", "-aq");
            if (ids.ok() && !ids.out().isBlank())
            {
                final List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(ids.out().trim().split("\\s+")));
                docker(rm.toArray(String[]::new));
            }
        }
        stopDaemon();
        // containerd and shims dockerd started; and anything still mounted under the roots
        Sh.run("pkill", "-KILL", "-f", dir.toString());
        final Result mounts = Sh.run("sh", "-c", "grep -o ' " + dir + "[^ ]*' /proc/mounts | sort -r");
        for (String mount : mounts.out().trim().split("\\s+"))
        {
            if (!mount.isBlank())
            {
                Sh.run("umount", "-l", mount.trim());
            }
        }
        Sh.run("rm", "-rf", dir.toString());
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
