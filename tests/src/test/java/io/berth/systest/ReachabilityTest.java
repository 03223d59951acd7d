package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
        // and not the other network's gateway address either
        Net.assertNoPing(x, "10.32.0.1");
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
            if (r.ok())
            {
                break;
            }
            if (!server.alive())
            {
                break;
            }
        }
        final Result result = r;
        if (result == null || !result.ok())
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
