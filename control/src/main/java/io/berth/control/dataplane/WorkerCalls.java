package io.berth.control.dataplane;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** How the control plane waits for the dataplane worker's commands. Any thread but the worker's. */
final class WorkerCalls
{
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    private WorkerCalls()
    {
    }

    /** Waits for a worker command; the control thread's calls return once the dataplane acted. */
    static <T> T await(final CompletableFuture<T> command)
    {
        try
        {
            return command.get(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final ExecutionException e)
        {
            final Throwable cause = e.getCause();
            throw cause instanceof RuntimeException ? (RuntimeException)cause : new IllegalStateException(cause);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the dataplane worker", e);
        }
        catch (final TimeoutException e)
        {
            throw new IllegalStateException("the dataplane worker did not answer in " + COMMAND_TIMEOUT_SECONDS + " s");
        }
    }
}
