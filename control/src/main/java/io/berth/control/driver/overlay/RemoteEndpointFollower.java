package io.berth.control.driver.overlay;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.store.etcd.EtcdStore;
import io.berth.control.store.etcd.Later;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;

/**
 * Every other host's endpoints, from the store: listed once, then followed by a watch (listed again after a
 * compaction or a failed watch), each installed in the dataplane behind a tunnel to its host's VTEP where its
 * network is set up here, and told to the listener (the embedded DNS names them). Control thread; the watch's
 * callbacks are moved onto it.
 */
final class RemoteEndpointFollower
{
    private static final System.Logger LOG = System.getLogger(RemoteEndpointFollower.class.getName());

    /** @param wgKey the host's WireGuard public key (base64), empty from a host that has none. */
    record Remote(String network, String node, int vtep, int ip, long mac, String container,
        List<String> aliases, String wgKey, int wgPort)
    {
    }

    private final Dataplane dataplane;
    private final OverlayDriver.Cluster cluster;
    /** The driver's overlays, by network name (shared, read here). */
    private final Map<String, Overlay> overlays;
    /** By store key (NETWORK/ID). */
    private final Map<String, Remote> remotes = new LinkedHashMap<>();
    private OverlayDriver.RemoteEndpoints listener;
    private Executor controlThread;
    private EtcdStore.Watching watch;

    RemoteEndpointFollower(final Dataplane dataplane, final OverlayDriver.Cluster cluster,
        final Map<String, Overlay> overlays)
    {
        this.dataplane = dataplane;
        this.cluster = cluster;
        this.overlays = overlays;
    }

    void listener(final OverlayDriver.RemoteEndpoints listener)
    {
        this.listener = listener;
    }

    /** Lists and follows from now on, on {@code controlThread}. */
    void watch(final Executor controlThread)
    {
        this.controlThread = controlThread;
        controlThread.execute(() -> relist(controlThread, true));
    }

    /** Lists again now (once following); {@code withdraw} false keeps what the store does not have (yet). */
    void relistNow(final boolean withdraw)
    {
        final Executor thread = controlThread;
        if (thread != null)
        {
            thread.execute(() -> relist(thread, withdraw));
        }
    }

    /** Installs the endpoints already known on a network that was just set up here. */
    void installOn(final String network, final Overlay overlay)
    {
        for (final Remote remote : remotes.values())
        {
            if (remote.network().equals(network))
            {
                install(overlay, remote);
            }
        }
    }

    /** The endpoints of one network, by store key. */
    Map<String, Remote> on(final String network)
    {
        final Map<String, Remote> on = new TreeMap<>();
        remotes.forEach((key, remote) ->
        {
            if (remote.network().equals(network))
            {
                on.put(key, remote);
            }
        });
        return on;
    }

    private void relist(final Executor controlThread, final boolean withdraw)
    {
        final EtcdStore.Listing listing;
        try
        {
            listing = cluster.etcd().list("endpoints/");
        }
        catch (final BerthException e)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot list the store's endpoints (" + e.getMessage() + "); " +
                "trying again");
            Later.inASecond("berth-overlay-relist",
                () -> controlThread.execute(() -> relist(controlThread, withdraw)));
            return;
        }
        final Map<String, Remote> now = new TreeMap<>();
        listing.entries().forEach((key, value) ->
        {
            final Remote remote = parse(value);
            if (remote != null)
            {
                now.put(key, remote);
            }
        });
        for (final String key : new ArrayList<>(remotes.keySet()))
        {
            if (withdraw && !now.containsKey(key))
            {
                withdraw(key);
            }
        }
        now.forEach(this::announce);
        closeWatch();
        watch = cluster.etcd().watch("endpoints/", listing.revision(), change -> controlThread.execute(() ->
        {
            if (change.value() == null)
            {
                withdraw(change.key());
            }
            else
            {
                final Remote remote = parse(change.value());
                if (remote != null)
                {
                    announce(change.key(), remote);
                }
            }
        }), () -> controlThread.execute(() -> relist(controlThread, true)));
    }

    private Remote parse(final String json)
    {
        try
        {
            final JsonNode node = Json.WIRE.readTree(json);
            if (node.path("node").asText().equals(cluster.node()))
            {
                return null; // ours
            }
            final List<String> aliases = new ArrayList<>();
            node.path("aliases").forEach(alias -> aliases.add(alias.asText()));
            return new Remote(node.path("network").asText(), node.path("node").asText(),
                Ipv4.parse(node.path("vtep").asText(), "vtep"), Ipv4.parse(node.path("ip").asText(), "ip"),
                Long.parseLong(node.path("mac").asText().replace(":", ""), 16), node.path("container").asText(),
                List.copyOf(aliases), node.path("wgKey").asText(""),
                node.path("wgPort").asInt(OverlayOptions.DEFAULT_WIREGUARD_PORT));
        }
        catch (final IOException | RuntimeException e)
        {
            LOG.log(System.Logger.Level.WARNING, "skipping an unreadable endpoint in the store: " + e.getMessage());
            return null;
        }
    }

    private void announce(final String key, final Remote remote)
    {
        final Remote before = remotes.get(key);
        if (remote.equals(before))
        {
            return;
        }
        if (before != null)
        {
            withdraw(key);
        }
        remotes.put(key, remote);
        LOG.log(System.Logger.Level.INFO, "endpoint " + remote.container() + " of host " + remote.node() + " on " +
            remote.network() + " is at " + Ipv4.format(remote.vtep()));
        if (listener != null)
        {
            listener.joined(key, remote.network(), remote.container(), remote.ip(), remote.aliases());
        }
        final Overlay overlay = overlays.get(remote.network());
        if (overlay != null)
        {
            install(overlay, remote);
        }
    }

    private void withdraw(final String key)
    {
        final Remote remote = remotes.remove(key);
        if (remote == null)
        {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "endpoint " + remote.container() + " of host " + remote.node() + " on " +
            remote.network() + " left the store");
        if (listener != null)
        {
            listener.left(key);
        }
        final Overlay overlay = overlays.get(remote.network());
        if (overlay != null)
        {
            try
            {
                dataplane.removeRemoteEndpoint(overlay.segment, remote.ip(), remote.mac());
            }
            finally
            {
                overlay.releaseTunnel(dataplane, remote.vtep());
            }
        }
    }

    private void install(final Overlay overlay, final Remote remote)
    {
        if (remote.vtep() == cluster.vtep())
        {
            LOG.log(System.Logger.Level.WARNING, "host " + remote.node() + " has this host's VTEP " +
                Ipv4.format(remote.vtep()) + "; its endpoint " + remote.container() + " is ignored");
            return;
        }
        try
        {
            final int port = overlay.holdTunnel(dataplane, remote.vtep(), remote.wgKey(), remote.wgPort());
            dataplane.putRemoteEndpoint(overlay.segment, port, remote.ip(), remote.mac());
        }
        catch (final RuntimeException e)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot reach " + remote.container() + " on " + remote.node() +
                ": " + e.getMessage());
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
}
