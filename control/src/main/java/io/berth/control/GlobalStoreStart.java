package io.berth.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.wire.Json;
import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.dns.EmbeddedDns;
import io.berth.control.driver.overlay.OverlayDriver;
import io.berth.control.ipam.Ipv4;
import io.berth.control.state.ControlService;
import io.berth.control.store.etcd.EtcdStore;
import io.berth.control.store.etcd.GlobalStore;
import io.berth.control.store.etcd.StoreAccess;
import io.berth.control.store.etcd.StoreIntegrity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * berthd's global store, from the start to the control plane following it: the connection (credentials refused
 * stop the start; an etcd not up yet does not), this host's node record, the integrity check, and what the
 * control plane is told of the store's changes and losses. Part of the composition root; called by
 * {@link Berthd} on its start thread and, for {@link #count} and {@link #follow}, on the control thread.
 */
final class GlobalStoreStart
{
    /** What the start made: the store and its integrity check, which the shutdown closes in reverse. */
    record Connection(EtcdStore etcd, StoreIntegrity integrity)
    {
    }

    private GlobalStoreStart()
    {
    }

    /**
     * Connects, registers this host (in the background while etcd is away) and compares the store's epoch
     * marker once: a loss while berthd was down makes the cache stand in for the networks the store forgot.
     */
    static Connection connect(final StoreAccess access, final String node, final long ttlSeconds,
        final UplinkSpec uplink, final String wireGuardKey, final int wireGuardPort, final Path stateDir)
    {
        keepVertxCacheIn(stateDir);
        EtcdStore.checkCredentials(access, Duration.ofSeconds(3));
        final EtcdStore etcd = EtcdStore.connect(access, node, ttlSeconds, Duration.ofSeconds(3));
        final ObjectNode nodeJson = Json.WIRE.createObjectNode();
        nodeJson.put("name", node);
        nodeJson.put("vtep", uplink == null ? "" : Ipv4.format(uplink.ip()));
        if (wireGuardKey != null)
        {
            nodeJson.put("publicKey", wireGuardKey); // berth node ls; encrypted overlays' peers
            nodeJson.put("wgPort", wireGuardPort);
        }
        etcd.registerOrRetry(nodeJson.toString());
        final StoreIntegrity integrity = new StoreIntegrity(etcd, stateDir.resolve("store-epoch"),
            Duration.ofSeconds(ttlSeconds + 3));
        integrity.check();
        return new Connection(etcd, integrity);
    }

    /**
     * jetcd runs on Vert.x, which makes a {@code vertx-cache-UUID} directory under java.io.tmpdir at its first
     * use and removes it only on an orderly exit: every berthd killed with SIGKILL left one in /tmp. Its class
     * path resolving is not used by a gRPC client, so it is switched off, and the cache goes under the state
     * dir where one berthd's leftovers are replaced by its next start. Read once when Vert.x loads, so this
     * must run before the first jetcd class.
     */
    private static void keepVertxCacheIn(final Path stateDir)
    {
        System.setProperty("vertx.disableFileCPResolving", "true");
        System.setProperty("vertx.cacheDirBase", stateDir.resolve("vertx-cache").toString());
    }

    /** The {@code store} section of {@code berth counters}: values refused or in conflict, data losses. */
    static void count(final ControlService service, final GlobalStore global, final StoreIntegrity integrity)
    {
        global.vnisInUse(service.networks()::vnisInUse);
        service.observe().addCounters("store", () ->
        {
            final Map<String, Object> counters = new LinkedHashMap<>(service.networks().admission().counters());
            counters.put("values_rejected", (Long)counters.get("values_rejected") + global.unreadable());
            counters.put("data_losses", integrity.losses());
            return counters;
        });
    }

    /**
     * What other hosts change from now on (and missed while this one was down) comes in; other hosts'
     * containers get names; a store that lost data gets this host's networks back while the others' endpoints
     * stay. Control thread, once the state is restored.
     */
    static void follow(final ControlService service, final GlobalStore global, final StoreIntegrity integrity,
        final OverlayDriver overlay, final EmbeddedDns dns, final Executor controlThread)
    {
        global.watch(controlThread, service.networks()::applyFromStore);
        overlay.onRemoteEndpoints(dns);
        overlay.conflictsFrom(service.networks().admission()::conflictsWith); // network inspect's StoreConflicts
        overlay.watchEndpoints(controlThread);
        service.observe().nodesFrom(overlay::nodes);
        integrity.onLoss(() -> controlThread.execute(() ->
        {
            service.networks().storeLost();
            global.relistNow();
            overlay.relistEndpoints(false);
        }));
        integrity.onRecovered(() ->
        {
            global.relistNow();
            overlay.relistEndpoints(true);
        });
        if (integrity.recovering())
        {
            service.networks().storeLost(); // found at start: the networks came from the cache
        }
        integrity.start();
    }
}
