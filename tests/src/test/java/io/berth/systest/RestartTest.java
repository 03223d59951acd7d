package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Nothing lost": stopping berthd leaves sandboxes and processes alone; a new berthd on the same state dir
 * brings back networks, addresses and ports, and traffic flows again between the containers that were there.
 */
class RestartTest
{
    private BerthHost host;

    @AfterEach
    void close()
    {
        if (host != null)
        {
            host.close();
        }
    }

    @Test
    void restartKeepsStateAndTrafficFlowsAgain()
    {
        host = BerthHost.start();
        host.createNetwork("keep", "--subnet", "10.61.0.0/24", "--ip-range", "10.61.0.0/28");
        host.createNetwork("keep2", "--subnet", "10.62.0.0/24", "-o", "icc=false");
        final String a = host.run("a", "--network", "keep");
        final String web = host.run("web", "--network", "keep", "--", "python3", "-m", "http.server", "8080");
        final String z = host.run("z", "--network", "keep2", "--ip", "10.62.0.20");
        Net.assertPings(a, "10.61.0.3", host);
        Net.assertHttpOk(a, "10.61.0.3", 8080, host);

        // a second interface made by network connect must come back too
        final String multi = host.run("m", "--network", "keep2", "--ip", "10.62.0.30");
        host.berthOk("network", "connect", "--ip", "10.61.0.9", "keep", multi);
        Net.assertPings(multi, "10.61.0.3", host);

        final String ls = host.berthOk("network", "ls").out();
        final JsonNode inspect = host.json("network", "inspect", "bridge", "keep", "keep2");
        final JsonNode aInspect = host.inspect(a).path("NetworkSettings");
        final long webPid = host.inspect(web).path("State").path("Pid").asLong();
        final String ps = host.berthOk("ps").out();

        host.stopBerthd();

        assertTrue(BerthHost.namespaces().containsAll(List.of(a, web, z)), "sandboxes outlive berthd");
        assertTrue(ProcessHandle.of(webPid).map(ProcessHandle::isAlive).orElse(false),
            "the container's process outlives berthd");
        assertTrue(Net.link(Net.addrs(a), "eth0") != null, () -> "eth0 stays in the sandbox\n" + Net.diag(a));

        host.startBerthd();

        assertEquals(ls, host.berthOk("network", "ls").out(), "network ls after restart");
        assertEquals(inspect, host.json("network", "inspect", "bridge", "keep", "keep2"), "network inspect after restart");
        assertEquals(aInspect, host.inspect(a).path("NetworkSettings"), "inspect after restart");
        assertEquals(webPid, host.inspect(web).path("State").path("Pid").asLong(), "same process after restart");
        assertEquals(ps, host.berthOk("ps").out(), "ps after restart");

        // traffic between the existing containers flows again, nobody re-created
        Net.assertPings(a, "10.61.0.3", host);
        Net.assertPings(web, "10.61.0.2", host);
        Net.assertHttpOk(a, "10.61.0.3", 8080, host);
        Net.assertTcpEcho(host, web, a, "10.61.0.3", 7101);
        Net.assertPings(z, "10.62.0.1", host);
        Net.assertPings(multi, "10.61.0.2", host);
        Net.assertPings(a, "10.61.0.9", host);
        Net.assertPings(multi, "10.62.0.1", host);
        // networks stay isolated from each other
        Net.assertNoPing(a, "10.62.0.20");

        // the allocator remembers: a new container gets the next free address, not a taken one
        final String b = host.run("b", "--network", "keep");
        assertEquals(List.of("10.61.0.4/24"), Net.ipv4(Net.link(Net.addrs(b), "eth0")), () -> Net.diag(b));
        Net.assertPings(b, "10.61.0.2", host);
        final String z2 = host.run("z2", "--network", "keep2");
        assertNotEquals(List.of("10.62.0.20/24"), Net.ipv4(Net.link(Net.addrs(z2), "eth0")));
        Net.assertNoPing(z2, "10.62.0.20");

        // and a second restart after changes made by the restarted berthd
        host.berthOk("rm", "-f", z2);
        host.restartBerthd();
        Net.assertPings(b, "10.61.0.3", host);
        assertTrue(!BerthHost.namespaces().contains(z2), "removed container stays removed");
        assertTrue(Files.isDirectory(host.stateDir()), "state dir " + host.stateDir());
        assertTrue(!host.berthOk("ps").out().contains(z2), "ps after second restart");
        assertTrue(Files.exists(Path.of("/run/netns", web)));
    }

    @Test
    void afterACrashTheJournalBringsEverythingBack()
    {
        host = BerthHost.start();
        host.createNetwork("crash", "--subnet", "10.63.0.0/24");
        final String a = host.run("a", "--network", "crash");
        final String web = host.run("web", "--network", "crash", "--", "python3", "-m", "http.server", "8080");
        host.berthOk("rm", "-f", host.run("gone", "--network", "crash"));
        Net.assertHttpOk(a, "10.63.0.3", 8080, host);
        final String inspect = host.json("network", "inspect", "crash").toString();
        final String ps = host.berthOk("ps").out();

        host.killBerthd(); // SIGKILL: no shutdown hook, the socket file stays behind
        host.startBerthd();

        assertEquals(inspect, host.json("network", "inspect", "crash").toString(), "network inspect after a crash");
        assertEquals(ps, host.berthOk("ps").out(), "ps after a crash");
        Net.assertPings(a, "10.63.0.3", host);
        Net.assertHttpOk(a, "10.63.0.3", 8080, host);
        final String b = host.run("b", "--network", "crash");
        assertEquals(List.of("10.63.0.4/24"), Net.ipv4(Net.link(Net.addrs(b), "eth0")), () -> Net.diag(b));
        Net.assertPings(b, "10.63.0.2", host);
    }
}
