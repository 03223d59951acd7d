package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.ArrayList;

/**
 * {@code berth conntrack ls [-o json]} and {@code flush} against real connections through SNAT and DNAT, and
 * expiry. berthd has no option to shorten conntrack timeouts, so expiry is tested with the shortest defaults
 * (UDP unreplied and ICMP echo, shortened to 5 s each with berthd's {@code --conntrack-timeout}: the option is
 * exercised and the test waits seconds, not the 30 s defaults).
 */
class ConntrackTest extends UplinkTestBase
{
    private static final String UP = Uplink.UPLINK_IP;
    private static final String OUT = Uplink.OUTSIDE_IP;

    @Test
    void snatConnectionIsListedWithBothTuples()
    {
        final BerthHost.Spawned server = host.spawn(outside, "nc", "-l", "-n", "7300");
        final String c = host.run("c");
        final String cIp = ip(c);
        // a connection held open: nc's stdin is the test's pipe, never closed until it is killed
        BerthHost.Spawned client = null;
        JsonNode e = null;
        for (int i = 0; i < 30 && e == null; i++)
        {
            BerthHost.sleep(200);
            if (client == null || !client.alive())
            {
                client = host.spawn(c, "nc", "-n", OUT, "7300");
            }
            e = find(tcp(cIp, OUT, 7300).and(state("ESTABLISHED")));
        }
        if (e == null)
        {
            fail("no ESTABLISHED entry for " + cIp + " -> " + OUT + ":7300\nclient: " + client + "\nserver: " + server + "\n" +
                NatTools.diag(host));
        }
        final JsonNode entry = e;
        final String text = entry.toPrettyString();
        assertEquals(7300, entry.path("original").path("dport").asInt(), text);
        assertEquals(OUT, entry.path("reply").path("src").asText(), () -> "reply source = the outside server\n" + text);
        assertEquals(7300, entry.path("reply").path("sport").asInt(), text);
        assertEquals(UP, entry.path("reply").path("dst").asText(), () -> "SNAT: reply destination = the uplink address\n" + text);
        assertEquals(entry.path("original").path("sport").asInt(), entry.path("reply").path("dport").asInt(),
            () -> "the source port is kept when free\n" + text);
        assertTrue(flags(entry).contains("SNAT"), text);
        assertFalse(flags(entry).contains("UNREPLIED"), text);
        assertFalse(flags(entry).contains("DNAT"), text);
        final long timeout = entry.path("timeout").asLong(-1);
        assertTrue(timeout > 3600 && timeout <= 7200, () -> "ESTABLISHED timeout (default 7200 s)\n" + text);

        // the outside kernel agrees: its peer is the uplink address
        final String ss = inNs(outside, "ss", "-tn", "state", "established").out();
        assertTrue(ss.contains(UP + ":" + entry.path("reply").path("dport").asInt()), () -> "outside's sockets\n" + ss);

        // the text form: one line with both tuples
        final String ls = host.berthOk("conntrack", "ls").out();
        final String expected = "src=" + cIp + " dst=" + OUT + " sport=" + entry.path("original").path("sport").asInt() +
            " dport=7300 | src=" + OUT + " dst=" + UP;
        assertTrue(ls.lines().anyMatch(l -> l.startsWith("tcp ESTABLISHED ") && l.contains(expected) && l.contains("[SNAT]")),
            () -> "conntrack ls must show\n" + expected + "\n" + ls);
    }

    @Test
    void dnatConnectionsTcpUdpAndIcmpAreListed()
    {
        final String web = host.run("web", "-p", "12211:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        final String echo = host.run("echo", "-p", "5353:5353/udp", "--", "python3", "-u", "-c", NatTools.UDP_ECHO, "5353");
        final String webIp = ip(web);
        final String echoIp = ip(echo);
        Net.assertHttpOk(outside, UP, 12211, host);

        // TCP held open from outside (http.server waits for the request)
        host.spawn(outside, "nc", "-n", UP, "12211");
        final JsonNode tcp = await(e -> "tcp".equals(e.path("protocol").asText()) &&
            OUT.equals(e.path("original").path("src").asText()) && "ESTABLISHED".equals(e.path("state").asText()) &&
            e.path("original").path("dport").asInt() == 12211, "tcp " + OUT + " -> " + UP + ":12211 ESTABLISHED");
        final String t = tcp.toPrettyString();
        assertEquals(UP, tcp.path("original").path("dst").asText(), t);
        assertEquals(webIp, tcp.path("reply").path("src").asText(), () -> "DNAT: reply source = the container\n" + t);
        assertEquals(8080, tcp.path("reply").path("sport").asInt(), t);
        assertEquals(OUT, tcp.path("reply").path("dst").asText(), () -> "no SNAT on the way in\n" + t);
        assertTrue(flags(tcp).contains("DNAT"), t);
        assertFalse(flags(tcp).contains("SNAT"), t);
        assertTrue(tcp.path("timeout").asLong() > 3600, t);

        // UDP through the published port, answered
        final Result udp = NatTools.udpAsk(outside, UP, 5353, "ct");
        assertTrue(udp.ok(), () -> udp + NatTools.diag(host));
        final JsonNode u = NatTools.one(host, NatTools.original("udp", UP, 5353), "udp -> " + UP + ":5353");
        final String us = u.toPrettyString();
        assertEquals(OUT, u.path("original").path("src").asText(), us);
        assertEquals(echoIp, u.path("reply").path("src").asText(), () -> "DNAT: reply source = the container\n" + us);
        assertEquals(5353, u.path("reply").path("sport").asInt(), us);
        assertFalse(flags(u).contains("UNREPLIED"), us);
        assertTrue(flags(u).contains("DNAT"), us);
        assertTrue(u.path("timeout").asLong() > 0 && u.path("timeout").asLong() <= 120, us);

        // ICMP echo out of a container: by id, SNAT
        final String c = host.run("c");
        final String cIp = ip(c);
        Net.assertPings(c, OUT, host);
        final JsonNode icmp = await(e -> "icmp".equals(e.path("protocol").asText()) &&
            cIp.equals(e.path("original").path("src").asText()), "icmp from " + cIp);
        final String is = icmp.toPrettyString();
        assertEquals(OUT, icmp.path("original").path("dst").asText(), is);
        assertEquals(UP, icmp.path("reply").path("dst").asText(), () -> "SNAT: reply destination = the uplink address\n" + is);
        assertTrue(flags(icmp).contains("SNAT"), is);
        assertTrue(icmp.path("timeout").asLong() > 0 && icmp.path("timeout").asLong() <= 5, is);
    }

    @Test
    void flushEmptiesTheTable()
    {
        NatTools.httpServer(host, outside, OUT, 8000);
        final String c = host.run("c");
        Net.assertHttpOk(c, OUT, 8000, host);
        Net.assertPings(c, OUT, host);
        // TCP entries only: this class's UDP and ICMP timeouts are 5 s, so those may expire between ls and flush
        final int before = NatTools.entries(host, e -> "tcp".equalsIgnoreCase(e.path("protocol").asText())).size();
        assertTrue(before > 0, () -> "connections were made\n" + NatTools.diag(host));
        final Result r = host.berthOk("conntrack", "flush");
        final Matcher m = Pattern.compile("(\\d+) connection\\(s\\) flushed").matcher(r.out());
        assertTrue(m.find(), () -> "flush output\n" + r);
        assertTrue(Integer.parseInt(m.group(1)) >= before, () -> before + " listed before\n" + r);
        final JsonNode after = NatTools.conntrack(host);
        assertEquals(0, after.size(), () -> "table after flush\n" + after.toPrettyString());
        assertEquals("", host.berthOk("conntrack", "ls").out().trim(), "conntrack ls after flush");
        // and traffic still flows afterwards, tracked anew
        Net.assertHttpOk(c, OUT, 8000, host);
        assertTrue(NatTools.conntrack(host).size() > 0, () -> NatTools.diag(host));
    }

    @Test
    void udpAndIcmpEntriesExpire()
    {
        host.spawn(outside, "nc", "-u", "-l", "-n", "7400"); // receives, never answers
        final String c = host.run("c");
        final String cIp = ip(c);
        inNs(c, "sh", "-c", "echo once | nc -u -n -w 1 " + OUT + " 7400");
        inNs(c, "ping", "-n", "-c", "1", "-W", "2", OUT);
        final Predicate<JsonNode> udp = e -> "udp".equals(e.path("protocol").asText()) &&
            cIp.equals(e.path("original").path("src").asText()) && e.path("original").path("dport").asInt() == 7400;
        final Predicate<JsonNode> icmp = e -> "icmp".equals(e.path("protocol").asText()) &&
            cIp.equals(e.path("original").path("src").asText());
        final JsonNode u = await(udp, "udp " + cIp + " -> " + OUT + ":7400");
        assertTrue(flags(u).contains("UNREPLIED"), u::toPrettyString);
        assertTrue(u.path("timeout").asLong() <= 5, u::toPrettyString);
        final JsonNode i = await(icmp, "icmp from " + cIp);
        assertTrue(i.path("timeout").asLong() <= 5, i::toPrettyString);

        final long deadline = System.nanoTime() + Duration.ofSeconds(5 + 10).toNanos();
        List<JsonNode> left = List.of();
        while (System.nanoTime() < deadline)
        {
            left = NatTools.entries(host, udp.or(icmp));
            if (left.isEmpty())
            {
                return;
            }
            BerthHost.sleep(1000);
        }
        fail("entries still there 15 s after their 5 s timeout\n" + left + "\n" + NatTools.diag(host));
    }

    @Override
    protected List<String> moreBerthdArgs()
    {
        return List.of("--conntrack-timeout", "udp=5", "--conntrack-timeout", "icmp=5");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private JsonNode find(Predicate<JsonNode> match)
    {
        final List<JsonNode> found = NatTools.entries(host, match);
        return found.isEmpty() ? null : found.get(0);
    }

    private JsonNode await(Predicate<JsonNode> match, String what)
    {
        for (int i = 0; i < 50; i++)
        {
            final JsonNode e = find(match);
            if (e != null)
            {
                return e;
            }
            BerthHost.sleep(200);
        }
        fail("no conntrack entry for " + what + "\n" + NatTools.diag(host));
        return null;
    }

    private static Predicate<JsonNode> tcp(String src, String dst, int dport)
    {
        return e -> "tcp".equals(e.path("protocol").asText()) && src.equals(e.path("original").path("src").asText()) &&
            dst.equals(e.path("original").path("dst").asText()) && dport == e.path("original").path("dport").asInt();
    }

    private static Predicate<JsonNode> state(String s)
    {
        return e -> s.equals(e.path("state").asText());
    }

    private static List<String> flags(JsonNode e)
    {
        final List<String> out = new ArrayList<>();
        e.path("flags").forEach(f -> out.add(f.asText()));
        return out;
    }

    private String ip(String container)
    {
        return host.inspect(container).path("NetworkSettings").path("Networks").elements().next().path("IPAddress").asText();
    }
}
