package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.error.BerthException;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;

/**
 * A streaming op that answers once, after work that may take seconds (a trace that waits for packets, the
 * exposure report's traces): it runs on the client's thread so the control thread is never held, then writes
 * {@code {"ok":true}} and {@code {"result":…}}, or {@code {"ok":false,"error":…}}. Also the line helpers every
 * streamer shares.
 */
abstract class OneAnswerStream implements ApiServer.Streamer
{
    private final String op;

    OneAnswerStream(final String op)
    {
        this.op = op;
    }

    /** The result; a {@link BerthException} is the refusal the client sees. Client thread. */
    abstract ObjectNode answer(JsonNode request) throws Exception;

    @Override
    public final boolean streams(final String requested)
    {
        return op.equals(requested);
    }

    @Override
    public final void stream(final JsonNode request, final OutputStream out) throws IOException
    {
        final ObjectNode result;
        try
        {
            result = answer(request);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return;
        }
        catch (final Exception ex)
        {
            final Throwable cause = ex instanceof ExecutionException && ex.getCause() != null ? ex.getCause() : ex;
            line(out, Json.WIRE.createObjectNode().put("ok", false).put("error", cause instanceof BerthException
                ? cause.getMessage() : "internal error: " + cause));
            return;
        }
        line(out, Json.WIRE.createObjectNode().put("ok", true)); // the stream's "accepted", then the answer
        final ObjectNode answer = Json.WIRE.createObjectNode();
        answer.set("result", result);
        line(out, answer);
    }

    static void line(final OutputStream out, final JsonNode node) throws IOException
    {
        out.write((Json.WIRE.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A request's text field, or null when absent or null. */
    static String text(final JsonNode request, final String field)
    {
        final JsonNode node = request.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
