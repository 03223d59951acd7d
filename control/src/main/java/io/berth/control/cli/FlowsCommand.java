package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiClient;
import io.berth.control.client.SocketPath;
import io.berth.control.error.BerthException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code berth flows [--follow] [--since T] [-o json]}: the flow log (berthd --flow-log), a line per connection
 * start or end, oldest first, in the spirit of {@code conntrack -E}; {@code -o json} prints the stored records
 * as they are, one per line.
 */
@Command(name = "flows", description = "List finished (and, with --flow-log-start, started) connections from " +
    "berthd's flow log.")
final class FlowsCommand implements Callable<Integer>
{
    private static final String FORMAT = "%-24s %-5s %-4s %-14s %-44s %-44s %13s %17s %8s %s";

    @ParentCommand
    BerthCli root;

    @Option(names = {"-f", "--follow"}, description = "go on printing new records as connections end")
    boolean follow;

    @Option(names = "--since", paramLabel = "T", description = "only records from T on: a duration ago (90s, 10m, " +
        "24h, 7d) or a time (2026-12-02T18:00:00Z)")
    String since;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json (a record " +
        "per line)")
    String format = "table";

    @Override
    public Integer call()
    {
        if (!"table".equals(format) && !"json".equals(format))
        {
            throw new BerthException("unknown output format \"" + format + "\": table or json");
        }
        final ObjectNode request = BerthCli.request("flows");
        request.put("follow", follow);
        NetworkCommands.putIfSet(request, "since", since);
        final PrintStream out = System.out;
        final boolean json = "json".equals(format);
        if (!json)
        {
            out.println(String.format(FORMAT, "TIME", "EVENT", "PROTO", "CONTAINER", "ORIGINAL", "TRANSLATED",
                "PACKETS o/r", "BYTES o/r", "MS", "REASON").stripTrailing());
        }
        try (ApiClient client = ApiClient.connect(SocketPath.of(root.socket)))
        {
            client.stream(request, line ->
            {
                if (line.has("end"))
                {
                    return false;
                }
                if (!line.has("keepalive"))
                {
                    out.println(json ? line.toString() : row(line));
                    out.flush();
                }
                return !out.checkError(); // a closed pipe ends it
            });
        }
        return 0;
    }

    static String row(final JsonNode r)
    {
        final String nat = r.path("nat").asText();
        return String.format(FORMAT, r.path("time").asText(), r.path("event").asText(), r.path("proto").asText(),
            r.path("container").asText().isEmpty() ? "-" : r.path("container").asText(), tuple(r.path("original")),
            nat.isEmpty() ? "=" : tuple(r.path("translated")) + " " + nat,
            r.path("packets").path("original").asLong() + "/" + r.path("packets").path("reply").asLong(),
            r.path("bytes").path("original").asLong() + "/" + r.path("bytes").path("reply").asLong(),
            r.path("durationMs").asLong(), r.path("reason").asText("")).stripTrailing();
    }

    private static String tuple(final JsonNode t)
    {
        return t.path("src").asText() + ":" + t.path("sport").asInt() + " > " + t.path("dst").asText() + ":"
            + t.path("dport").asInt();
    }
}
