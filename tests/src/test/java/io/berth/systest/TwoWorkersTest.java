package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.ArrayList;

/**
 * berthd --workers 2: container ports are dealt out in turn to the owner worker (graph, tables, the uplink and
 * berth0) and a port worker that reads and writes its share. Traffic between two containers on different workers,
 * and from a port worker's container through SNAT and to it through DNAT, must work as with one worker, its
 * connections tracked once, from both directions, and nothing dropped for a missing egress.
 */
class TwoWorkersTest extends UplinkTestBase
{
    private static final String PORT_WORKER = "berth-ports-1";

    @Override
    protected List<String> moreBerthdArgs()
    {
        return List.of("--workers", "2");
    }

    private String ipOf(final String container)
    {
        final JsonNode networks = host.inspect(container).path("NetworkSettings").path("Networks");
        return networks.elements().next().path("IPAddress").asText();
    }

    /** The worker that reads and writes the container's port, from {@code berth counters}. */
    private String workerOf(final String container)
    {
        final JsonNode ports = host.json("counters", "-o", "json").path("ports");
        return ports.path(container + "/eth0").path("worker").asText("?");
    }

    /** Runs containers until one lands on the port worker; those before it stay (on the owner). */
    private String runOnPortWorker(final String name)
    {
        for (int i = 0; i < 3; i++)
        {
            final String c = host.run(name + i);
            if (PORT_WORKER.equals(workerOf(c)))
            {
                return c;
            }
        }
        throw new AssertionError("no container landed on " + PORT_WORKER + ":\n" + host.berth("counters").out());
    }

    @Test
    void containersOnDifferentWorkersPingTalkAndMoveBulkTcpBothWays()
    {
        final String a = host.run("a");
        final String b = host.run("b");
        assertNotEquals(workerOf(a), workerOf(b), "two containers in a row go to different workers\n" +
            host.berth("counters").out());
        final String ipA = ipOf(a);
        final String ipB = ipOf(b);
        final Result ping = inNs(a, "ping", "-c", "5", "-i", "0.2", "-W", "2", ipB);
        assertTrue(ping.ok() && ping.out().contains(" 0% packet loss"), ping.toString());
        Net.assertTcpEcho(host, b, a, ipB, 7501);
        Net.assertTcpEcho(host, a, b, ipA, 7502);
        Net.assertUdp(host, b, a, ipB, 7503);
        // 64 KiB TSO frames cross between the workers as handles: a lost or cut one stalls TCP far below this
        Net.assertBulkTcp(host, b, null, a, ipB, 5301, 2, 50e6);
        Net.assertBulkTcp(host, a, null, b, ipA, 5302, 2, 50e6);
        final JsonNode counters = host.json("counters", "-o", "json");
        assertEquals(0, counters.path("drops").path("no_egress").asLong(), counters.toPrettyString());
        assertEquals(0, counters.path("drops").path("tx_failed").asLong(), counters.toPrettyString());
        assertTrue(counters.path("port_workers").path(PORT_WORKER).path("cycles").asLong() > 0,
            counters.toPrettyString());
    }

    @Test
    void aPortWorkersContainerReachesTheOutsideThroughSnatAndIsReachedThroughDnat()
    {
        final String c = runOnPortWorker("s");
        Net.assertBulkTcp(host, outside, Uplink.OUTSIDE_IP, c, Uplink.OUTSIDE_IP, 5303, 2, 10e6);
        String web = host.run("web", "-p", "12411:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        if (!PORT_WORKER.equals(workerOf(web)))
        {
            host.berth("rm", "-f", web);
            web = host.run("web2", "-p", "12411:8080", "--", "python3", "-u", "-m", "http.server", "8080");
            assertEquals(PORT_WORKER, workerOf(web), host.berth("counters").out());
        }
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 12411, host);
        // the reply direction of each connection was found, on the owner, though its packets came in on the port
        // worker's port: the SNAT'd bulk and the DNAT'd GET are ASSURED (seen both ways)
        final String ipC = ipOf(c);
        final String ipWeb = ipOf(web);
        final List<JsonNode> bulk = NatTools.entries(host, e -> ipC.equals(e.path("original").path("src").asText())
            && e.path("original").path("dport").asInt() == 5303);
        assertTrue(!bulk.isEmpty() && bulk.stream().allMatch(e -> flags(e).containsAll(List.of("ASSURED", "SNAT"))),
            "iperf's connections, SNAT'd and assured\n" + NatTools.diag(host));
        assertTrue(NatTools.entries(host, NatTools.original("tcp", Uplink.UPLINK_IP, 12411)).stream().anyMatch(e ->
                ipWeb.equals(e.path("reply").path("src").asText()) && flags(e).containsAll(List.of("ASSURED", "DNAT"))),
            "the GET that was answered, DNAT'd to " + ipWeb + " and assured\n" + NatTools.diag(host));
    }

    private static List<String> flags(final JsonNode entry)
    {
        final List<String> flags = new ArrayList<>();
        entry.path("flags").forEach(f -> flags.add(f.asText()));
        return flags;
    }

    @Test
    void removingAndAddingContainersKeepsBothWorkersServing()
    {
        for (int round = 0; round < 3; round++)
        {
            final String x = host.run("x" + round);
            final String y = host.run("y" + round);
            Net.assertPings(x, ipOf(y), host);
            host.berth("rm", "-f", x);
            host.berth("rm", "-f", y);
        }
        final String p = host.run("p");
        final String q = host.run("q");
        Net.assertTcpEcho(host, q, p, ipOf(q), 7504);
    }
}
