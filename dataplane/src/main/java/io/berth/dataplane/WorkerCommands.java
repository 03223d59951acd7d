package io.berth.dataplane;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The one way into a worker's tables from another thread: a command that runs on the worker between batches
 * and completes a future with its result (a value, or a snapshot made on the worker). The modules that own the
 * tables wrap it in typed proxies ({@code L2Commands}, {@code RouterCommands}, {@code NatCommands}), so callers
 * never hold a lambda over worker-owned fields. Any thread.
 */
public interface WorkerCommands
{
    <T> CompletableFuture<T> call(Supplier<T> command);

    default CompletableFuture<Void> run(final Runnable command)
    {
        return call(() ->
        {
            command.run();
            return null;
        });
    }

    /** Runs commands at once on the caller's thread: for tests and for wiring before the worker starts. */
    WorkerCommands DIRECT = new WorkerCommands()
    {
        @Override
        public <T> CompletableFuture<T> call(final Supplier<T> command)
        {
            try
            {
                return CompletableFuture.completedFuture(command.get());
            }
            catch (final RuntimeException e)
            {
                return CompletableFuture.failedFuture(e);
            }
        }
    };
}
