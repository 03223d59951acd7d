package io.berth.dataplane;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A worker's command queue: any thread queues a command and wakes the worker's poller; the worker drains a
 * bounded number per duty cycle, each completing its future with the result or the exception. Shared by
 * {@link DataplaneWorker} and {@link PortWorker}.
 */
final class CommandQueue implements WorkerCommands
{
    /** Commands run per duty cycle at most: table changes never hold up a batch for long. */
    static final int PER_CYCLE = 16;

    private final String owner;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands;
    private final Poller poller;
    private final Consumer<Runnable> runCommand = Runnable::run;

    CommandQueue(final String owner, final int capacity, final Poller poller)
    {
        this.owner = owner;
        this.commands = new ManyToOneConcurrentArrayQueue<>(capacity);
        this.poller = poller;
    }

    /** Any thread: runs {@code command} on the worker and completes with its result. */
    @Override
    public <T> CompletableFuture<T> call(final Supplier<T> command)
    {
        final CompletableFuture<T> done = new CompletableFuture<>();
        final Runnable wrapped = () ->
        {
            try
            {
                done.complete(command.get());
            }
            catch (final Throwable t)
            {
                done.completeExceptionally(t);
            }
        };
        if (!commands.offer(wrapped))
        {
            done.completeExceptionally(new IllegalStateException(owner + " command queue full"));
            return done;
        }
        poller.wakeup();
        return done;
    }

    /** Worker thread: runs up to {@link #PER_CYCLE} queued commands; how many ran. */
    int drain()
    {
        return commands.drain(runCommand, PER_CYCLE);
    }
}
