package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * Issue 12, flow log: {@code berthd --flow-log --flow-log-start} records connections through SNAT and DNAT with
 * their tuples before and after translation, and packets and bytes each way that match the container's own
 * interface counters; {@code berth flows} filters by {@code --since} and follows; a UDP flow starts when answered
 * and ends by timeout.
 */
class FlowLogTest extends UplinkTestBase
{
    private static final String UP = Uplink.UPLINK_IP;
    private static final String OUT = Uplink.OUTSIDE_IP;
    private static final int BLOB = 300_000;
    private Path served;

    @Override
    protected List<String> moreBerthdArgs()
    {
        return List.of("--flow-log", "--flow-log-start", "--conntrack-timeout", "udp=2", "--conntrack-timeout",
            "udp_stream=2");
    }

    @BeforeAll
    void makeABlob() throws IOException
    {
        served = host.root().resolve("tests/target").resolve(host.prefix() + "-www");
        Files.createDirectories(served);
        Files.write(served.resolve("blob"), new byte[BLOB]);
    }

    /** An HTTP server outside on 10.99.0.2:8088 serving the blob; the host's reset after the test stops it. */
    private void serveOutside()
    {
        // a TCPServer, not http.server's HTTPServer: that one looks its own name up in DNS first, which here
        // (no resolver reachable from the outside namespace) takes 20 s
        host.spawn(outside, "python3", "-c", "import functools, http.server, socketserver\n"
            + "socketserver.TCPServer.allow_reuse_address = True\n"
            + "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory='" + served + "')\n"
            + "socketserver.TCPServer(('" + OUT + "', 8088), handler).serve_forever()");
    }

    @AfterAll
    void removeTheBlob() throws IOException
    {
        if (served != null)
        {
            Files.deleteIfExists(served.resolve("blob"));
            Files.deleteIfExists(served);
        }
    }

    /** The container's eth0 counters: tx packets, tx bytes, rx packets, rx bytes. */
    private static long[] counters(final String ns)
    {
        final JsonNode stats = Net.ipJson(ns, "-j", "-s", "link", "show", "eth0").get(0).path("stats64");
        return new long[] {stats.path("tx").path("packets").asLong(), stats.path("tx").path("bytes").asLong(),
            stats.path("rx").path("packets").asLong(), stats.path("rx").path("bytes").asLong()};
    }

    /**
     * eth0's counters once nothing has crossed it for 300 ms: the last packets of an earlier connection (a
     * retransmitted FIN or ACK on a loaded machine) must not fall into the measured window (seen once in a full
     * suite: one packet more received than the connection had).
     */
    private static long[] settledCounters(final String ns)
    {
        long[] last = counters(ns);
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline)
        {
            BerthHost.sleep(300);
            final long[] now = counters(ns);
            if (Arrays.equals(now, last))
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** Nothing but the measured connection crosses eth0: no IPv6, and the gateway's MAC fixed (no ARP). */
    private static void quiet(final String ns, final String gateway)
    {
        BerthHost.inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        BerthHost.inNs(ns, "sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1");
        assertTrue(Net.pings(ns, gateway), ns + " reaches " + gateway);
        final JsonNode neigh = Net.ipJson(ns, "-j", "neigh", "show", gateway, "dev", "eth0");
        final String mac = neigh.get(0).path("lladdr").asText();
        assertFalse(mac.isEmpty(), neigh.toString());
        Sh.run(Duration.ofSeconds(5), Map.of(), List.of("ip", "-n", ns, "neigh", "replace", gateway, "lladdr",
            mac, "dev", "eth0", "nud", "permanent"));
    }

    private List<JsonNode> flows(final String... more)
    {
        final List<String> args = new ArrayList<>(List.of("flows", "-o", "json"));
        args.addAll(List.of(more));
        final Result r = host.berthOk(args.toArray(String[]::new));
        final List<JsonNode> records = new ArrayList<>();
        for (final String line : r.out().split("\n"))
        {
            if (!line.isBlank())
            {
                try
                {
                    records.add(BerthHost.JSON.readTree(line));
                }
                catch (final IOException ex)
                {
                    fail("not a JSON line: " + line);
                }
            }
        }
        return records;
    }

    private JsonNode awaitFlow(final Predicate<JsonNode> which, final String what)
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<JsonNode> seen = List.of();
        while (System.nanoTime() < deadline)
        {
            seen = flows();
            for (final JsonNode r : seen)
            {
                if (which.test(r))
                {
                    return r;
                }
            }
            BerthHost.sleep(200);
        }
        return fail("no flow record for " + what + " in\n" + String.join("\n", seen.stream().map(JsonNode::toString)
            .toList()) + "\n" + host.logTail());
    }

    private static void assertCountsMatch(final JsonNode flow, final long[] before, final long[] after,
        final String sent, final String received)
    {
        final long txPackets = after[0] - before[0];
        final long rxPackets = after[2] - before[2];
        // the interface counts Ethernet frames (14 bytes more each); conntrack counts IPv4 bytes, as the kernel's
        assertEquals(txPackets, flow.path("packets").path(sent).asLong(), "packets the container sent\n" + flow);
        assertEquals(after[1] - before[1] - 14 * txPackets, flow.path("bytes").path(sent).asLong(),
            "bytes the container sent\n" + flow);
        assertEquals(rxPackets, flow.path("packets").path(received).asLong(), "packets it received\n" + flow);
        assertEquals(after[3] - before[3] - 14 * rxPackets, flow.path("bytes").path(received).asLong(),
            "bytes it received\n" + flow);
    }

    @Test
    void aFinishedCurlThroughSnatWithItsBytesCrossCheckedAgainstTheContainersCounters()
    {
        serveOutside();
        final String c = host.run("fc");
        final String ip = host.inspect(c).path("NetworkSettings").path("Networks").path("bridge").path("IPAddress")
            .asText();
        Net.assertHttpOk(c, OUT, 8088, host);
        quiet(c, "172.17.0.1");
        final long[] before = settledCounters(c);
        final Result curl = BerthHost.inNs(Duration.ofSeconds(30), c, "curl", "-s", "-o", "/dev/null", "-w",
            "%{local_port} %{size_download}", "http://" + OUT + ":8088/blob");
        assertTrue(curl.ok(), curl.toString());
        final String[] got = curl.out().trim().split(" ");
        assertEquals(Integer.toString(BLOB), got[1], curl.toString());
        final int port = Integer.parseInt(got[0]);
        final JsonNode flow = awaitFlow(r -> "end".equals(r.path("event").asText())
            && r.path("original").path("sport").asInt() == port, "the curl from port " + port);
        final long[] after = counters(c); // the record is written after the last packet passed
        assertEquals("tcp", flow.path("proto").asText());
        assertEquals(c, flow.path("container").asText(), flow.toString());
        assertEquals("snat", flow.path("nat").asText(), flow.toString());
        assertEquals(ip, flow.path("original").path("src").asText());
        assertEquals(OUT, flow.path("original").path("dst").asText());
        assertEquals(8088, flow.path("original").path("dport").asInt());
        assertEquals(UP, flow.path("translated").path("src").asText(), "masqueraded to the uplink's address");
        assertEquals("fin", flow.path("reason").asText(), flow.toString());
        assertTrue(flow.path("bytes").path("reply").asLong() > BLOB, flow.toString());
        assertCountsMatch(flow, before, after, "original", "reply");
        // the start was recorded too, when the server answered
        awaitFlow(r -> "start".equals(r.path("event").asText()) && r.path("original").path("sport").asInt() == port,
            "the start of the curl");

        // the table says the same
        final Result table = host.berthOk("flows");
        assertTrue(table.out().lines().anyMatch(l -> l.contains(ip + ":" + port + " > " + OUT + ":8088")
            && l.contains(UP + ":") && l.contains(" snat") && l.contains(" fin") && l.contains(" end ")), table.out());
    }

    @Test
    void aPublishedConnectionShowsTheTranslationToTheContainer()
    {
        final String web = host.run("fweb", "-p", "12241:8080", "--", "python3", "-m", "http.server", "8080");
        final String webIp = host.inspect(web).path("NetworkSettings").path("Networks").path("bridge")
            .path("IPAddress").asText();
        Net.assertHttpOk(outside, UP, 12241, host);
        quiet(web, "172.17.0.1");
        final long[] before = settledCounters(web);
        final Result curl = BerthHost.inNs(Duration.ofSeconds(30), outside, "curl", "-s", "-o", "/dev/null", "-w",
            "%{local_port}", "http://" + UP + ":12241/");
        assertTrue(curl.ok(), curl.toString());
        final int port = Integer.parseInt(curl.out().trim());
        final JsonNode flow = awaitFlow(r -> "end".equals(r.path("event").asText())
            && r.path("original").path("sport").asInt() == port, "the published connection from port " + port);
        final long[] after = counters(web);
        assertEquals(web, flow.path("container").asText(), flow.toString());
        assertEquals("dnat", flow.path("nat").asText());
        assertEquals(OUT, flow.path("original").path("src").asText());
        assertEquals(UP, flow.path("original").path("dst").asText());
        assertEquals(12241, flow.path("original").path("dport").asInt());
        assertEquals(webIp, flow.path("translated").path("dst").asText(), "sent on to the container");
        assertEquals(8080, flow.path("translated").path("dport").asInt());
        // the container received the original direction and sent the reply
        assertCountsMatch(flow, before, after, "reply", "original");
    }

    @Test
    void anAnsweredUdpFlowStartsAndEndsByTimeout()
    {
        final String c = host.run("fu");
        host.spawn(outside, "python3", "-c", "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
            "s.bind(('" + OUT + "',5353))\nwhile True:\n d,a=s.recvfrom(2048)\n s.sendto(d,a)");
        final String exchange = "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
            "s.bind(('0.0.0.0',40555))\ns.settimeout(1)\n" +
            "for i in range(20):\n s.sendto(b'x'*100,('" + OUT + "',5353))\n" +
            " try:\n  s.recvfrom(2048); print('answered'); break\n except socket.timeout: pass\n";
        final Result r = BerthHost.inNs(Duration.ofSeconds(30), c, "python3", "-c", exchange);
        assertTrue(r.out().contains("answered"), r.toString());
        final JsonNode start = awaitFlow(f -> "start".equals(f.path("event").asText())
            && f.path("original").path("sport").asInt() == 40555, "the UDP start");
        assertEquals("udp", start.path("proto").asText());
        final JsonNode end = awaitFlow(f -> "end".equals(f.path("event").asText())
            && f.path("original").path("sport").asInt() == 40555, "the UDP end (2 s timeout)");
        assertEquals("timeout", end.path("reason").asText());
        assertEquals(128, end.path("bytes").path("reply").asLong() / end.path("packets").path("reply").asLong(),
            "100 bytes of payload, 8 of UDP and 20 of IPv4 a datagram\n" + end);
    }

    @Test
    void sinceFiltersAndFollowPrintsNewRecordsAsTheyCome() throws Exception
    {
        serveOutside();
        final String c = host.run("ff");
        Net.assertHttpOk(c, OUT, 8088, host);
        BerthHost.sleep(1100);
        final String mark = Instant.now().toString();
        final Predicate<JsonNode> old = r -> !r.path("time").asText().isEmpty()
            && Instant.parse(r.path("time").asText()).isBefore(Instant.parse(mark));
        assertTrue(flows().stream().anyMatch(old), "there are records before the mark");
        assertTrue(flows("--since", mark).stream().noneMatch(old), "--since " + mark + " leaves them out");
        assertTrue(flows("--since", "1h").stream().anyMatch(old), "--since 1h keeps them");

        final BerthHost.Spawned follow = host.spawn(host.hostNs(), "env", "BERTH_SOCKET=" + host.socket(),
            host.root().resolve("bin/berth").toString(), "flows", "--follow", "--since", mark, "-o", "json");
        try
        {
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String port = "";
            while (System.nanoTime() < deadline)
            {
                final Result curl = BerthHost.inNs(Duration.ofSeconds(10), c, "curl", "-s", "-o", "/dev/null", "-w",
                    "%{local_port}", "http://" + OUT + ":8088/");
                port = curl.out().trim();
                if (follow.awaitOutput("\"sport\":" + port + ",", Duration.ofSeconds(3)))
                {
                    break;
                }
            }
            assertTrue(follow.output().contains("\"sport\":" + port + ","), "followed: " + follow.output());
            assertTrue(follow.alive(), "--follow goes on");
        }
        finally
        {
            follow.kill();
        }

        final Result bad = host.berth("flows", "--since", "yesterday");
        assertFalse(bad.ok());
        assertTrue(bad.err().contains("'yesterday'") && bad.err().contains("10m"), bad.err());
    }
}
