package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.api.ApiClient;
import io.berth.control.client.SocketPath;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code berth exposure [-o json]}: who can reach what, from the dataplane's own answer to synthetic packets: every
 * published port from outside, from the host and from other containers; every network's containers from the
 * other containers, the host and outside; every container's listening ports.
 */
@Command(name = "exposure", description = "Who can reach what: published ports, networks and listening ports, as " +
    "the dataplane's tables decide.")
final class ExposureCommand implements Callable<Integer>
{
    @ParentCommand
    BerthCli root;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
    String format = "table";

    @Override
    public Integer call()
    {
        if (!"table".equals(format) && !"json".equals(format))
        {
            throw new BerthException("unknown output format \"" + format + "\": table or json");
        }
        final JsonNode[] result = new JsonNode[1];
        try (ApiClient client = ApiClient.connect(SocketPath.of(root.socket)))
        {
            client.stream(BerthCli.request("exposure"), line ->
            {
                result[0] = line.path("result");
                return false;
            });
        }
        if (result[0] == null || !result[0].isObject())
        {
            throw new BerthException("berthd gave no exposure report");
        }
        final PrintWriter out = new PrintWriter(System.out, true);
        if ("json".equals(format))
        {
            out.println(Json.PRETTY.valueToTree(result[0]).toPrettyString());
            return 0;
        }
        final JsonNode r = result[0];
        out.println("PUBLISHED PORTS");
        final Table published = new Table("CONTAINER", "PUBLISHED", "FROM", "TARGET", "REACHABLE", "WHY");
        for (final JsonNode p : r.path("published"))
        {
            for (final JsonNode f : p.path("from"))
            {
                published.row(p.path("container").asText(), p.path("hostIp").asText() + ":" + p.path("hostPort").asInt()
                    + "->" + p.path("containerPort").asInt() + "/" + p.path("protocol").asText(), f.path("from").asText(),
                    f.path("target").asText(), yes(f), f.path("why").asText());
            }
        }
        published.print(out);
        out.println();
        out.println("NETWORKS");
        final Table networks = new Table("NETWORK", "ICC", "INTERNAL", "FROM", "TO", "REACHABLE", "WHY");
        for (final JsonNode n : r.path("networks"))
        {
            for (final JsonNode f : n.path("from"))
            {
                networks.row(n.path("network").asText(), n.path("icc").asText(), n.path("internal").asText(),
                    f.path("from").asText(), f.path("targetContainer").asText() + " " + f.path("target").asText(), yes(f),
                    f.path("why").asText());
            }
        }
        networks.print(out);
        out.println();
        out.println("LISTENING PORTS");
        final Table listening = new Table("CONTAINER", "LISTENING", "SCOPE", "FROM", "TARGET", "REACHABLE", "WHY");
        for (final JsonNode c : r.path("containers"))
        {
            for (final JsonNode l : c.path("listening"))
            {
                final String socket = l.path("address").asText() + ":" + l.path("port").asInt() + "/"
                    + l.path("protocol").asText();
                if (!l.has("from") || l.path("from").isEmpty())
                {
                    listening.row(c.path("container").asText(), socket, l.path("scope").asText(), "", "", "", "");
                }
                for (final JsonNode f : l.path("from"))
                {
                    listening.row(c.path("container").asText(), socket, l.path("scope").asText(), f.path("from").asText(),
                        f.path("target").asText(), yes(f), f.path("why").asText());
                }
            }
        }
        listening.print(out);
        return 0;
    }

    private static String yes(final JsonNode row)
    {
        return row.path("reachable").asBoolean() ? "yes" : "no";
    }
}
