package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Containers and networks come and go: logs, rm (namespace, processes, address), network rm. */
class LifecycleTest extends SystemTestBase
{
    @Test
    void logsKeepTheCommandsOutput()
    {
        host.createNetwork("lnet", "--subnet", "10.95.0.0/24");
        final String c = host.run("log", "--network", "lnet", "--", "sh", "-c", "echo hello-from-$((40+2)); echo to-stderr >&2; sleep 600");
        String logs = "";
        for (int i = 0; i < 50 && !logs.contains("hello-from-42"); i++)
        {
            BerthHost.sleep(200);
            logs = host.berthOk("logs", c).output();
        }
        final String l = logs;
        assertTrue(l.contains("hello-from-42"), () -> "berth logs " + c + ":\n" + l);
        assertTrue(l.contains("to-stderr"), () -> "stderr in berth logs too:\n" + l);
    }

    /**
     * Issue 26: a container runs in a UTS namespace of its own named as the container, a name its /etc/hosts lists:
     * Python's socket.getfqdn() (http.server calls it at start) answers from the hosts file at once instead of
     * waiting for DNS timeouts (no resolver answers here), and the machine keeps its own name.
     */
    @Test
    void aContainerIsNamedInAUtsNamespaceOfItsOwn() throws Exception
    {
        final Path machineName = Path.of("/proc/sys/kernel/hostname");
        final String before = Files.readString(machineName).trim();
        final String c = host.run("hn", "--", "/usr/bin/python3", "-c", "import socket, sys, time\n" +
            "t = time.time(); fqdn = socket.getfqdn(); took = time.time() - t\n" +
            "print('name=%s fqdn=%s took=%.2f' % (socket.gethostname(), fqdn, took)); sys.stdout.flush()\n" +
            "time.sleep(600)");
        final String l = logsOnce(c, "took=");
        assertTrue(l.contains("name=" + c + " fqdn=" + c + " "), () -> "the container's own name, from its hosts file:\n" + l);
        final double took = Double.parseDouble(l.substring(l.indexOf("took=") + 5).trim().split("\\s+")[0]);
        assertTrue(took < 2.0, () -> "getfqdn waited for DNS (a resolver timeout is 5 s): " + l);
        assertEquals(before, Files.readString(machineName).trim(), "the machine's own host name is unchanged");
    }

    @Test
    void hostnameNamesTheContainersHostAndItsHostsFileListsIt() throws Exception
    {
        final String c = host.run("hnx", "--hostname", "web-one", "--", "/usr/bin/python3", "-c",
            "import socket, sys, time\n" +
            "t = time.time(); a = socket.gethostbyname(socket.gethostname()); took = time.time() - t\n" +
            "print('name=%s addr=%s took=%.2f' % (socket.gethostname(), a, took)); sys.stdout.flush()\n" +
            "time.sleep(600)");
        final String l = logsOnce(c, "took=");
        final String ip = host.inspect(c).path("NetworkSettings").path("Networks").path("bridge").path("IPAddress")
            .asText();
        assertTrue(!ip.isEmpty() && l.contains("name=web-one addr=" + ip + " "), () -> "--hostname, found in its hosts file:\n" + l);
        assertEquals("web-one", host.inspect(c).path("Config").path("Hostname").asText());
        final Result bad = host.berth("run", "--name", host.name("hny"), "--hostname", "bad_name!", "--", "sleep", "1");
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("bad_name!") && bad.err().contains("RFC 1123"), bad::toString);
        assertFalse(host.berthOk("ps", "-a").out().contains(host.name("hny")), "nothing was made");
        final Result shared = host.berth("run", "--name", host.name("hnz"), "--network", "host", "--hostname", "x",
            "--", "sleep", "1");
        assertNotEquals(0, shared.exit());
        assertTrue(shared.err().contains("--hostname x needs a sandbox of its own"), shared::toString);
    }

    @Test
    void rmRemovesNamespaceProcessesAndFreesTheAddress()
    {
        host.createNetwork("rmnet", "--subnet", "10.96.0.0/24");
        final String a = host.run("a", "--network", "rmnet", "--", "sleep", "600");
        final String b = host.run("b", "--network", "rmnet");
        final long pid = host.inspect(a).path("State").path("Pid").asLong();
        assertTrue(pid > 0);
        assertEquals(List.of("10.96.0.2/24"), Net.ipv4(Net.link(Net.addrs(a), "eth0")));
        Net.assertPings(b, "10.96.0.2", host);

        host.berthOk("rm", "-f", a);

        assertFalse(BerthHost.namespaces().contains(a), "namespace " + a + " is gone");
        assertFalse(Files.exists(Path.of("/run/netns", a)), "/run/netns/" + a + " is gone");
        waitDead(pid);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " stopped");
        assertFalse(host.berthOk("ps").out().contains(a), "ps no longer lists " + a);
        assertFalse(host.inspectNetwork("rmnet").path("Containers").has(a), "network no longer lists " + a);
        assertNotEquals(0, host.berth("inspect", a).exit(), "inspect of a removed container fails");
        Net.assertNoPing(b, "10.96.0.2");

        final String c = host.run("c", "--network", "rmnet");
        assertEquals(List.of("10.96.0.2/24"), Net.ipv4(Net.link(Net.addrs(c), "eth0")), "the freed address is given again");
        assertEquals("02:42:0a:60:00:02", Net.link(Net.addrs(c), "eth0").path("address").asText());
        Net.assertPings(b, "10.96.0.2", host);
        Net.assertPings(c, "10.96.0.3", host);
    }

    @Test
    void networkRmOfEmptyNetworks()
    {
        host.createNetwork("gone1", "--subnet", "10.97.0.0/24");
        host.createNetwork("gone2", "--subnet", "10.98.0.0/24");
        final String a = host.run("a", "--network", "gone1");
        host.berthOk("rm", "-f", a);
        host.berthOk("network", "rm", "gone1", "gone2");
        final String ls = host.berthOk("network", "ls").out();
        assertFalse(ls.contains("gone1") || ls.contains("gone2"), () -> "network ls after rm:\n" + ls);
        assertTrue(ls.contains("bridge"), ls);
        assertNotEquals(0, host.berth("network", "inspect", "gone1").exit());
        // the name and the subnet are free again
        host.createNetwork("gone1", "--subnet", "10.97.0.0/24");
        final String b = host.run("b", "--network", "gone1");
        assertEquals(List.of("10.97.0.2/24"), Net.ipv4(Net.link(Net.addrs(b), "eth0")));
        Net.assertPings(b, "10.97.0.1", host);
    }

    private static void waitDead(long pid)
    {
        for (int i = 0; i < 50 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); i++)
        {
            BerthHost.sleep(100);
        }
    }

    /** The container's log once it contains {@code text} (20 s at most), or what it has then. */
    private String logsOnce(final String container, final String text)
    {
        String logs = "";
        for (int i = 0; i < 100 && !logs.contains(text); i++)
        {
            BerthHost.sleep(200);
            logs = host.berthOk("logs", container).output();
        }
        return logs;
    }
}
