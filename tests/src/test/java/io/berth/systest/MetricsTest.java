package io.berth.systest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;

/**
 * Issue 12, metrics: {@code berthd --metrics-addr} serves /metrics that promtool accepts, with port counters
 * labelled by container, network and interface, drops by node and reason, conntrack, MAC tables, DNS and the JVM;
 * the values move with traffic. Scraped with curl from berthd's own namespace (loopback only).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsTest
{
    private static final String ADDRESS = "127.0.0.1:9323";
    private BerthHost host;

    @BeforeAll
    void start()
    {
        host = BerthHost.start(h -> { }, List.of("--metrics-addr", ADDRESS));
    }

    @AfterAll
    void stop()
    {
        if (host != null)
        {
            host.close();
        }
    }

    private String scrape()
    {
        final Result r = BerthHost.inNs(Duration.ofSeconds(20), host.hostNs(), "curl", "-sf",
            "http://" + ADDRESS + "/metrics");
        assertTrue(r.ok(), r.toString());
        return r.out();
    }

    private static double value(final String text, final String metric, final String labelFragment)
    {
        final Matcher m = Pattern.compile("^" + Pattern.quote(metric) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(text);
        while (m.find())
        {
            if (m.group(1).contains(labelFragment))
            {
                return Double.parseDouble(m.group(2));
            }
        }
        return Double.NaN;
    }

    @Test
    void aScrapePassesPromtoolAndValuesMoveWithTraffic()
    {
        host.createNetwork("mnet", "--subnet", "10.71.0.0/24");
        final String a = host.run("ma", "--network", "mnet");
        final String b = host.run("mb", "--network", "mnet");
        Net.assertPings(a, "10.71.0.3", host);
        final String first = scrape();
        final Result check = Sh.run(Duration.ofSeconds(30), Map.of(), List.of("sh", "-c",
            "ip netns exec " + host.hostNs() + " curl -sf http://" + ADDRESS + "/metrics | promtool check metrics"));
        assertTrue(check.ok(), "promtool check metrics: " + check);
        for (final String family : List.of("berth_port_rx_packets_total", "berth_drops_total", "berth_node_packets_total",
            "berth_mac_table_entries", "berth_conntrack_connections", "berth_dns_queries_total", "jvm_memory_used_bytes"))
        {
            assertTrue(first.contains(family), family + " missing from the scrape");
        }
        final String labels = "container=\"" + a + "\"";
        final double before = value(first, "berth_port_rx_packets_total", labels);
        assertTrue(before >= 1, "rx packets of " + a + ": " + before + "\n" + first);
        assertTrue(first.contains("interface=\"eth0\"") && first.contains("network=\"mnet\""), first);
        assertEquals(2, value(first, "berth_mac_table_entries", "network=\"mnet\""), 0.0);

        final Result ping = BerthHost.inNs(a, "ping", "-c", "20", "-i", "0.01", "-W", "1", "10.71.0.3");
        assertTrue(ping.ok(), ping.toString());
        final String second = scrape();
        assertTrue(value(second, "berth_port_rx_packets_total", labels) >= before + 20,
            "the counter moved with 20 echo requests: " + before + " -> "
                + value(second, "berth_port_rx_packets_total", labels));
        assertTrue(value(second, "berth_port_tx_packets_total", "container=\"" + b + "\"") >= 20);
    }

    /** A second berthd in the same namespace with its own socket and state dir, run until it exits. */
    private Result otherBerthd(final String metricsAddr) throws IOException
    {
        final Path dir = Files.createTempDirectory("berth-metrics-");
        try
        {
            return Sh.run(Duration.ofSeconds(60), Map.of(), List.of("ip", "netns", "exec", host.hostNs(),
                host.root().resolve("bin/berthd").toString(), "--socket", dir.resolve("s.sock").toString(),
                "--state-dir", dir.resolve("state").toString(), "--metrics-addr", metricsAddr));
        }
        finally
        {
            Sh.deleteTree(dir);
        }
    }

    @Test
    void aBadOrTakenMetricsAddressIsRefused() throws IOException
    {
        final Result bad = otherBerthd("localhost:x");
        assertFalse(bad.ok());
        assertTrue(bad.err().contains("--metrics-addr localhost:x") && bad.err().contains("HOST:PORT"), bad.toString());
        // the running berthd has the port: another one on the same address is refused, naming it
        final Result taken = otherBerthd(ADDRESS);
        assertFalse(taken.ok());
        assertTrue(taken.err().contains(ADDRESS) && taken.err().contains("cannot be bound"), taken.toString());
    }
}
