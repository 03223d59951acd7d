package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, exposure: {@code berth exposure -o json} over published ports, networks (icc on and off, isolation
 * between networks, a container connected to two) and listening ports; every row is then tried for real, with nc
 * for TCP and ping for ICMP, from where it says (another container, this host, the outside namespace), and must
 * be reached exactly when the report says it is.
 */
class ExposureTest extends UplinkTestBase
{
    private static final String UP = Uplink.UPLINK_IP;

    /** One row of the report, tried for real. */
    private record Probe(String where, String from, String protocol, String ip, int port, boolean reported, String why)
    {
    }

    private String hostNamespaceOf(final String from)
    {
        return switch (from)
        {
            case "host" -> host.hostNs();
            case "outside" -> outside;
            default -> from.substring("container ".length());
        };
    }

    private boolean reached(final Probe p)
    {
        final String ns = hostNamespaceOf(p.from());
        final Result r = "icmp".equals(p.protocol())
            ? BerthHost.inNs(Duration.ofSeconds(10), ns, "ping", "-c", "1", "-W", "1", p.ip())
            : BerthHost.inNs(Duration.ofSeconds(10), ns, "nc", "-z", "-w", "1", p.ip(), Integer.toString(p.port()));
        return r.ok();
    }

    private static void addRows(final List<Probe> probes, final String where, final JsonNode rows, final String protocol)
    {
        for (final JsonNode f : rows)
        {
            if (!f.has("target"))
            {
                continue; // published on another address only: nothing to try
            }
            final String target = f.path("target").asText();
            final int colon = target.indexOf(':');
            probes.add(new Probe(where, f.path("from").asText(), f.has("protocol") ? f.path("protocol").asText()
                : protocol, colon < 0 ? target : target.substring(0, colon), colon < 0 ? 0
                : Integer.parseInt(target.substring(colon + 1)), f.path("reachable").asBoolean(), f.path("why").asText()));
        }
    }

    @Test
    void everyRowOfTheReportMatchesARealProbe() throws Exception
    {
        // the outside namespace knows the way to the containers' subnets, so "not reachable" is berth's doing
        Sh.run(Duration.ofSeconds(5), Map.of(), List.of("ip", "-n", outside, "route", "replace", "10.76.0.0/16", "via", UP));
        Sh.run(Duration.ofSeconds(5), Map.of(), List.of("ip", "-n", outside, "route", "replace", "172.17.0.0/16", "via", UP));
        host.createNetwork("expa", "--subnet", "10.76.1.0/24");
        host.createNetwork("expb", "--subnet", "10.76.2.0/24");
        host.createNetwork("expn", "--subnet", "10.76.3.0/24", "-o", "icc=false");
        host.createNetwork("expi", "--subnet", "10.76.4.0/24", "--internal");
        final String web = host.run("eweb", "--network", "expa", "-p", "12261:8080", "--", "sh", "-c",
            "python3 -m http.server 8080 & exec python3 -m http.server 9090");
        final String ca = host.run("eca", "--network", "expa");
        final String cb = host.run("ecb", "--network", "expb");
        final String n1 = host.run("en1", "--network", "expn", "--", "python3", "-m", "http.server", "6060");
        final String n2 = host.run("en2", "--network", "expn");
        final String cx = host.run("ecx", "--network", "expb");
        final String ci = host.run("eci", "--network", "expi");
        host.berthOk("network", "connect", "expa", cx);
        for (final String[] listener : new String[][] {{web, "10.76.1.2", "8080"}, {web, "10.76.1.2", "9090"},
            {n1, "10.76.3.2", "6060"}})
        {
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!BerthHost.inNs(listener[0], "nc", "-z", "-w", "1", listener[1], listener[2]).ok()
                && System.nanoTime() < deadline)
            {
                BerthHost.sleep(100);
            }
        }

        final Result r = host.berthOk("exposure", "-o", "json");
        final JsonNode report = Net.parse(r);
        final List<Probe> probes = new ArrayList<>();
        for (final JsonNode p : report.path("published"))
        {
            addRows(probes, "published " + p.path("hostPort").asInt(), p.path("from"), p.path("protocol").asText());
        }
        for (final JsonNode n : report.path("networks"))
        {
            addRows(probes, "network " + n.path("network").asText(), n.path("from"), "icmp");
        }
        for (final JsonNode c : report.path("containers"))
        {
            for (final JsonNode l : c.path("listening"))
            {
                addRows(probes, "listening " + c.path("container").asText() + ":" + l.path("port").asInt(),
                    l.path("from"), l.path("protocol").asText());
            }
        }

        // what the report must say, so that a report of nothing cannot pass
        final JsonNode published = report.path("published").get(0);
        assertEquals(12261, published.path("hostPort").asInt(), r.out());
        assertTrue(row(probes, "published 12261", "outside").reported(), "published: reachable from outside");
        assertTrue(row(probes, "published 12261", "host").reported(), "and from the host at 127.0.0.1");
        assertTrue(row(probes, "published 12261", "container " + cb).reported(), "and by hairpin from another network");
        assertFalse(row(probes, "network expa", "container " + cb).reported(), "expb is isolated from expa");
        assertTrue(row(probes, "network expa", "container " + cx).reported(), "cx is connected to expa too");
        assertTrue(row(probes, "network expa", "host").reported(), "the host reaches containers over berth0");
        assertFalse(row(probes, "network expa", "outside").reported(), "outside reaches only published ports");
        assertFalse(row(probes, "network expn", "container " + n2).reported(), "icc=false");
        assertFalse(row(probes, "network expi", "outside").reported(), "an internal network's container from outside");
        final JsonNode expa = networkRow(report, "expa").path("reachableFrom");
        assertEquals("[\"expa\"]", expa.path("networks").toString(), "expa only from its own containers, cx by its "
            + "interface on expa: " + expa);
        assertTrue(expa.path("host").asBoolean() && !expa.path("outside").asBoolean(), expa.toString());
        assertFalse(row(probes, "listening " + web + ":9090", "outside").reported(), "9090 is not published");
        assertTrue(row(probes, "listening " + web + ":9090", "container " + ca).reported(), "but is open inside expa");
        final JsonNode webRow = containerRow(report, web);
        assertTrue(webRow.toString().contains("\"port\":9090") && webRow.toString().contains("not published")
            && webRow.toString().contains("\"publishedAs\":[\"0.0.0.0:12261\"]"), webRow.toString());

        // and every row, tried for real, agrees
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try
        {
            final List<Future<String>> checks = new ArrayList<>();
            for (final Probe p : probes)
            {
                checks.add(pool.submit(() -> reached(p) == p.reported() ? null : p + " but the probe "
                    + (p.reported() ? "failed" : "got through")));
            }
            final List<String> wrong = new ArrayList<>();
            for (final Future<String> check : checks)
            {
                if (check.get() != null)
                {
                    wrong.add(check.get());
                }
            }
            assertTrue(wrong.isEmpty(), wrong.size() + " of " + probes.size() + " rows disagree with a real probe:\n"
                + String.join("\n", wrong));
            assertTrue(probes.size() > 40, "rows: " + probes.size());
        }
        finally
        {
            pool.shutdownNow();
        }

        // the table form
        final Result table = host.berthOk("exposure");
        assertTrue(table.out().contains("PUBLISHED PORTS") && table.out().contains("0.0.0.0:12261->8080/tcp")
            && table.out().contains("LISTENING PORTS"), table.out());
    }

    private static Probe row(final List<Probe> probes, final String where, final String from)
    {
        return probes.stream().filter(p -> p.where().equals(where) && p.from().equals(from)).findFirst()
            .orElseThrow(() -> new AssertionError("no row " + where + " from " + from + " in " + probes));
    }

    private static JsonNode networkRow(final JsonNode report, final String network)
    {
        for (final JsonNode n : report.path("networks"))
        {
            if (n.path("network").asText().equals(network))
            {
                return n;
            }
        }
        throw new AssertionError("no network " + network);
    }

    private static JsonNode containerRow(final JsonNode report, final String container)
    {
        for (final JsonNode c : report.path("containers"))
        {
            if (c.path("container").asText().equals(container))
            {
                return c;
            }
        }
        throw new AssertionError("no container " + container);
    }
}
