package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** scenarios.md §4: host, none and container:OTHER modes. */
class NetworkModesTest extends SystemTestBase
{
    @Test
    void hostModeProcessSeesBerthdsNamespace()
    {
        // a marker interface that exists only in berthd's (the test host's) namespace
        final String marker = host.prefix() + "-m";
        final Result add = Sh.run("ip", "-n", host.hostNs(), "link", "add", marker, "type", "veth", "peer", "name",
            host.prefix() + "-n");
        assertEquals(0, add.exit(), add::toString);
        try
        {
            final String h = host.run("hst", "--network", "host", "--", "sleep", "600");
            final long pid = host.inspect(h).path("State").path("Pid").asLong();
            assertTrue(pid > 0, "State.Pid of a host-mode container");
            assertEquals(BerthHost.nsInode(Path.of("/run/netns", host.hostNs())),
                BerthHost.nsInode(Path.of("/proc/" + pid + "/ns/net")),
                "a host-mode process runs in berthd's network namespace");
            final Result links = host.berth("exec", h, "--", "ip", "-j", "link");
            assertEquals(0, links.exit(), links::toString);
            assertTrue(Net.ifnames(Net.parse(links)).contains(marker), () -> "exec in host mode sees " + links.out());
            host.berthOk("rm", "-f", h);
            for (int i = 0; i < 50 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); i++)
            {
                BerthHost.sleep(100);
            }
            assertTrue(!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "rm -f stops a host-mode process");
            assertTrue(Net.ifnames(Net.ipJson(host.hostNs(), "-j", "link")).contains(marker),
                "removing a host-mode container leaves the host's interfaces alone");
            if (Files.exists(Path.of("/run/netns", h)))
            {
                assertEquals(BerthHost.nsInode(Path.of("/run/netns", host.hostNs())), BerthHost.nsInode(Path.of("/run/netns", h)),
                    "host mode has no namespace of its own");
            }
        }
        finally
        {
            Sh.run("ip", "-n", host.hostNs(), "link", "del", marker);
        }
    }

    @Test
    void noneModeHasOnlyLoopbackAndNoRoutes()
    {
        final String n = host.run("non", "--network", "none", "--", "sleep", "600");
        final JsonNode addrs = Net.addrs(n);
        assertEquals(List.of("lo"), Net.ifnames(addrs), () -> Net.diag(n));
        assertTrue(Net.isUp(Net.link(addrs, "lo")), () -> "lo is up\n" + Net.diag(n));
        assertEquals(0, Net.routes(n).size(), () -> "no routes\n" + Net.diag(n));
        assertTrue(inNs(n, "ping", "-n", "-c", "1", "-W", "2", "127.0.0.1").ok(), "loopback works");
        final long pid = host.inspect(n).path("State").path("Pid").asLong();
        assertEquals(BerthHost.nsInode(Path.of("/run/netns", n)), BerthHost.nsInode(Path.of("/proc/" + pid + "/ns/net")),
            "the process runs in the none sandbox");
        final JsonNode nets = host.inspect(n).path("NetworkSettings").path("Networks");
        assertTrue(!nets.has("bridge"), () -> "a none container is on no network: " + nets);
    }

    @Test
    void containerModeSharesTheOthersNamespace()
    {
        host.createNetwork("pod", "--subnet", "10.51.0.0/24");
        final String web = host.run("web", "--network", "pod", "--", "python3", "-m", "http.server", "8080");
        final String side = host.run("side", "--network", "container:" + web, "--", "sleep", "600");

        final JsonNode webEth0 = Net.link(Net.addrs(web), "eth0");
        final Result sideLinks = host.berth("exec", side, "--", "ip", "-j", "addr", "show", "eth0");
        assertEquals(0, sideLinks.exit(), sideLinks::toString);
        final JsonNode sideEth0 = Net.parse(sideLinks).path(0);
        assertEquals(webEth0.path("address").asText(), sideEth0.path("address").asText(), "same MAC");
        assertEquals(Net.ipv4(webEth0), Net.ipv4(sideEth0), "same IP");
        assertEquals(List.of("10.51.0.2/24"), Net.ipv4(sideEth0));

        final long webPid = host.inspect(web).path("State").path("Pid").asLong();
        final long sidePid = host.inspect(side).path("State").path("Pid").asLong();
        assertEquals(BerthHost.nsInode(Path.of("/proc/" + webPid + "/ns/net")),
            BerthHost.nsInode(Path.of("/proc/" + sidePid + "/ns/net")), "both processes share one network namespace");

        // 127.0.0.1 in the side container reaches web's server
        String status = "000";
        for (int i = 0; i < 30 && !"200".equals(status); i++)
        {
            BerthHost.sleep(300);
            final Result r = host.berth("exec", side, "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "-m", "3", "http://127.0.0.1:8080/");
            status = r.out().trim();
        }
        if (!"200".equals(status))
        {
            fail("curl 127.0.0.1:8080 from " + side + " gave " + status + "\n" + host.logTail());
        }
        // and the pair is reachable from the network like one container
        final String other = host.run("o", "--network", "pod");
        Net.assertHttpOk(other, "10.51.0.2", 8080, host);
    }

    @Test
    void execPassesTheExitCodeThrough()
    {
        final String c = host.run("ex", "--network", "none");
        assertEquals(0, host.berth("exec", c, "--", "true").exit());
        assertEquals(7, host.berth("exec", c, "--", "sh", "-c", "exit 7").exit());
        final Result out = host.berth("exec", c, "--", "sh", "-c", "echo out-$((6*7)); echo err-line >&2");
        assertEquals(0, out.exit(), out::toString);
        assertTrue(out.out().contains("out-42"), out::toString);
        final Result lo = host.berth("exec", c, "--", "ip", "-j", "link");
        assertEquals(List.of("lo"), Net.ifnames(Net.parse(lo)), "exec runs in the sandbox");
    }
}
