package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.BerthException;
import io.berth.control.dataplane.TraceReport;
import io.berth.control.state.ControlService;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * The {@code trace} op: planned on the control thread (which container port, which packet), then run on the
 * client's thread, which may wait seconds for {@code next} real packets without holding the control thread up.
 * Answers one line: the report ({@link TraceReport}).
 */
final class TraceStream implements ApiServer.Streamer
{
    private static final long MAX_TIMEOUT_MS = 300_000;
    private final ControlService service;
    private final ExecutorService controlThread;

    TraceStream(final ControlService service, final ExecutorService controlThread)
    {
        this.service = service;
        this.controlThread = controlThread;
    }

    @Override
    public boolean streams(final String op)
    {
        return "trace".equals(op);
    }

    @Override
    public void stream(final JsonNode request, final OutputStream out) throws IOException
    {
        ObjectNode answer;
        try
        {
            final int next = request.path("next").asInt(0);
            final long timeoutMs = request.path("timeoutMs").asLong(next > 0 ? 10_000 : 2_000);
            if (next < 0 || next > 1000)
            {
                throw new BerthException("--next " + next + " is out of range: give 1..1000 packets");
            }
            if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS)
            {
                throw new BerthException("--timeout must be 1 ms .. 300 s");
            }
            final ControlService.TracePlan plan = controlThread.submit(() -> service.planTrace(
                text(request, "from"), text(request, "to"))).get();
            final ObjectNode report = TraceReport.build(service.trace(plan, next, timeoutMs), next == 0);
            report.put("from", plan.container()).put("port", plan.portName()).put("to", text(request, "to"));
            line(out, Json.WIRE.createObjectNode().put("ok", true)); // the stream's "accepted", then the report
            answer = Json.WIRE.createObjectNode();
            answer.set("result", report);
        }
        catch (final BerthException ex)
        {
            answer = Json.WIRE.createObjectNode().put("ok", false).put("error", ex.getMessage());
        }
        catch (final ExecutionException ex)
        {
            answer = Json.WIRE.createObjectNode().put("ok", false).put("error", ex.getCause() instanceof BerthException
                ? ex.getCause().getMessage() : "internal error: " + ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return;
        }
        line(out, answer);
    }

    private static void line(final OutputStream out, final JsonNode node) throws IOException
    {
        out.write((Json.WIRE.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String text(final JsonNode request, final String field)
    {
        final JsonNode node = request.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
