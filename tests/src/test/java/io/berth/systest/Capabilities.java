package io.berth.systest;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the system tests need from the machine. Missing pieces skip the tests on a developer's machine, but
 * fail them when {@code CI=true}: in CI a skipped suite must never pass for a green one.
 */
public final class Capabilities
{
    public static final List<String> TOOLS = List.of("ip", "ping", "nc", "iperf3", "curl", "python3", "tcpdump", "dig",
        "dnsmasq", "getent", "promtool", "tshark");

    private static volatile String missing;

    private Capabilities()
    {
    }

    public static void require()
    {
        String m = missing;
        if (m == null)
        {
            m = probe();
            missing = m;
        }
        if (m.isEmpty())
        {
            return;
        }
        final String msg = "system tests need " + m + " (run them as root through .ci/run, which installs the tools)";
        if ("true".equalsIgnoreCase(System.getenv("CI")))
        {
            fail("CI=true and a capability is missing: " + msg);
        }
        assumeTrue(false, msg);
    }

    private static String probe()
    {
        final List<String> problems = new ArrayList<>();
        final Result id = Sh.run("id", "-u");
        if (!id.ok() || !"0".equals(id.out().trim()))
        {
            problems.add("root (uid is " + id.out().trim() + ")");
        }
        if (!Files.exists(Path.of("/dev/net/tun")))
        {
            problems.add("/dev/net/tun");
        }
        for (String tool : TOOLS)
        {
            if (which(tool) == null)
            {
                problems.add("`" + tool + "` on PATH");
            }
        }
        if (problems.isEmpty())
        {
            final Result ns = Sh.run("ip", "netns", "list");
            if (!ns.ok())
            {
                problems.add("`ip netns` working (" + ns.err().trim() + ")");
            }
        }
        return String.join(", ", problems);
    }

    public static Path which(String tool)
    {
        final String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(File.pathSeparator))
        {
            final Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p))
            {
                return p;
            }
        }
        return null;
    }
}
