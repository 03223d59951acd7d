package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** scenarios.md §1 and §8: who reaches whom — same network, other networks, icc=false, and bulk TCP. */
class ReachabilityTest extends SystemTestBase
{
    @Test
    void containersOnOneNetworkTalkPingTcpAndUdp()
    {
        host.createNetwork("rnet", "--subnet", "10.31.0.0/24");
        final String a = host.run("a", "--network", "rnet");
        final String web = host.run("web", "--network", "rnet", "--", "python3", "-m", "http.server", "8080");
        final String aIp = "10.31.0.2";
        final String webIp = "10.31.0.3";

        Net.assertPings(a, webIp, host);
        Net.assertPings(web, aIp, host);
        Net.assertPings(a, "10.31.0.1", host);
        Net.assertPings(web, "10.31.0.1", host);

        // TCP: the container's own process (started by berth run) serves HTTP, the other one fetches it
        Net.assertHttpOk(a, webIp, 8080, host);
        // TCP both ways with nc
        Net.assertTcpEcho(host, a, web, aIp, 7001);
        Net.assertTcpEcho(host, web, a, webIp, 7002);
        // UDP both ways
        Net.assertUdp(host, web, a, webIp, 7003);
        Net.assertUdp(host, a, web, aIp, 7004);

        // ARP learned the peer at the MAC berth gave it
        final String neigh = inNs(a, "ip", "neigh", "show", webIp).out();
        assertTrue(neigh.contains(Net.macFor(webIp)), () -> "neighbour entry of " + webIp + " in " + a + ": " + neigh);
    }

    @Test
    void containersOnDifferentNetworksCannotReachEachOther()
    {
        host.createNetwork("iso1", "--subnet", "10.32.0.0/24");
        host.createNetwork("iso2", "--subnet", "10.33.0.0/24");
        final String a = host.run("a", "--network", "iso1");
        final String web = host.run("web", "--network", "iso1", "--", "python3", "-m", "http.server", "8080");
        final String x = host.run("x", "--network", "iso2", "--", "python3", "-m", "http.server", "8080");
        final String webIp = "10.32.0.3";
        final String xIp = "10.33.0.2";

        // positive controls: each side works within its own network
        Net.assertHttpOk(a, webIp, 8080, host);
        Net.assertPings(x, "10.33.0.1", host);

        Net.assertNoPing(x, webIp);
        Net.assertNoPing(x, "10.32.0.2");
        Net.assertNoPing(a, xIp);
        Net.assertNoTcp(x, webIp, 8080);
        Net.assertNoTcp(a, xIp, 8080);
        // the other network's gateway is one of berthd's own addresses, not a container: as the host's
        // bridge addresses do in Docker, it answers ping (and only ping: nothing listens there)
        Net.assertPings(x, "10.32.0.1", host);

        // broadcasts stay inside their network: a's ARP requests reach web but never x
        final BerthHost.Spawned sameNet = Net.capture(host, web, "arp");
        final BerthHost.Spawned otherNet = Net.capture(host, x, "arp");
        inNs(a, "ping", "-n", "-c", "2", "-W", "1", "10.32.0.77"); // nobody has it: ARP broadcasts
        BerthHost.sleep(500);
        sameNet.kill();
        otherNet.kill();
        assertTrue(sameNet.output().contains("10.32.0.77"), () -> "web (same network) sees the ARP broadcast\n" + sameNet);
        assertTrue(!otherNet.output().contains("10.32.0.77"), () -> "x (other network) must not see it\n" + otherNet);
    }

    @Test
    void iccFalseIsolatesContainersButNotTheGateway()
    {
        host.createNetwork("noicc", "--subnet", "10.34.0.0/24", "-o", "icc=false");
        final String a = host.run("a", "--network", "noicc");
        final String web = host.run("web", "--network", "noicc", "--", "python3", "-m", "http.server", "8080");

        Net.assertPings(a, "10.34.0.1", host);
        Net.assertPings(web, "10.34.0.1", host);
        Net.assertNoPing(a, "10.34.0.3");
        Net.assertNoPing(web, "10.34.0.2");
        Net.assertNoTcp(a, "10.34.0.3", 8080);
        // the server is up (it answers on its own loopback): the refusal above is the network's doing
        Net.assertHttpOk(web, "127.0.0.1", 8080, host);

        // no frame of a's reaches web, not even its ARP broadcasts
        final BerthHost.Spawned seen = Net.capture(host, web, "ether", "src", Net.macFor("10.34.0.2"));
        inNs(a, "ping", "-n", "-c", "2", "-W", "1", "10.34.0.3");
        inNs(a, "ping", "-n", "-c", "1", "-W", "1", "-b", "10.34.0.255");
        BerthHost.sleep(500);
        seen.kill();
        assertTrue(!seen.output().contains(Net.macFor("10.34.0.2") + " >"),
            () -> "with icc=false web must see no frame from a\n" + seen);
    }

    @Test
    void fullSizedAndJumboFramesPassUnfragmented()
    {
        host.createNetwork("std", "--subnet", "10.36.0.0/24");
        host.createNetwork("jumbo", "--subnet", "10.37.0.0/24", "-o", "mtu=9000");
        final String a = host.run("a", "--network", "std");
        final String b = host.run("b", "--network", "std");
        final String j1 = host.run("j1", "--network", "jumbo");
        final String j2 = host.run("j2", "--network", "jumbo");
        assertPingsSized(a, "10.36.0.3", 1472); // 1500-byte IPv4 packets, DF set
        assertPingsSized(b, "10.36.0.1", 1472); // the gateway answers full-sized echo too
        assertPingsSized(j1, "10.37.0.3", 8972); // 9000-byte packets on the mtu=9000 network
        assertPingsSized(j2, "10.37.0.1", 8972);
        Net.assertTcpEcho(host, j2, j1, "10.37.0.3", 7005);
    }

    @Test
    void manyContainersOnOneNetwork()
    {
        host.createNetwork("many", "--subnet", "10.38.0.0/24");
        final int n = 8;
        final String[] c = new String[n];
        for (int i = 0; i < n; i++)
        {
            c[i] = host.run("m" + i, "--network", "many");
        }
        for (int i = 0; i < n; i++)
        {
            final String peer = "10.38.0." + (2 + (i + 1) % n);
            Net.assertPings(c[i], peer, host);
        }
        // every container learned, and all of them reach the first one at once
        final List<Thread> threads = new ArrayList<>();
        final Map<String, Boolean> ok = new ConcurrentHashMap<>();
        for (int i = 1; i < n; i++)
        {
            final String ns = c[i];
            final Thread t = new Thread(() -> ok.put(ns, Net.pings(ns, "10.38.0.2")));
            threads.add(t);
            t.start();
        }
        for (Thread t : threads)
        {
            try
            {
                t.join(30_000);
            }
            catch (InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        assertTrue(ok.size() == n - 1 && ok.values().stream().allMatch(v -> v), () -> "concurrent pings to 10.38.0.2: " + ok);
    }

    private void assertPingsSized(String ns, String ip, int payload)
    {
        Result r = null;
        for (int i = 0; i < 3; i++)
        {
            r = inNs(Duration.ofSeconds(10), ns, "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", String.valueOf(payload), ip);
            if (r.ok())
            {
                return;
            }
        }
        fail(ns + ": ping -M do -s " + payload + " " + ip + " failed\n" + r + "\n" + Net.diag(ns) + "\n" + host.logTail());
    }

    @Test
    void iperf3TcpBetweenTwoContainers()
    {
        host.createNetwork("perf", "--subnet", "10.35.0.0/24");
        final String a = host.run("a", "--network", "perf");
        final String b = host.run("b", "--network", "perf");
        final BerthHost.Spawned server = host.spawn(b, "iperf3", "-s", "-1", "-p", "5201");
        Result r = null;
        for (int i = 0; i < 10; i++)
        {
            BerthHost.sleep(300);
            r = inNs(Duration.ofSeconds(30), a, "iperf3", "-c", "10.35.0.3", "-p", "5201", "-t", "3", "-J");
            if (Net.iperfOk(r))
            {
                break;
            }
            if (!server.alive())
            {
                break;
            }
        }
        final Result result = r;
        if (result == null || !Net.iperfOk(result))
        {
            fail("iperf3 failed\n" + result + "\nserver: " + server + "\n" + host.logTail());
        }
        final JsonNode j = Net.parse(result);
        final double received = j.path("end").path("sum_received").path("bits_per_second").asDouble();
        final double bytes = j.path("end").path("sum_received").path("bytes").asDouble();
        System.out.printf("iperf3 a->b through berth: %.2f Gbit/s%n", received / 1e9);
        assertTrue(received > 0 && bytes > 0, () -> "no throughput: " + result.out());
    }
}
