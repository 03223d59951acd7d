package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiClient;
import io.berth.control.client.SocketPath;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code berth}: the root command. Holds what every subcommand needs (the API, the output, the process runner) so
 * tests can run the real parser against fakes. Runs on the CLI's main thread.
 */
@Command(name = "berth", mixinStandardHelpOptions = true, version = "berth 0.1.0",
    description = "Docker-style container networking in a userspace dataplane.",
    subcommands = {CommandLine.HelpCommand.class, NetworkCommands.class, ContainerCommands.Run.class, ContainerCommands.Exec.class,
        ContainerCommands.Ps.class, ContainerCommands.Inspect.class, ContainerCommands.Logs.class,
        ContainerCommands.Rm.class, ContainerCommands.Port.class, ConntrackCommands.class, CountersCommand.class,
        CaptureCommand.class, FlowsCommand.class, TraceCommand.class, ExposureCommand.class, CniCommands.class, NodeCommands.class})
public final class BerthCli implements Runnable
{
    /** Exit code of a refused or failed request (picocli's own for bad usage is 2). */
    public static final int EXIT_FAILURE = 1;

    @Option(names = "--socket", paramLabel = "PATH", description = "berthd's socket (default: $BERTH_SOCKET, else " +
        "/run/berth/berthd.sock)")
    Path socket;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Supplier<Api> apiFactory;
    private final ProcessRunner runner;
    private Api api;

    /** @param apiFactory called once, on the first request, with {@link #socket} already parsed. */
    public BerthCli(final Function<Path, Api> apiFactory, final ProcessRunner runner)
    {
        this.apiFactory = () -> apiFactory.apply(SocketPath.of(socket));
        this.runner = runner;
    }

    public static void main(final String[] args)
    {
        final BerthCli cli = new BerthCli(BerthCli::connect, ProcessRunner.inheritingIo());
        System.exit(cli.commandLine().execute(args));
    }

    /** The configured parser: options after the first positional of run/exec belong to the command. */
    public CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(this);
        addHelpEverywhere(commandLine);
        commandLine.getSubcommands().get("run").setStopAtPositional(true);
        commandLine.getSubcommands().get("exec").setStopAtPositional(true);
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            final PrintWriter err = cmd.getErr();
            if (ex instanceof BerthException)
            {
                err.println("Error: " + ex.getMessage());
            }
            else
            {
                err.println("Error: " + ex);
            }
            err.flush();
            return EXIT_FAILURE;
        });
        return commandLine;
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code -h}/{@code --help} on every command and subcommand (exit 0, required options not checked). */
    private static void addHelpEverywhere(final CommandLine command)
    {
        final CommandLine.Model.CommandSpec commandSpec = command.getCommandSpec();
        if (commandSpec.options().stream().noneMatch(CommandLine.Model.OptionSpec::usageHelp)
            && !(command.getCommand() instanceof CommandLine.HelpCommand))
        {
            commandSpec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        }
        command.getSubcommands().values().stream().distinct().forEach(BerthCli::addHelpEverywhere);
    }

    Api api()
    {
        if (api == null)
        {
            api = apiFactory.get();
        }
        return api;
    }

    /** The socket this CLI talks to: --socket, else $BERTH_SOCKET, else the default. */
    Path socketPath()
    {
        return SocketPath.of(socket);
    }

    ProcessRunner runner()
    {
        return runner;
    }

    /** The pid of the client a served command runs for (berthd's side); unset in the CLI's own JVM. */
    static final ThreadLocal<Long> SERVED_CLIENT_PID = new ThreadLocal<>();

    static ObjectNode request(final String op)
    {
        // the pid lets berthd bind new namespaces in this CLI's mount namespace, where the user looks for them
        final Long served = SERVED_CLIENT_PID.get();
        return Json.WIRE.createObjectNode().put("op", op).put("clientPid",
            served != null ? served : ProcessHandle.current().pid());
    }

    static String shortId(final JsonNode id)
    {
        final String text = id.asText();
        return text.length() > 12 ? text.substring(0, 12) : text;
    }

    private static Api connect(final Path socket)
    {
        return request ->
        {
            try (ApiClient client = ApiClient.connect(socket))
            {
                return client.call(request);
            }
        };
    }
}
