package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.dataplane.TraceReport;
import io.berth.control.error.BerthException;
import io.berth.control.state.ControlService;
import io.berth.control.state.ObserveController;

import java.util.concurrent.ExecutorService;

/**
 * The {@code trace} op: planned on the control thread (which container port, which packet), then run on the
 * client's thread, which may wait seconds for {@code next} real packets. Answers with the report
 * ({@link TraceReport}).
 */
final class TraceStream extends OneAnswerStream
{
    private static final long MAX_TIMEOUT_MS = 300_000;
    private final ControlService service;
    private final ExecutorService controlThread;

    TraceStream(final ControlService service, final ExecutorService controlThread)
    {
        super("trace");
        this.service = service;
        this.controlThread = controlThread;
    }

    @Override
    ObjectNode answer(final JsonNode request) throws Exception
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
        final ObserveController.TracePlan plan = controlThread.submit(() -> service.observe().planTrace(text(request, "from"),
            text(request, "to"))).get();
        final ObjectNode report = TraceReport.build(service.observe().trace(plan, next, timeoutMs), next == 0);
        return report.put("from", plan.container()).put("port", plan.portName()).put("to", text(request, "to"));
    }
}
