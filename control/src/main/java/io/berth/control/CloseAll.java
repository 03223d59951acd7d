package io.berth.control;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What berthd built, in the order it built it, closed in reverse by one {@link #close} (Aeron's MediaDriver
 * closes its context and agents with one close-all): the same teardown after a failed start and at SIGTERM. Each
 * part closes even when one before it failed; a failure is logged, naming the part. Built on the start thread,
 * closed once from the start thread or the shutdown hook.
 */
final class CloseAll implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger("io.berth.control");

    /** One part's teardown. */
    @FunctionalInterface
    interface Closer
    {
        void close() throws Exception;
    }

    private record Part(String name, Closer closer)
    {
    }

    private final Deque<Part> parts = new ArrayDeque<>();
    private boolean closed;

    /** {@code part}, to be closed before everything added earlier; returned for the caller to use. */
    synchronized <T extends AutoCloseable> T add(final String name, final T part)
    {
        if (part != null)
        {
            parts.push(new Part(name, part::close));
        }
        return part;
    }

    /** A teardown step that is not one object's close (a flush before a close, a thread pool's shutdown). */
    synchronized void addStep(final String name, final Closer closer)
    {
        parts.push(new Part(name, closer));
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        while (!parts.isEmpty())
        {
            final Part part = parts.pop();
            try
            {
                part.closer().close();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                LOG.log(System.Logger.Level.WARNING, "closing " + part.name() + ": interrupted");
            }
            catch (final Exception ex)
            {
                LOG.log(System.Logger.Level.WARNING, "closing " + part.name() + ": " + ex.getMessage());
            }
        }
    }
}
