package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.ArrayList;

/**
 * Issue 12, trace: {@code berth trace} follows a synthetic packet (never sent) or the next real ones through the
 * graph, and names what each node did: a same-network ping switched to the peer's port, a cross-network packet
 * refused by isolation with its reason, a hairpin to a published port with the DNAT rewrite, an SNAT egress.
 */
class TraceTest extends UplinkTestBase
{
    private static final String UP = Uplink.UPLINK_IP;
    private static final String OUT = Uplink.OUTSIDE_IP;

    private static String ipOf(final BerthHost host, final String container, final String network)
    {
        return host.inspect(container).path("NetworkSettings").path("Networks").path(network).path("IPAddress")
            .asText();
    }

    private JsonNode trace(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("trace"));
        all.addAll(List.of(args));
        all.addAll(List.of("-o", "json"));
        final Result r = host.berthOk(all.toArray(String[]::new));
        return Net.parse(r);
    }

    private static String steps(final JsonNode packet)
    {
        final StringBuilder b = new StringBuilder();
        packet.path("steps").forEach(s -> b.append(s).append('\n'));
        return b.append("=> ").append(packet.path("verdict").asText()).toString();
    }

    private static JsonNode step(final JsonNode packet, final String node)
    {
        for (final JsonNode s : packet.path("steps"))
        {
            if (s.path("node").asText().equals(node))
            {
                return s;
            }
        }
        throw new AssertionError("no " + node + " step in\n" + steps(packet));
    }

    @Test
    void aSameNetworkPingIsSwitchedToThePeersPortAndNeverSent()
    {
        host.createNetwork("tnet", "--subnet", "10.73.0.0/24");
        final String a = host.run("ta", "--network", "tnet");
        final String b = host.run("tb", "--network", "tnet");
        final BerthHost.Spawned dump = Net.capture(host, b, "icmp");
        final JsonNode report = trace("--from", a, "--to", "10.73.0.3");
        final JsonNode p = report.path("packets").get(0);
        assertTrue(p.path("synthetic").asBoolean());
        assertTrue(p.path("packetSeen").asText().contains("icmp 10.73.0.2 > 10.73.0.3 echo request"), steps(p));
        assertTrue(step(p, "port-security").path("action").asText().startsWith("allowed"), steps(p));
        final String l2 = step(p, "l2-forward").path("action").asText();
        assertTrue(l2.contains("02:42:0a:49:00:03") && l2.contains("is on port " + b), steps(p));
        assertTrue(p.path("verdict").asText().startsWith("would leave on " + b) && p.path("verdict").asText()
            .contains("not sent"), steps(p));
        BerthHost.sleep(300);
        dump.kill();
        assertFalse(dump.output().contains("echo request"), "the synthetic ping never reached " + b + "\n"
            + dump.output());

        // the text form, a line per node
        final Result text = host.berthOk("trace", "--from", a, "--to", "10.73.0.3");
        assertTrue(text.out().contains("packet 1 (synthetic, never sent): icmp 10.73.0.2 > 10.73.0.3")
            && text.out().lines().anyMatch(l -> l.trim().startsWith("l2-forward")), text.out());
    }

    @Test
    void aPacketToAnotherNetworkIsRefusedByIsolationNamingTheReason()
    {
        host.createNetwork("iso1", "--subnet", "10.74.1.0/24");
        host.createNetwork("iso2", "--subnet", "10.74.2.0/24");
        final String a = host.run("ia", "--network", "iso1");
        host.run("ic", "--network", "iso2");
        final JsonNode p = trace("--from", a, "--to", "10.74.2.2:80").path("packets").get(0);
        assertTrue(step(p, "l2-forward").path("action").asText().contains("gateway"), steps(p));
        assertTrue(step(p, "conntrack").path("action").asText().startsWith("new"), steps(p));
        assertTrue(step(p, "route").path("action").asText().contains("isolated_networks"), steps(p));
        assertEquals("dropped at route: isolated_networks: routing between two bridge networks",
            p.path("verdict").asText(), steps(p));
        // and it left no connection behind
        assertFalse(host.berthOk("conntrack", "ls").out().contains("dst=10.74.2.2"), "the trace's connection is gone");
    }

    @Test
    void aHairpinToAPublishedPortShowsTheDnatRewrite()
    {
        final String web = host.run("tweb", "-p", "12251:8080");
        final String webIp = ipOf(host, web, "bridge");
        final String a = host.run("th");
        final JsonNode p = trace("--from", a, "--to", UP + ":12251").path("packets").get(0);
        final JsonNode dnat = step(p, "dnat");
        assertEquals(UP + ":12251", dnat.path("before").asText().replaceAll(".* > ", ""), steps(p));
        assertEquals(webIp + ":8080", dnat.path("after").asText().replaceAll(".* > ", ""), steps(p));
        assertTrue(dnat.path("action").asText().startsWith("DNAT "), steps(p));
        assertTrue(p.path("verdict").asText().startsWith("would leave on " + web), steps(p));
        assertTrue(step(p, "conntrack").path("ctEntry").asText().contains("-> " + UP + ":12251 |"), steps(p));
    }

    @Test
    void anSnatEgressIsMasqueradedToTheUplinkAndTheOutsideSeesNothing()
    {
        final String a = host.run("ts");
        final String aIp = ipOf(host, a, "bridge");
        Net.assertPings(a, OUT, host); // the next hop is known: the synthetic SYN is not parked for ARP
        final BerthHost.Spawned dump = Net.capture(host, outside, "tcp", "port", "9");
        final JsonNode p = trace("--from", a, "--to", OUT + ":9/tcp").path("packets").get(0);
        final JsonNode snat = step(p, "snat");
        assertTrue(snat.path("before").asText().startsWith(aIp + ":"), steps(p));
        assertTrue(snat.path("after").asText().startsWith(UP + ":"), steps(p));
        assertTrue(snat.path("action").asText().startsWith("SNAT (masquerade)"), steps(p));
        assertTrue(step(p, "route").path("action").asText().contains("egress uplink"), steps(p));
        assertTrue(p.path("verdict").asText().startsWith("would leave on uplink"), steps(p));
        assertTrue(p.path("packetSeen").asText().contains("[S]"), "a SYN: " + steps(p));
        BerthHost.sleep(500);
        dump.kill();
        assertFalse(dump.output().contains(OUT + ".9:"), "nothing reached the outside\n" + dump.output());
        assertFalse(host.berthOk("conntrack", "ls").out().contains("dport=9 "), "no connection left behind");
    }

    @Test
    void nextFollowsRealPacketsThatAreSent()
    {
        host.createNetwork("tnext", "--subnet", "10.75.0.0/24");
        final String a = host.run("na", "--network", "tnext");
        final String nb = host.run("nb", "--network", "tnext");
        final CompletableFuture<Result> tracing = CompletableFuture.supplyAsync(() -> host.berth(Duration.ofSeconds(40),
            "trace", "--from", a, "--to", "10.75.0.3/icmp", "--next", "2", "--timeout", "20", "-o", "json"));
        final long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        while (!tracing.isDone() && System.nanoTime() < deadline)
        {
            BerthHost.inNs(a, "ping", "-c", "1", "-W", "1", "10.75.0.3");
        }
        final Result r = tracing.join();
        assertTrue(r.ok(), r.toString());
        final JsonNode packets = Net.parse(r).path("packets");
        assertEquals(2, packets.size(), r.out());
        for (final JsonNode p : packets)
        {
            assertFalse(p.path("synthetic").asBoolean());
            assertTrue(p.path("verdict").asText().startsWith("left on " + nb), steps(p));
        }
    }

    @Test
    void badTraceArgumentsAreRefusedNamingTheValue()
    {
        final String a = host.run("tbad");
        final Result port = host.berth("trace", "--from", a, "--to", "10.99.0.2:99999");
        assertFalse(port.ok());
        assertTrue(port.err().contains("'99999'") && port.err().contains("1..65535"), port.err());
        final Result proto = host.berth("trace", "--from", a, "--to", "10.99.0.2:80/sctp");
        assertFalse(proto.ok());
        assertTrue(proto.err().contains("'sctp'") && proto.err().contains("tcp, udp or icmp"), proto.err());
        final Result ip = host.berth("trace", "--from", a, "--to", "10.99.0");
        assertFalse(ip.ok());
        assertTrue(ip.err().contains("10.99.0"), ip.err());
        final Result who = host.berth("trace", "--from", "nosuch", "--to", "10.99.0.2");
        assertFalse(who.ok());
        assertTrue(who.err().contains("nosuch"), who.err());
    }
}
