package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.BerthException;
import io.berth.control.capture.CaptureFilter;
import io.berth.control.dataplane.CaptureRing;
import io.berth.control.state.ControlService;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * The {@code capture} op: arms the capture on the control thread, then streams, on the client's thread, one JSON
 * line per packet that passes the filter (stage, ports, time, length, base64 bytes), a keep-alive line every
 * second (so a client gone is noticed), and ends after {@code count} packets or when the client goes; the capture
 * is disarmed then, whatever the way out.
 */
final class CaptureStream implements ApiServer.Streamer
{
    private final ControlService service;
    private final ExecutorService controlThread;

    CaptureStream(final ControlService service, final ExecutorService controlThread)
    {
        this.service = service;
        this.controlThread = controlThread;
    }

    @Override
    public boolean streams(final String op)
    {
        return "capture".equals(op);
    }

    @Override
    public void stream(final JsonNode request, final OutputStream out) throws IOException
    {
        final CaptureRing.Session session;
        final CaptureFilter filter;
        try
        {
            final List<String> words = new ArrayList<>();
            request.path("filter").forEach(w -> words.add(w.asText()));
            filter = CaptureFilter.parse(words);
            session = controlThread.submit(() -> service.capture(text(request, "container"), text(request, "port"),
                request.path("uplink").asBoolean(false), text(request, "network"), text(request, "stage"),
                request.path("snaplen").asInt(262144))).get();
        }
        catch (final BerthException ex)
        {
            line(out, Json.WIRE.createObjectNode().put("ok", false).put("error", ex.getMessage()));
            return;
        }
        catch (final ExecutionException ex)
        {
            line(out, Json.WIRE.createObjectNode().put("ok", false).put("error", ex.getCause() instanceof BerthException
                ? ex.getCause().getMessage() : "internal error: " + ex.getCause()));
            return;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return;
        }
        try (session)
        {
            final ObjectNode ok = Json.WIRE.createObjectNode().put("ok", true);
            ok.putObject("result").put("stage", ControlService.stageNode(text(request, "stage")));
            line(out, ok);
            final long count = request.path("count").asLong(0);
            final String label = text(request, "stage") == null ? "rx" : text(request, "stage"); // as the user named it
            long sent = 0;
            long quietSince = System.nanoTime();
            while (count == 0 || sent < count)
            {
                final CaptureRing.Record record = session.poll(200);
                if (record == null)
                {
                    if (System.nanoTime() - quietSince > 1_000_000_000L)
                    {
                        line(out, Json.WIRE.createObjectNode().put("keepalive", true).put("lost", session.lost()));
                        quietSince = System.nanoTime();
                    }
                    continue;
                }
                if (!filter.matches(record.data()))
                {
                    continue;
                }
                final ObjectNode packet = Json.WIRE.createObjectNode();
                packet.put("stage", label).put("in", record.inPort()).put("out", record.outPort())
                    .put("time", record.epochNanos()).put("length", record.length())
                    .put("data", Base64.getEncoder().encodeToString(record.data()));
                line(out, packet);
                sent++;
                quietSince = System.nanoTime();
            }
            line(out, Json.WIRE.createObjectNode().put("end", true).put("lost", session.lost()));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static String text(final JsonNode request, final String field)
    {
        final JsonNode node = request.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private static void line(final OutputStream out, final JsonNode node) throws IOException
    {
        out.write((Json.WIRE.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
