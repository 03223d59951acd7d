package io.berth.control.api;

import static io.berth.control.api.OneAnswerStream.line;
import io.berth.control.wire.Json;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.flowlog.Durations;
import io.berth.control.flowlog.FlowLog;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The {@code flows} op: one JSON line per stored flow record since {@code since} ("10m" or an ISO time), then,
 * with {@code follow}, new ones as they are written, with a keep-alive line every second so a client gone is
 * noticed. Runs on the client's thread; berthd without {@code --flow-log} answers with an error naming the flag.
 */
final class FlowStream implements ApiServer.Streamer
{
    private final FlowLog log;

    FlowStream(final FlowLog log)
    {
        this.log = log;
    }

    @Override
    public boolean streams(final String op)
    {
        return "flows".equals(op);
    }

    @Override
    public void stream(final JsonNode request, final OutputStream out) throws IOException
    {
        if (log == null)
        {
            line(out, Json.WIRE.createObjectNode().put("ok", false).put("error", "this berthd keeps no flow log: " +
                "start it with --flow-log"));
            return;
        }
        final long since;
        try
        {
            final String text = request.path("since").asText("");
            since = text.isEmpty() ? 0 : Durations.since(text, System.currentTimeMillis());
        }
        catch (final IllegalArgumentException ex)
        {
            line(out, Json.WIRE.createObjectNode().put("ok", false).put("error", ex.getMessage()));
            return;
        }
        line(out, Json.WIRE.createObjectNode().put("ok", true));
        try
        {
            log.read(since, request.path("follow").asBoolean(false), record ->
            {
                try
                {
                    line(out, record == null ? Json.WIRE.createObjectNode().put("keepalive", true) : record);
                    return true;
                }
                catch (final IOException gone)
                {
                    throw new UncheckedIOException(gone);
                }
            });
            line(out, Json.WIRE.createObjectNode().put("end", true));
        }
        catch (final UncheckedIOException gone)
        {
            // the client went away
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

}
