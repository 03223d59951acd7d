package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.error.BerthException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code berth counters [-o json]}: the dataplane's counters per port (with the container and interface behind
 * each TAP), drops per reason, MACs learned per network, conntrack and NAT, per graph node (packets, exceptions,
 * drops by the reasons it declared) and the routing tables' figures. CLI main thread only.
 */
@Command(name = "counters", description = "Show dataplane counters: ports, drops by reason, MACs per network, conntrack.")
final class CountersCommand implements Runnable
{
    @ParentCommand
    BerthCli root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
    String format = "table";

    @Override
    public void run()
    {
        final JsonNode counters = root.api().call(BerthCli.request("counters"));
        if ("json".equals(format))
        {
            NetworkCommands.printPretty(spec, counters);
            return;
        }
        if (!"table".equals(format))
        {
            throw new BerthException("unknown output format \"" + format + "\": table or json");
        }
        final PrintWriter out = spec.commandLine().getOut();
        printPorts(out, counters.path("ports"), counters.path("endpoints"));
        out.println();
        final Table drops = new Table("DROP REASON", "COUNT");
        counters.path("drops").fields().forEachRemaining(e -> drops.row(e.getKey(), e.getValue().asText()));
        drops.print(out);
        out.println();
        final Table networks = new Table("NETWORK", "MACS");
        counters.path("networks").fields().forEachRemaining(e ->
            networks.row(e.getKey(), e.getValue().path("macs").asText()));
        networks.print(out);
        if (counters.path("conntrack").isObject())
        {
            out.println();
            final Table conntrack = new Table("CONNTRACK", "VALUE");
            counters.path("conntrack").fields().forEachRemaining(e -> conntrack.row(e.getKey(),
                e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
            conntrack.print(out);
        }
        if (counters.path("dns").isObject())
        {
            out.println();
            final Table dns = new Table("DNS", "COUNT");
            counters.path("dns").fields().forEachRemaining(e -> dns.row(e.getKey(), e.getValue().asText()));
            dns.print(out);
        }
        if (counters.path("store").isObject())
        {
            out.println();
            // the global store: values refused or in conflict, and data losses recovered from (issue 24)
            final Table store = new Table("STORE", "COUNT");
            counters.path("store").fields().forEachRemaining(e -> store.row(e.getKey(), e.getValue().asText()));
            store.print(out);
        }
        if (counters.path("nodes").isObject())
        {
            out.println();
            // per graph node: what it was handed, whether it threw, and why it dropped (its declared reasons)
            final Table nodes = new Table("NODE", "PACKETS", "EXCEPTIONS", "REASONS");
            counters.path("nodes").fields().forEachRemaining(e ->
            {
                final StringBuilder reasons = new StringBuilder();
                e.getValue().path("drops").fields().forEachRemaining(r ->
                {
                    if (r.getValue().asLong() != 0)
                    {
                        reasons.append(reasons.length() == 0 ? "" : " ").append(r.getKey()).append('=').append(r.getValue().asText());
                    }
                });
                nodes.row(e.getKey(), e.getValue().path("packets").asText(), e.getValue().path("exceptions").asText(),
                    reasons.length() == 0 ? "-" : reasons.toString());
            });
            nodes.print(out);
        }
        if (counters.path("routing").isObject())
        {
            out.println();
            final Table routing = new Table("ROUTING", "VALUE");
            counters.path("routing").fields().forEachRemaining(e -> routing.row(e.getKey(), e.getValue().asText()));
            routing.print(out);
        }
        final Iterator<Map.Entry<String, JsonNode>> rest = counters.fields();
        while (rest.hasNext())
        {
            final Map.Entry<String, JsonNode> entry = rest.next();
            if (!List.of("ports", "drops", "networks", "endpoints", "conntrack", "nodes", "routing").contains(entry.getKey()))
            {
                out.println();
                out.println(entry.getKey() + ": " + entry.getValue());
            }
        }
        out.flush();
    }

    private static void printPorts(final PrintWriter out, final JsonNode ports, final JsonNode endpoints)
    {
        final TreeSet<String> counterNames = new TreeSet<>();
        ports.forEach(port -> port.fields().forEachRemaining(field ->
        {
            if (field.getValue().isNumber())
            {
                counterNames.add(field.getKey());
            }
        }));
        final List<String> header = new ArrayList<>(List.of("PORT", "CONTAINER", "NETWORK"));
        counterNames.forEach(name -> header.add(name.toUpperCase()));
        final Table table = new Table(header.toArray(String[]::new));
        ports.fields().forEachRemaining(port ->
        {
            final JsonNode endpoint = endpoints.path(port.getKey());
            final String network = port.getValue().path("network").asText(endpoint.path("network").asText("-"));
            final List<String> row = new ArrayList<>(List.of(port.getKey(),
                endpoint.path("container").asText("-"), network));
            counterNames.forEach(name -> row.add(port.getValue().path(name).asText("0")));
            table.row(row.toArray(String[]::new));
        });
        table.print(out);
    }
}
