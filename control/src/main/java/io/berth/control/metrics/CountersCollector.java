package io.berth.control.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turns one snapshot of berthd's counters (the JSON {@code berth counters -o json} prints: ports, drops by reason
 * and node, MAC tables, conntrack and NAT, fragments, DNS) into Prometheus metric families at each scrape. The
 * snapshot comes from the same readers the CLI uses: the packet path's counters are plain reads, and the worker
 * is never stopped. Any thread (the HTTP server's); the supplier hops to the control thread.
 */
final class CountersCollector implements MultiCollector
{
    private final Supplier<JsonNode> counters;

    CountersCollector(final Supplier<JsonNode> counters)
    {
        this.counters = counters;
    }

    /** A family being filled: its data points by labels. */
    private static final class Family
    {
        final String name;
        final String help;
        final boolean counter;
        final List<Labels> labels = new ArrayList<>();
        final List<Double> values = new ArrayList<>();

        Family(final String name, final String help, final boolean counter)
        {
            this.name = name;
            this.help = help;
            this.counter = counter;
        }

        void add(final Labels l, final double v)
        {
            labels.add(l);
            values.add(v);
        }

        MetricSnapshot snapshot()
        {
            if (counter)
            {
                final CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
                for (int i = 0; i < labels.size(); i++)
                {
                    b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels.get(i))
                        .value(values.get(i)).build());
                }
                return b.build();
            }
            final GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
            for (int i = 0; i < labels.size(); i++)
            {
                b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels.get(i))
                    .value(values.get(i)).build());
            }
            return b.build();
        }
    }

    @Override
    public MetricSnapshots collect()
    {
        final JsonNode root = counters.get();
        final Map<String, Family> families = new LinkedHashMap<>();
        ports(root, families);
        final Family byReason = family(families, "berth_drops", "Packets dropped, by reason (all nodes)", true);
        root.path("drops").fields().forEachRemaining(e -> byReason.add(Labels.of("reason", e.getKey()),
            e.getValue().asDouble()));
        final Family nodePackets = family(families, "berth_node_packets", "Packets handed to each graph node", true);
        final Family nodeExceptions = family(families, "berth_node_exceptions",
            "Exceptions a graph node threw (each costs the packet, never the worker)", true);
        final Family nodeDrops = family(families, "berth_node_drops", "Packets a graph node dropped, by reason", true);
        root.path("nodes").fields().forEachRemaining(e ->
        {
            final String node = e.getKey();
            nodePackets.add(Labels.of("node", node), e.getValue().path("packets").asDouble());
            nodeExceptions.add(Labels.of("node", node), e.getValue().path("exceptions").asDouble());
            e.getValue().path("drops").fields().forEachRemaining(d ->
                nodeDrops.add(Labels.of("node", node, "reason", d.getKey()), d.getValue().asDouble()));
        });
        final Family macs = family(families, "berth_mac_table_entries", "MAC addresses learned, per network", false);
        root.path("networks").fields().forEachRemaining(e -> macs.add(Labels.of("network", e.getKey()),
            e.getValue().path("macs").asDouble()));
        section(root.path("conntrack"), "berth_conntrack_", "conntrack and NAT", families,
            List.of("connections", "nat_ports_in_use"));
        section(root.path("routing"), "berth_routing_", "routing and neighbours", families,
            List.of("neighbors", "neighbours", "neighbor_entries"));
        section(root.path("fragments"), "berth_fragments_", "IPv4 reassembly", families, List.of("in_reassembly"));
        section(root.path("dns"), "berth_dns_", "the embedded DNS", families, List.of());
        section(root.path("store"), "berth_store_", "the global store (values refused, conflicts, data losses)",
            families, List.of());
        // the worker's duty cycle: rate(berth_worker_blocked_seconds_total) is its idle fraction
        section(root.path("worker"), "berth_worker_", "the dataplane worker's duty cycles", families, List.of());
        final MetricSnapshots.Builder out = MetricSnapshots.builder();
        families.values().forEach(f -> out.metricSnapshot(f.snapshot()));
        return out.build();
    }

    private static void ports(final JsonNode root, final Map<String, Family> families)
    {
        final JsonNode endpoints = root.path("endpoints");
        final Iterator<Map.Entry<String, JsonNode>> ports = root.path("ports").fields();
        while (ports.hasNext())
        {
            final Map.Entry<String, JsonNode> port = ports.next();
            final JsonNode endpoint = endpoints.path(port.getKey());
            final String container = endpoint.path("container").asText("");
            final String iface = endpoint.path("interface").asText("");
            final String network = endpoint.isMissingNode() ? port.getValue().path("network").asText("")
                : endpoint.path("network").asText("");
            final Labels labels = Labels.of("port", port.getKey(), "container", container, "network", network,
                "interface", iface);
            port.getValue().fields().forEachRemaining(e ->
            {
                if (e.getValue().isNumber())
                {
                    family(families, "berth_port_" + e.getKey(), "Port counter " + e.getKey() +
                        " (rx: from the device into berth, tx: out to it)", true).add(labels, e.getValue().asDouble());
                }
            });
        }
    }

    /** Numbers of a flat section: the {@code gauges} named are levels, the rest counters. */
    private static void section(final JsonNode section, final String prefix, final String what,
        final Map<String, Family> families, final List<String> gauges)
    {
        section.fields().forEachRemaining(e ->
        {
            if (e.getValue().isNumber())
            {
                final boolean gauge = gauges.contains(e.getKey());
                family(families, prefix + e.getKey(), (gauge ? "Current " : "Counter ") + e.getKey() + " of " + what,
                    !gauge).add(Labels.EMPTY, e.getValue().asDouble());
            }
        });
    }

    private static Family family(final Map<String, Family> families, final String name, final String help,
        final boolean counter)
    {
        return families.computeIfAbsent(name, n -> new Family(n, help, counter));
    }
}
