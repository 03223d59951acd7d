package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.event.Scope;
import io.berth.control.event.Store;
import io.berth.control.ipam.Cidr;
import io.berth.control.journal.JournalCodec;
import io.berth.control.journal.OwnerOnly;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The global scope's {@link Store}: network definitions in etcd ({@link EtcdStore}), so every berthd on the same
 * store sees a network created or removed on any of them. Creating commits only through etcd's transaction (name,
 * VNI and subnet unique across the store; a VNI left out is chosen there), removing only while no host has
 * endpoints on it. What etcd holds is also cached in the state dir, so a berthd that starts while etcd is away
 * still has every global network (and its containers stay reachable); the watch then catches up.
 * Control thread, except the watch callbacks, which hand their changes to the control thread.
 */
public final class GlobalStore implements Store
{
    private static final System.Logger LOG = System.getLogger(GlobalStore.class.getName());
    /** The options key holding a network's VNI (what the overlay driver validates). */
    public static final String VNI = "vni";

    private final EtcdStore etcd;
    private final Path cacheFile;
    /** Network name -> its event, as the store has it now (what the cache holds). Control thread. */
    private final Map<String, Event.NetworkCreated> known = new LinkedHashMap<>();
    private EtcdStore.Watching watch;
    private StoreIntegrity integrity;
    private final AtomicLong unreadable = new AtomicLong();
    private final Set<Integer> unreadableSeen = ConcurrentHashMap.newKeySet();
    private Supplier<Set<Integer>> vnisInUse = Set::of;
    private Executor controlThread;
    private Consumer<Event> changes;

    /** @param cacheFile where the store's networks are kept between starts (the state dir). */
    public GlobalStore(final EtcdStore etcd, final Path cacheFile)
    {
        this.etcd = etcd;
        this.cacheFile = cacheFile;
    }

    public EtcdStore etcd()
    {
        return etcd;
    }

    /** What tells this store that etcd lost data: creation waits while it recovers, and the cache stands in. */
    public GlobalStore integrity(final StoreIntegrity integrity)
    {
        this.integrity = integrity;
        return this;
    }

    /** The VNIs this host's networks use, which a new network never gets (whatever etcd remembers). */
    public GlobalStore vnisInUse(final Supplier<Set<Integer>> vnis)
    {
        this.vnisInUse = vnis;
        return this;
    }

    /**
     * Puts {@code created} back into a store that forgot it (with its VNI and subnet).
     *
     * @return null when the store has it now, else what in the store holds its name, VNI or subnet.
     */
    public String publishAgain(final Event.NetworkCreated created)
    {
        final String conflict = etcd.republishNetwork(created.name(), created.id(),
            Integer.parseInt(created.options().get(VNI)), Cidr.parse(created.ipam().subnet(), "subnet"),
            JournalCodec.encode(created, Instant.now()));
        if (conflict == null)
        {
            known.put(created.name(), created);
            saveCache();
        }
        return conflict;
    }

    /** Lists the store's networks again now (after a loss), on the control thread. */
    public void relistNow()
    {
        if (controlThread != null)
        {
            controlThread.execute(() -> relist(controlThread, changes));
        }
    }

    @Override
    public Scope scope()
    {
        return Scope.GLOBAL;
    }

    @Override
    public void append(final Event event)
    {
        commit(event);
    }

    @Override
    public Event commit(final Event event)
    {
        if (event instanceof Event.NetworkCreated created)
        {
            if (integrity != null && integrity.recovering())
            {
                throw new BerthException(integrity.refusal());
            }
            final String pinned = created.options().get(VNI);
            final Cidr subnet = created.ipam() == null ? null : Cidr.parse(created.ipam().subnet(), "subnet");
            final Event.NetworkCreated[] stored = new Event.NetworkCreated[1];
            etcd.createNetwork(created.name(), pinned == null ? 0 : Integer.parseInt(pinned), subnet, vnisInUse.get(),
                vni ->
            {
                final Map<String, String> options = new LinkedHashMap<>(created.options());
                options.put(VNI, Integer.toString(vni));
                stored[0] = new Event.NetworkCreated(created.id(), created.name(), created.driver(), created.scope(),
                    created.ipam(), options, created.internal(), created.predefined(), created.driverData(),
                    created.created());
                return JournalCodec.encode(stored[0], Instant.now());
            });
            known.put(created.name(), stored[0]);
            saveCache();
            return stored[0];
        }
        if (event instanceof Event.NetworkRemoved removed)
        {
            final Event.NetworkCreated created = known.get(removed.name());
            final String vni = created == null ? null : created.options().get(VNI);
            etcd.deleteNetwork(removed.name(), vni == null ? 0 : Integer.parseInt(vni));
            known.remove(removed.name());
            saveCache();
            return event;
        }
        throw new IllegalArgumentException("the global store keeps networks only, not " + event.getClass().getSimpleName());
    }

    /** The store's networks, or, while etcd is away, those cached at the last change. */
    @Override
    public void replay(final Consumer<Event> consumer)
    {
        List<Event.NetworkCreated> networks;
        if (integrity != null && integrity.recovering())
        {
            // the store lost data while this host was down: what it forgot is what this host had
            networks = readCache();
            LOG.log(System.Logger.Level.WARNING, "the store lost data: " + networks.size() + " global network(s) " +
                "from the cache " + cacheFile + "; those with containers here go back into the store");
            networks.forEach(n -> known.put(n.name(), n));
            networks.forEach(consumer);
            return;
        }
        try
        {
            networks = decode(etcd.networks().values());
            known.clear();
            networks.forEach(n -> known.put(n.name(), n));
            saveCache();
        }
        catch (final BerthException ex)
        {
            networks = readCache();
            LOG.log(System.Logger.Level.WARNING, "the store is away (" + ex.getMessage() + "): " + networks.size() +
                " global network(s) from the cache " + cacheFile + "; the watch catches up when it is back");
            networks.forEach(n -> known.put(n.name(), n));
        }
        networks.forEach(consumer);
    }

    /** Subnets of every global network, by network name (for the overlap check of a new network). */
    public Map<Cidr, String> subnets()
    {
        final Map<Cidr, String> result = new LinkedHashMap<>();
        etcd.subnets().forEach((name, subnet) -> result.put(subnet, name));
        return result;
    }

    /**
     * Follows the networks other hosts create and remove: each change goes to {@code changes} on
     * {@code controlThread}. After a compaction (or at start) the store is listed again and the difference to
     * what is known handed over as the same events.
     */
    public void watch(final Executor controlThread, final Consumer<Event> changes)
    {
        this.controlThread = controlThread;
        this.changes = changes;
        controlThread.execute(() -> relist(controlThread, changes));
    }

    private void relist(final Executor controlThread, final Consumer<Event> changes)
    {
        final EtcdStore.Listing listing;
        try
        {
            listing = etcd.list("networks/");
        }
        catch (final BerthException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot list the store's networks (" + ex.getMessage() + "); " +
                "trying again");
            Later.inASecond("berth-store-relist", () -> controlThread.execute(() -> relist(controlThread, changes)));
            return;
        }
        final Map<String, Event.NetworkCreated> now = new HashMap<>();
        for (final Event.NetworkCreated created : decode(listing.entries().values()))
        {
            now.put(created.name(), created);
        }
        for (final Event.NetworkCreated gone : new ArrayList<>(known.values()))
        {
            final Event.NetworkCreated still = now.get(gone.name());
            if (still == null || !still.id().equals(gone.id()))
            {
                known.remove(gone.name());
                changes.accept(new Event.NetworkRemoved(gone.id(), gone.name()));
            }
        }
        for (final Event.NetworkCreated created : now.values())
        {
            if (!known.containsKey(created.name()))
            {
                known.put(created.name(), created);
                changes.accept(created);
            }
        }
        saveCache();
        closeWatch();
        watch = etcd.watch("networks/", listing.revision(), change -> controlThread.execute(() ->
        {
            if (change.value() == null)
            {
                final Event.NetworkCreated gone = known.remove(change.key());
                if (gone != null)
                {
                    saveCache();
                    changes.accept(new Event.NetworkRemoved(gone.id(), gone.name()));
                }
            }
            else
            {
                final List<Event.NetworkCreated> decoded = decode(List.of(change.value()));
                if (decoded.isEmpty())
                {
                    return; // logged by decode
                }
                final Event.NetworkCreated created = decoded.get(0);
                if (!known.containsKey(created.name()))
                {
                    known.put(created.name(), created);
                    saveCache();
                    changes.accept(created);
                }
            }
        }), () -> controlThread.execute(() -> relist(controlThread, changes)));
    }

    /** The readable networks among {@code texts}; an unreadable value is logged once and counted. */
    private List<Event.NetworkCreated> decode(final Collection<String> texts)
    {
        final List<Event.NetworkCreated> result = new ArrayList<>();
        for (final String text : texts)
        {
            try
            {
                if (JournalCodec.decode(text) instanceof Event.NetworkCreated created)
                {
                    result.add(created);
                    continue;
                }
                refused(text, "it is not a network");
            }
            catch (final RuntimeException ex)
            {
                refused(text, ex.getMessage());
            }
        }
        return result;
    }

    private void refused(final String text, final String why)
    {
        if (unreadableSeen.add(text.hashCode()))
        {
            unreadable.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "ignoring an unreadable network in the store (" + why + "): " +
                (text.length() > 120 ? text.substring(0, 120) + "..." : text));
        }
    }

    /** Values under networks/ that are no network at all (cut short, not JSON): counted once each. */
    public long unreadable()
    {
        return unreadable.get();
    }

    private void saveCache()
    {
        final StringBuilder text = new StringBuilder();
        for (final Event.NetworkCreated created : known.values())
        {
            text.append(JournalCodec.encode(created, Instant.now())).append('\n');
        }
        try
        {
            final Path tmp = cacheFile.resolveSibling(cacheFile.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            OwnerOnly.file(tmp);
            Files.move(tmp, cacheFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot cache the store's networks in " + cacheFile + ": " +
                ex.getMessage());
        }
    }

    private List<Event.NetworkCreated> readCache()
    {
        if (!Files.exists(cacheFile))
        {
            return List.of();
        }
        try
        {
            return decode(Files.readAllLines(cacheFile, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                .toList());
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot read the cache " + cacheFile + ": " + ex.getMessage());
            return List.of();
        }
    }

    private void closeWatch()
    {
        if (watch != null)
        {
            watch.close();
            watch = null;
        }
    }

    @Override
    public void close()
    {
        closeWatch();
    }
}
