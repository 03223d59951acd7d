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
import java.util.List;

/** {@code berth conntrack ls [-o json]} and {@code berth conntrack flush}. CLI main thread only. */
@Command(name = "conntrack", description = "Show or flush the dataplane's tracked connections.",
    subcommands = {ConntrackCommands.Ls.class, ConntrackCommands.Flush.class})
final class ConntrackCommands implements Runnable
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

    /** One line per connection, like conntrack -L: protocol, state, timeout, original | reply, flags. */
    static String line(final JsonNode c)
    {
        final StringBuilder line = new StringBuilder();
        line.append(c.path("protocol").asText()).append(' ');
        final String state = c.path("state").asText();
        if (!state.isEmpty())
        {
            line.append(state).append(' ');
        }
        line.append(c.path("timeout").asLong()).append("s ");
        line.append(tuple(c.path("original"))).append(" | ").append(tuple(c.path("reply")));
        final List<String> flags = new ArrayList<>();
        c.path("flags").forEach(flag -> flags.add("[" + flag.asText() + "]"));
        if (!flags.isEmpty())
        {
            line.append("  ").append(String.join(" ", flags));
        }
        return line.toString();
    }

    private static String tuple(final JsonNode t)
    {
        final StringBuilder text = new StringBuilder();
        text.append("src=").append(t.path("src").asText()).append(" dst=").append(t.path("dst").asText());
        if (t.has("sport"))
        {
            text.append(" sport=").append(t.path("sport").asText()).append(" dport=").append(t.path("dport").asText());
        }
        return text.toString();
    }

    @Command(name = "ls", aliases = "list", description = "List tracked connections (one per line; -o json).")
    static final class Ls implements Runnable
    {
        @ParentCommand
        ConntrackCommands parent;

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
            final JsonNode connections = parent.root.api().call(BerthCli.request("conntrack.ls"));
            if ("json".equals(format))
            {
                NetworkCommands.printPretty(spec, connections);
                return;
            }
            final PrintWriter out = spec.commandLine().getOut();
            connections.forEach(c -> out.println(line(c)));
            out.flush();
        }
    }

    @Command(name = "flush", description = "Forget every tracked connection; prints how many there were.")
    static final class Flush implements Runnable
    {
        @ParentCommand
        ConntrackCommands parent;

        @Spec
        CommandSpec spec;

        @Override
        public void run()
        {
            final JsonNode result = parent.root.api().call(BerthCli.request("conntrack.flush"));
            final PrintWriter out = spec.commandLine().getOut();
            out.println(result.path("Flushed").asInt() + " connection(s) flushed");
            out.flush();
        }
    }
}
