package io.berth.control;

import io.berth.control.dataplane.Dataplane;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the tracked connections in the state dir: every second while berthd runs, and once more as it stops
 * (SIGTERM: the tables as they are then), so a restart picks them up. Its own thread
 * ("berth-conntrack-saver"); {@link #close} from the shutdown.
 */
final class ConnectionSaver implements AutoCloseable
{
    static final String FILE = "conntrack.json";
    private static final System.Logger LOG = System.getLogger("io.berth.control");

    private final Dataplane dataplane;
    private final Path file;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(runnable ->
    {
        final Thread saver = new Thread(runnable, "berth-conntrack-saver");
        saver.setDaemon(true);
        return saver;
    });

    ConnectionSaver(final Dataplane dataplane, final Path stateDir)
    {
        this.dataplane = dataplane;
        this.file = stateDir.resolve(FILE);
    }

    ConnectionSaver start()
    {
        thread.scheduleWithFixedDelay(this::save, 1, 1, TimeUnit.SECONDS);
        return this;
    }

    /** Stops the schedule and saves the tables once more. */
    @Override
    public void close()
    {
        thread.shutdownNow();
        try
        {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        save();
    }

    private void save()
    {
        try
        {
            dataplane.saveConnections(file);
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot save the tracked connections to " + file + ": " + ex.getMessage());
        }
    }
}
