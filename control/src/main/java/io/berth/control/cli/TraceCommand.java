package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiClient;
import io.berth.control.client.SocketPath;
import io.berth.control.dataplane.TraceReport;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/**
 * {@code berth trace --from CONTAINER --to IP[:PORT][/tcp|/udp|/icmp] [--next N] [-o json]}: what every graph node
 * does with a packet. By default a synthetic packet (a TCP SYN, a UDP datagram or a ping) that never leaves berth;
 * with {@code --next N}, the next N real packets from the container that match.
 */
@Command(name = "trace", description = "Follow a packet through berth's graph: the L2 lookup, conntrack, NAT, " +
    "routing, isolation, and where it goes or why it is dropped.")
final class TraceCommand implements Callable<Integer>
{
    @ParentCommand
    BerthCli root;

    @Option(names = "--from", required = true, paramLabel = "CONTAINER", description = "the container that sends")
    String from;

    @Option(names = "--to", required = true, paramLabel = "IP[:PORT][/PROTO]", description = "where to: an address, " +
        "a port, and tcp (default with a port), udp or icmp (default without)")
    String to;

    @Option(names = "--next", paramLabel = "N", description = "follow the next N real packets that match instead of " +
        "sending a synthetic one")
    int next;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "how long to wait for the packets (default: " +
        "10 with --next, else 2)")
    Double timeout;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "text (default) or json")
    String format = "text";

    @Override
    public Integer call()
    {
        if (!"text".equals(format) && !"json".equals(format))
        {
            throw new BerthException("unknown output format \"" + format + "\": text or json");
        }
        final ObjectNode request = BerthCli.request("trace");
        request.put("from", from).put("to", to).put("next", next);
        if (timeout != null)
        {
            request.put("timeoutMs", (long)(timeout * 1000));
        }
        final JsonNode[] result = new JsonNode[1];
        try (ApiClient client = ApiClient.connect(SocketPath.of(root.socket)))
        {
            client.stream(request, line ->
            {
                result[0] = line;
                return false;
            });
        }
        final JsonNode report = result[0] == null ? null : result[0].path("result");
        if (report == null || !report.isObject())
        {
            throw new BerthException("berthd gave no trace");
        }
        System.out.print("json".equals(format) ? Json.PRETTY.valueToTree(report).toPrettyString() + "\n"
            : TraceReport.text((ObjectNode)report));
        return 0;
    }
}
