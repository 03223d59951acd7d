package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.berth.control.journal.OwnerOnly;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Notices that the store lost data: etcd wiped, or restored from an older snapshot. The store holds an epoch marker
 * (a random id under {@code /berth/v1/epoch}, written once by the first host); each host keeps the one it saw in
 * its state dir. The store lost data when the marker is gone or another, when its revision is below one this host
 * already read, or when its cluster id changed. Then this host takes the new marker (or writes one), and for
 * {@code window} (the lease TTL and a margin: every live host has noticed and published again by then) it is
 * <em>recovering</em>: creating global networks is refused, since a VNI or subnet the store forgot may still be
 * in use on a host that has not published again yet. Listeners hear of the loss (publish what this host owns,
 * list again) and of the window's end. Checked once a second on its own thread ("berth-store-integrity"), and
 * once at start before the store's networks are read.
 */
public final class StoreIntegrity implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(StoreIntegrity.class.getName());

    private final EtcdStore etcd;
    private final Path epochFile;
    private final Duration window;
    private final List<Runnable> onLoss = new CopyOnWriteArrayList<>();
    private final List<Runnable> onRecovered = new CopyOnWriteArrayList<>();
    private volatile String epoch;
    private volatile long clusterId;
    private volatile long recoveringUntil;
    private volatile String lossReason;
    private volatile long losses;
    private volatile boolean closed;
    private Thread thread;

    /** @param epochFile where this host keeps the store's epoch marker between starts (the state dir). */
    public StoreIntegrity(final EtcdStore etcd, final Path epochFile, final Duration window)
    {
        this.etcd = etcd;
        this.epochFile = epochFile;
        this.window = window;
        this.epoch = readEpoch(epochFile);
        etcd.expectEpoch(epoch);
    }

    /** Runs on the checking thread when a loss is found (hand the work to the control thread). */
    public void onLoss(final Runnable listener)
    {
        onLoss.add(listener);
    }

    /** Runs on the checking thread when a recovery window ends. */
    public void onRecovered(final Runnable listener)
    {
        onRecovered.add(listener);
    }

    /** Checks once a second from now on. */
    public void start()
    {
        thread = new Thread(() ->
        {
            while (!closed)
            {
                sleep(1000);
                if (!closed)
                {
                    check();
                }
            }
        }, "berth-store-integrity");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether creating global networks must wait: the store lost data a moment ago. Any thread. */
    public boolean recovering()
    {
        return System.nanoTime() - recoveringUntil < 0;
    }

    /** The sentence a refused creation gets while {@link #recovering()}. */
    public String refusal()
    {
        final long left = Math.max(1, (recoveringUntil - System.nanoTime()) / 1_000_000_000L + 1);
        return "the store (etcd) lost data (" + lossReason + "); every host is publishing its networks, " +
            "addresses and endpoints again, and until that is done a new network could take a VNI or subnet a host " +
            "still uses: try again in " + left + " s";
    }

    public long losses()
    {
        return losses;
    }

    /**
     * Reads the store's marker once and compares; a store that does not answer is left for the next check.
     *
     * @return true when this check found a loss.
     */
    public synchronized boolean check()
    {
        final EtcdStore.Mark mark;
        try
        {
            mark = etcd.mark();
        }
        catch (final BerthException away)
        {
            return false;
        }
        if (epoch == null)
        {
            adopt(etcd.epochOrCreate(freshEpoch())); // the first start on this store (or the first with markers)
            clusterId = mark.clusterId();
            return false;
        }
        String lost = null;
        if (mark.epoch() == null)
        {
            lost = "its epoch marker is gone: its data was wiped";
        }
        else if (!mark.epoch().equals(epoch))
        {
            lost = "its epoch marker is " + mark.epoch() + ", not " + epoch + ": another store's data, or a restore";
        }
        else if (mark.revision() < mark.highestBefore())
        {
            lost = "its revision went back from " + mark.highestBefore() + " to " + mark.revision() +
                ": a restore from an older snapshot";
        }
        else if (clusterId != 0 && mark.clusterId() != clusterId)
        {
            lost = "its cluster id changed from " + Long.toHexString(clusterId) + " to " +
                Long.toHexString(mark.clusterId());
        }
        clusterId = mark.clusterId();
        if (lost == null)
        {
            return false;
        }
        try
        {
            etcd.resetHighestRevision(mark.revision());
            adopt(etcd.epochOrCreate(freshEpoch()));
        }
        catch (final BerthException away)
        {
            return false; // gone again: the next check finds the same
        }
        lossReason = lost + " at " + Instant.now().toString().substring(11, 19) + " UTC";
        losses++;
        recoveringUntil = System.nanoTime() + window.toNanos();
        LOG.log(System.Logger.Level.WARNING, "the store lost data (" + lost + "): publishing this host's networks, " +
            "addresses and endpoints again; creating global networks waits " + window.toSeconds() + " s");
        onLoss.forEach(Runnable::run);
        final Thread end = new Thread(() ->
        {
            sleep(window.toMillis());
            if (!closed && !recovering())
            {
                onRecovered.forEach(Runnable::run);
            }
        }, "berth-store-recovered");
        end.setDaemon(true);
        end.start();
        return true;
    }

    private void adopt(final String marker)
    {
        epoch = marker;
        etcd.expectEpoch(marker);
        try
        {
            final Path tmp = epochFile.resolveSibling(epochFile.getFileName() + ".tmp");
            Files.writeString(tmp, marker + "\n", StandardCharsets.UTF_8);
            OwnerOnly.file(tmp);
            Files.move(tmp, epochFile, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot keep the store's epoch in " + epochFile + ": " + ex.getMessage());
        }
    }

    private static String readEpoch(final Path file)
    {
        try
        {
            final String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
            return text.matches("[0-9a-f]{32}") ? text : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static String freshEpoch()
    {
        final byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close()
    {
        closed = true;
        if (thread != null)
        {
            thread.interrupt();
        }
    }
}
