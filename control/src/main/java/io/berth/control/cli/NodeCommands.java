package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.error.BerthException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** {@code berth node ls [-o json]}: the store's hosts, their VTEPs and WireGuard keys. CLI main thread only. */
@Command(name = "node", description = "Show the hosts of the global store.", subcommands = NodeCommands.Ls.class)
final class NodeCommands implements Runnable
{
    @ParentCommand
    BerthCli root;

    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", aliases = "list", description = "List the hosts: name, VTEP, WireGuard public key, and " +
        "this host's last handshake with each (-o json for everything).")
    static final class Ls implements Runnable
    {
        @ParentCommand
        NodeCommands parent;

        @Spec
        CommandSpec spec;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
        String format = "table";

        @Override
        public void run()
        {
            if (!"json".equals(format) && !"table".equals(format))
            {
                throw new BerthException("unknown output format \"" + format + "\": table or json");
            }
            final JsonNode nodes = parent.root.api().call(BerthCli.request("node.ls"));
            if ("json".equals(format))
            {
                NetworkCommands.printPretty(spec, nodes);
                return;
            }
            final Table table = new Table("NAME", "VTEP", "PUBLIC KEY", "ENDPOINT", "LAST HANDSHAKE");
            for (final JsonNode node : nodes)
            {
                final String name = node.path("Name").asText();
                table.row(node.path("Self").asBoolean() ? name + " (this host)" :
                        node.path("Listed").asBoolean() ? "(encrypted.peers)" : name,
                    node.path("VTEP").asText(), node.path("PublicKey").asText("-"), node.path("Endpoint").asText("-"),
                    node.path("LastHandshake").asText("").isEmpty() ? "-" : node.path("LastHandshake").asText());
            }
            final PrintWriter out = spec.commandLine().getOut();
            table.print(out);
            out.flush();
        }
    }
}
