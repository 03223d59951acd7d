package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.BerthException;
import io.berth.control.state.ControlService;
import io.berth.control.state.ExposureReport;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * The {@code exposure} op: the report ({@link ExposureReport}) is built on the client's thread, which sends
 * its synthetic packets and waits for them; only the reads of the state go to the control thread.
 */
final class ExposureStream implements ApiServer.Streamer
{
    private final ControlService service;
    private final ExecutorService controlThread;

    ExposureStream(final ControlService service, final ExecutorService controlThread)
    {
        this.service = service;
        this.controlThread = controlThread;
    }

    @Override
    public boolean streams(final String op)
    {
        return "exposure".equals(op);
    }

    @Override
    public void stream(final JsonNode request, final OutputStream out) throws IOException
    {
        ObjectNode answer;
        try
        {
            final ObjectNode report = new ExposureReport(service, new ExposureReport.OnControl()
            {
                @Override
                public <T> T call(final java.util.concurrent.Callable<T> work) throws Exception
                {
                    try
                    {
                        return controlThread.submit(work).get();
                    }
                    catch (final ExecutionException ex)
                    {
                        throw ex.getCause() instanceof Exception cause ? cause : ex;
                    }
                }
            }).build();
            line(out, Json.WIRE.createObjectNode().put("ok", true));
            answer = Json.WIRE.createObjectNode();
            answer.set("result", report);
        }
        catch (final BerthException ex)
        {
            answer = Json.WIRE.createObjectNode().put("ok", false).put("error", ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return;
        }
        catch (final Exception ex)
        {
            answer = Json.WIRE.createObjectNode().put("ok", false).put("error", "internal error: " + ex);
        }
        line(out, answer);
    }

    private static void line(final OutputStream out, final JsonNode node) throws IOException
    {
        out.write((Json.WIRE.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
