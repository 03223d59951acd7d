package io.berth.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.state.ControlService;
import io.berth.control.state.ExposureReport;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * The {@code exposure} op: the report ({@link ExposureReport}) is built on the client's thread, which sends its
 * synthetic packets and waits for them; only the reads of the state go to the control thread.
 */
final class ExposureStream extends OneAnswerStream
{
    private final ControlService service;
    private final ExecutorService controlThread;

    ExposureStream(final ControlService service, final ExecutorService controlThread)
    {
        super("exposure");
        this.service = service;
        this.controlThread = controlThread;
    }

    @Override
    ObjectNode answer(final JsonNode request) throws Exception
    {
        return new ExposureReport(service, new ExposureReport.OnControl()
        {
            @Override
            public <T> T call(final Callable<T> work) throws Exception
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
    }
}
