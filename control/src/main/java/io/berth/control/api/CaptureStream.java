package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.capture.CaptureFilter;
import io.berth.control.dataplane.CaptureRing;
import io.berth.control.error.BerthException;
import io.berth.control.state.ControlService;
import io.berth.control.wire.Json;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

import static io.berth.control.api.OneAnswerStream.line;
import static io.berth.control.api.OneAnswerStream.text;

/**
 * The {@code capture} op: arms the capture on the control thread, then streams, on the client's thread, one JSON
 * line per packet that passes the filter (stage, ports, time, length), a keep-alive line every second with the
 * copies lost so far (so a client gone is noticed, and a client stopped by Ctrl-C can say what it missed), and ends after {@code count} packets or when the client goes; the capture is disarmed
 * then, whatever the way out. A packet's bytes follow its line raw when the request says {@code "binary": true}
 * (the line then carries {@code "raw_bytes": N}), else they are base64 in the line's {@code data}. Raw bytes, and
 * writes gathered until the queue is momentarily empty, are what keep a capture of a multi-gigabit flow from
 * eating the cores the flow itself needs: base64 and a flush per packet cost more than the copy.
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
        final List<String> stages = new ArrayList<>();
        request.path("stages").forEach(st -> stages.add(st.asText()));
        if (stages.isEmpty())
        {
            stages.add(text(request, "stage") == null ? "rx" : text(request, "stage"));
        }
        final List<CaptureRing.Session> sessions = new ArrayList<>();
        final CaptureFilter filter;
        try
        {
            final List<String> words = new ArrayList<>();
            request.path("filter").forEach(w -> words.add(w.asText()));
            filter = CaptureFilter.parse(words);
            for (final String stage : stages)
            {
                sessions.add(controlThread.submit(() -> service.observe().capture(text(request, "container"),
                    text(request, "port"), request.path("uplink").asBoolean(false), text(request, "network"), stage,
                    request.path("snaplen").asInt(262144))).get());
            }
        }
        catch (final BerthException | ExecutionException ex)
        {
            sessions.forEach(CaptureRing.Session::close);
            final Throwable cause = ex instanceof ExecutionException ? ex.getCause() : ex;
            line(out, Json.WIRE.createObjectNode().put("ok", false).put("error", cause instanceof BerthException
                ? cause.getMessage() : "internal error: " + cause));
            return;
        }
        catch (final InterruptedException ex)
        {
            sessions.forEach(CaptureRing.Session::close);
            Thread.currentThread().interrupt();
            return;
        }
        final boolean binary = request.path("binary").asBoolean(false);
        final BufferedOutputStream sink = new BufferedOutputStream(out, 1 << 18);
        try
        {
            final ObjectNode ok = Json.WIRE.createObjectNode().put("ok", true);
            stages.forEach(ok.putObject("result").putArray("stages")::add);
            line(out, ok);
            final long count = request.path("count").asLong(0);
            long sent = 0;
            long lastKeepalive = System.nanoTime();
            boolean unflushed = false;
            while (count == 0 || sent < count)
            {
                // every stage's next record in turn (the same packet before and after NAT shows at both)
                boolean any = false;
                for (int i = 0; i < sessions.size() && (count == 0 || sent < count); i++)
                {
                    CaptureRing.Record record = sessions.get(i).poll(0);
                    if (record == null && sessions.size() == 1)
                    {
                        if (unflushed)
                        {
                            sink.flush(); // nothing waiting: what was gathered goes now
                            unflushed = false;
                        }
                        record = sessions.get(i).poll(200);
                    }
                    if (record == null)
                    {
                        continue;
                    }
                    any = true;
                    if (!filter.matches(record.data()))
                    {
                        continue;
                    }
                    final ObjectNode packet = Json.WIRE.createObjectNode();
                    packet.put("stage", stages.get(i)).put("in", record.inPort()).put("out", record.outPort())
                        .put("time", record.epochNanos()).put("length", record.length());
                    if (binary)
                    {
                        packet.put(ApiClient.RAW_BYTES, record.data().length);
                        write(sink, packet);
                        sink.write(record.data());
                    }
                    else
                    {
                        write(sink, packet.put("data", Base64.getEncoder().encodeToString(record.data())));
                    }
                    unflushed = true;
                    sent++;
                }
                if (!any)
                {
                    if (unflushed)
                    {
                        sink.flush();
                        unflushed = false;
                    }
                    if (sessions.size() > 1)
                    {
                        Thread.sleep(1);
                    }
                }
                if (System.nanoTime() - lastKeepalive > 1_000_000_000L)
                {
                    line(sink, Json.WIRE.createObjectNode().put("keepalive", true).put("lost", lost(sessions)));
                    unflushed = false;
                    lastKeepalive = System.nanoTime();
                }
            }
            line(sink, Json.WIRE.createObjectNode().put("end", true).put("lost", lost(sessions)));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            sessions.forEach(CaptureRing.Session::close); // disarmed, whatever the way out
        }
    }

    private static void write(final OutputStream sink, final JsonNode node) throws IOException
    {
        sink.write(Json.WIRE.writeValueAsString(node).getBytes(StandardCharsets.UTF_8));
        sink.write('\n');
    }

    private static long lost(final List<CaptureRing.Session> sessions)
    {
        return sessions.stream().mapToLong(CaptureRing.Session::lost).sum();
    }


}
