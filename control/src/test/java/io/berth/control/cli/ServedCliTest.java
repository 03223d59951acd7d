package io.berth.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.wire.Json;
import io.berth.control.client.ServedCall;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** berthd's side of the thin client: the real parser, frames out, client-side commands handed back. */
class ServedCliTest
{
    private final List<JsonNode> requests = new ArrayList<>();

    private final ServedCli served = new ServedCli(request ->
    {
        requests.add(request);
        final ObjectNode response = Json.WIRE.createObjectNode();
        if (request.path("op").asText().equals("network.rm"))
        {
            return response.put("ok", false).put("error", "network nope not found");
        }
        response.put("ok", true);
        response.putArray("result").addObject().put("Id", "a".repeat(64)).put("Name", "bridge")
            .put("Driver", "bridge").put("Scope", "local");
        return response;
    });

    private record Answer(String out, String err, int exit, boolean delegated, List<String> run)
    {
    }

    private Answer call(final long pid, final String... args) throws IOException
    {
        final ObjectNode request = Json.WIRE.createObjectNode().put("op", "cli").put("clientPid", pid);
        for (final String arg : args)
        {
            request.withArray("args").add(arg);
        }
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        served.stream(request, wire);
        final DataInputStream in = new DataInputStream(new ByteArrayInputStream(wire.toByteArray()));
        final StringBuilder out = new StringBuilder();
        final StringBuilder err = new StringBuilder();
        while (true)
        {
            final int kind = in.read();
            final byte[] payload = in.readNBytes(in.readInt());
            switch (kind)
            {
                case 'o' -> out.append(new String(payload, StandardCharsets.UTF_8));
                case 'e' -> err.append(new String(payload, StandardCharsets.UTF_8));
                case 'x' ->
                {
                    return new Answer(out.toString(), err.toString(), new DataInputStream(new ByteArrayInputStream(
                        payload)).readInt(), false, List.of());
                }
                case 'd' ->
                {
                    return new Answer(out.toString(), err.toString(), -1, true, List.of());
                }
                case 'r' ->
                {
                    return new Answer(out.toString(), err.toString(), -1, false,
                        List.of(new String(payload, StandardCharsets.UTF_8).split("\0")));
                }
                default -> throw new AssertionError("frame kind " + kind);
            }
        }
    }

    @Test
    void aCommandRunsHereWithTheClientsPidAndStreamsItsOutput() throws IOException
    {
        final Answer ls = call(4242, "network", "ls");
        assertEquals(0, ls.exit(), ls::toString);
        assertTrue(ls.out().contains("bridge"), ls::toString);
        assertEquals(4242, requests.get(0).path("clientPid").asLong());
        // the parser is reused: options from one call do not leak into the next
        assertEquals(0, call(1, "network", "ls", "-q").exit());
        final Answer again = call(1, "network", "ls");
        assertTrue(again.out().startsWith("NETWORK ID"), again::toString);
    }

    @Test
    void refusalsAndBadUsageKeepTheirExitCodes() throws IOException
    {
        final Answer rm = call(1, "network", "rm", "nope");
        assertEquals(BerthCli.EXIT_FAILURE, rm.exit(), rm::toString);
        assertTrue(rm.err().contains("nope"), rm::toString);
        final Answer usage = call(1, "network", "create");
        assertEquals(2, usage.exit(), usage::toString);
        assertTrue(usage.err().contains("Missing required parameter"), usage::toString);
    }

    @Test
    void clientSideCommandsAreHandedBackUntouched() throws IOException
    {
        for (final String[] args : List.of(new String[] {"capture", "c1"},
            new String[] {"cni", "install", "--network", "n"}, new String[] {"flows"}))
        {
            final Answer answer = call(1, args);
            assertTrue(answer.delegated(), () -> String.join(" ", args) + ": " + answer);
            assertEquals("", answer.out() + answer.err());
        }
        assertTrue(requests.isEmpty(), "nothing may have been asked of berthd: " + requests);
        final Answer help = call(1, "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("cni"), help::toString);
    }

    @Test
    void execSendsItsCommandBackToRunOnTheUsersTerminal() throws IOException
    {
        final Answer exec = call(1, "exec", "c1", "--", "true", "a b");
        assertEquals("container.netns", requests.get(0).path("op").asText());
        assertTrue(exec.run().size() > 2, exec::toString);
        assertEquals(List.of("true", "a b"), exec.run().subList(exec.run().size() - 2, exec.run().size()), exec::toString);
        // a command that cannot run is refused here, with Docker's exit code, and nothing is sent to run
        final Answer missing = call(1, "exec", "c1", "/nonexistent/cmd");
        assertEquals(127, missing.exit(), missing::toString);
        assertTrue(missing.run().isEmpty());
    }

    @Test
    void theFrameKindsAreTheClients()
    {
        assertEquals('o', ServedCall.STDOUT);
        assertEquals('d', ServedCall.DELEGATE);
    }
}
