package io.berth.tap;

import com.sun.security.auth.module.UnixSystem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real-kernel test plumbing: capability checks, unique names, and a scope that removes every namespace and device
 * it created, also when the test fails. Test thread only.
 */
final class Kernel implements AutoCloseable
{
    private static final AtomicInteger SEQ = new AtomicInteger();
    static final long PID = ProcessHandle.current().pid();

    private final List<String> namespaces = new ArrayList<>();
    private final List<String> devices = new ArrayList<>();
    private final List<Runnable> closers = new ArrayList<>();
    private final String prefix;

    Kernel()
    {
        this("bttap");
    }

    /** {@code prefix}: at most 5 characters, so prefix + pid + kind + seq fits IFNAMSIZ. */
    Kernel(final String prefix)
    {
        this.prefix = prefix;
    }

    /** Skips without root and iproute2; fails instead when CI=true. */
    static void requireRoot()
    {
        final boolean root = new UnixSystem().getUid() == 0;
        final boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
            || Files.isExecutable(Path.of("/usr/bin/ip")) || Files.isExecutable(Path.of("/bin/ip"));
        final String why = "needs root (" + root + ") and iproute2 (" + ip + ")";
        if ("true".equals(System.getenv("CI")) && !(root && ip))
        {
            fail(why);
        }
        assumeTrue(root && ip, why);
    }

    /** Skips when {@code tool} is not on the PATH; fails instead when CI=true. */
    static void requireTool(final String tool)
    {
        boolean found = false;
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
        {
            found |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool));
        }
        if ("true".equals(System.getenv("CI")) && !found)
        {
            fail("needs " + tool);
        }
        assumeTrue(found, "needs " + tool);
    }

    /** Skips without root and /dev/net/tun; fails instead when CI=true (a missing capability fails CI). */
    static void requireRootAndTun()
    {
        final boolean root = new UnixSystem().getUid() == 0;
        final boolean tun = Files.exists(Path.of("/dev/net/tun"));
        final boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
            || Files.isExecutable(Path.of("/usr/bin/ip")) || Files.isExecutable(Path.of("/bin/ip"));
        final String why = "needs root (" + root + "), /dev/net/tun (" + tun + ") and iproute2 (" + ip + ")";
        if ("true".equals(System.getenv("CI")) && !(root && tun && ip))
        {
            fail(why);
        }
        assumeTrue(root && tun && ip, why);
    }

    /** A fresh name with the test prefix; {@code "bttap<pid>" + letter + seq} fits IFNAMSIZ. */
    static String uniqueName(final char kind)
    {
        return "bttap" + PID + kind + SEQ.incrementAndGet();
    }

    /** A fresh name with this scope's prefix. */
    String name(final char kind)
    {
        return prefix + PID + kind + SEQ.incrementAndGet();
    }

    String namespace() throws IOException
    {
        final String ns = name('n');
        sh("ip", "netns", "add", ns);
        namespaces.add(ns);
        // no IPv6 chatter (router solicitations, MLD): tests see only the frames they cause
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        return ns;
    }

    /** Remembers a device name to delete (from the current namespace) at close, whatever became of it. */
    String device(final String name)
    {
        devices.add(name);
        return name;
    }

    /** Runs {@code closer} at close (before devices and namespaces go); closers must be idempotent. */
    void onClose(final Runnable closer)
    {
        closers.add(closer);
    }

    /**
     * Moves {@code dev} into {@code ns} as eth0 with 192.0.2.1/24, up; returns its MAC.
     */
    static byte[] plumbAsEth0(final String dev, final String ns) throws IOException
    {
        sh("ip", "link", "set", dev, "netns", ns, "name", "eth0");
        sh("ip", "-n", ns, "addr", "add", "192.0.2.1/24", "dev", "eth0");
        sh("ip", "-n", ns, "link", "set", "eth0", "up");
        final String mac = sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/eth0/address").trim();
        return parseMac(mac);
    }

    static byte[] parseMac(final String mac)
    {
        final String[] parts = mac.split(":");
        final byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            bytes[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return bytes;
    }

    /** Runs a command, returns stdout+stderr; throws when it exits non-zero. */
    static String sh(final String... command) throws IOException
    {
        final Result r = run(command);
        if (r.exit != 0)
        {
            throw new IOException(String.join(" ", command) + " exited " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    record Result(int exit, String output)
    {
    }

    static Result run(final String... command) throws IOException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        }
        catch (final InterruptedException e)
        {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /**
     * Waits until the kernel transmits on {@code dev}: carrier up and its qdisc attached. The link watcher does
     * that after {@code ip link set up}, up to a second later; until then frames sent on it are dropped silently.
     */
    static void awaitTransmitReady(final String ns, final String dev) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String state = "";
        while (System.nanoTime() < deadline)
        {
            state = sh("ip", "-n", ns, "-o", "link", "show", "dev", dev);
            if (state.contains("LOWER_UP") && !state.contains("qdisc noop"))
            {
                return;
            }
            Thread.sleep(5);
        }
        fail(dev + " in " + ns + " is not ready to transmit after 10 s: " + state);
    }

    static boolean linkExists(final String ns, final String dev) throws IOException
    {
        return ns == null ? run("ip", "link", "show", "dev", dev).exit == 0
            : run("ip", "-n", ns, "link", "show", "dev", dev).exit == 0;
    }

    @Override
    public void close() throws IOException
    {
        for (int i = closers.size() - 1; i >= 0; i--)
        {
            closers.get(i).run();
        }
        for (final String dev : devices)
        {
            run("ip", "link", "del", "dev", dev); // may be gone already
        }
        for (final String ns : namespaces)
        {
            run("ip", "-n", ns, "link", "del", "dev", "eth0"); // persistent taps would survive netns deletion
            run("ip", "netns", "del", ns);
        }
    }
}
