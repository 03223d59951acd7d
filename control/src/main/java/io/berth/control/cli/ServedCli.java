package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.api.ApiServer;
import io.berth.control.client.ServedCall;
import io.berth.control.error.BerthException;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * berthd's side of the thin {@code berth} client (op {@code cli}): runs the real CLI, parser and all, on the
 * client's connection thread, with its requests going straight to the control thread, and streams stdout, stderr
 * and the exit code back as {@link ServedCall} frames. {@code exec}'s command is sent back for the client to run on
 * the user's terminal; commands that work on the client's side otherwise (a file they name, a stream to their
 * terminal) are handed back to the full CLI.
 */
public final class ServedCli implements ApiServer.Streamer
{
    /** Subcommands that must run in the user's own process. */
    static final Set<String> CLIENT_SIDE = Set.of("capture", "flows", "trace", "exposure", "cni");

    private final Function<JsonNode, JsonNode> requests;

    /** @param requests executes one request and returns the response ({@code ok}, {@code result}, {@code error}). */
    public ServedCli(final Function<JsonNode, JsonNode> requests)
    {
        this.requests = requests;
    }

    @Override
    public boolean streams(final String op)
    {
        return op.equals("cli");
    }

    @Override
    public void stream(final JsonNode request, final OutputStream socket) throws IOException
    {
        final List<String> args = new ArrayList<>();
        request.path("args").forEach(arg -> args.add(arg.asText()));
        final FrameStream stdout = new FrameStream(socket, ServedCall.STDOUT);
        final FrameStream stderr = new FrameStream(socket, ServedCall.STDERR);
        final PrintWriter out = new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
        final PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8));
        Parser parser = idle.poll();
        if (parser == null)
        {
            parser = new Parser();
        }
        parser.commandLine.setOut(out);
        parser.commandLine.setErr(err);
        parser.clientSide = false;
        BerthCli.SERVED_CLIENT_PID.set(request.path("clientPid").asLong(0));
        final int code;
        try
        {
            code = parser.commandLine.execute(args.toArray(String[]::new));
        }
        catch (final UncheckedIOException gone)
        {
            return; // the client went away mid-output; this parser may hold half a command's state: dropped
        }
        finally
        {
            BerthCli.SERVED_CLIENT_PID.remove();
        }
        final boolean clientSide = parser.clientSide;
        final List<String> runOnClient = parser.runOnClient;
        parser.runOnClient = null;
        parser.commandLine.setOut(NOWHERE);
        parser.commandLine.setErr(NOWHERE);
        idle.offer(parser);
        if (clientSide)
        {
            ServedCall.writeFrame(socket, ServedCall.DELEGATE, new byte[0]);
            return;
        }
        out.flush();
        err.flush();
        if (runOnClient != null)
        {
            // berth exec: the command runs on the user's terminal, and its exit code is the client's
            ServedCall.writeFrame(socket, ServedCall.RUN, String.join("\0", runOnClient)
                .getBytes(StandardCharsets.UTF_8));
            return;
        }
        ServedCall.writeFrame(socket, ServedCall.EXIT, ServedCall.exitPayload(code));
    }

    /** Parked parsers write nowhere, so a stale one can reach no client. */
    private static final PrintWriter NOWHERE = new PrintWriter(OutputStream.nullOutputStream());

    /**
     * A built CLI, kept for the next call: picocli builds its model by reflection (tens of milliseconds per call)
     * and resets every option before each parse, so one parser serves calls one after another. One client
     * thread uses a parser at a time; idle ones wait in {@link #idle}.
     */
    private final class Parser
    {
        final CommandLine commandLine;
        boolean clientSide;
        /** What {@code exec} would run: sent to the client, which runs it. */
        List<String> runOnClient;

        Parser()
        {
            final BerthCli cli = new BerthCli(socketPath -> ServedCli.this::call, command ->
            {
                runOnClient = List.copyOf(command);
                return 0;
            });
            commandLine = cli.commandLine();
            final CommandLine.IExecutionStrategy run = commandLine.getExecutionStrategy();
            commandLine.setExecutionStrategy(parseResult ->
            {
                if (parseResult.hasSubcommand() && CLIENT_SIDE.contains(parseResult.subcommand().commandSpec().name()))
                {
                    clientSide = true;
                    return 0;
                }
                return run.execute(parseResult);
            });
        }
    }

    private final ConcurrentLinkedQueue<Parser> idle =
        new ConcurrentLinkedQueue<>();

    private JsonNode call(final ObjectNode request)
    {
        final JsonNode response = requests.apply(request);
        if (!response.path("ok").asBoolean(false))
        {
            throw new BerthException(response.path("error").asText("berthd refused the request"));
        }
        return response.path("result");
    }

    /** Buffers what a writer prints and sends it as one frame per flush. */
    private static final class FrameStream extends OutputStream
    {
        private final OutputStream socket;
        private final byte kind;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        FrameStream(final OutputStream socket, final byte kind)
        {
            this.socket = socket;
            this.kind = kind;
        }

        @Override
        public void write(final int b)
        {
            pending.write(b);
        }

        @Override
        public void write(final byte[] bytes, final int offset, final int length)
        {
            pending.write(bytes, offset, length);
        }

        @Override
        public void flush()
        {
            if (pending.size() == 0)
            {
                return;
            }
            try
            {
                ServedCall.writeFrame(socket, kind, pending.toByteArray());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            pending.reset();
        }
    }
}
