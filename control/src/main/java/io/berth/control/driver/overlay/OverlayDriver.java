package io.berth.control.driver.overlay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.dataplane.SegmentSpec;
import io.berth.control.dataplane.WireGuardPeerView;
import io.berth.control.driver.spi.Capabilities;
import io.berth.control.driver.spi.DualStack;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.driver.spi.SegmentIds;
import io.berth.control.error.BerthException;
import io.berth.control.event.Scope;
import io.berth.control.ipam.AddressPool;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.store.etcd.EtcdStore;
import io.berth.control.store.etcd.GlobalStore;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Docker's overlay driver in userspace: a global network is a dataplane segment (the same anycast gateway on every
 * host, so each host routes and masquerades its own containers) joined to the other hosts by VXLAN.
 * <ul>
 * <li>The network's definition, its addresses (the cluster-wide IPAM, on etcd transactions) and its endpoints
 *     live in the store; each endpoint under its host's lease.</li>
 * <li>Every remote endpoint becomes a static MAC entry behind the tunnel port of its host's VTEP and a proxy-ARP
 *     entry, as Docker's overlay installs static FDB and neighbour entries: nothing floods to learn them.</li>
 * <li>A tunnel port exists per remote host with endpoints on the network, and per {@code vxlan.peers} address
 *     (a kernel VXLAN device, whose MACs are learned from what it sends), so head-end replication reaches exactly
 *     those.</li>
 * <li>A watcher on the store's endpoints applies other hosts' joins and leaves (and the withdrawal of a dead
 *     host's, when its lease expires), listing again after a compaction or an outage.</li>
 * </ul>
 * Control thread (the watcher hands its changes over to it).
 */
public final class OverlayDriver implements NetworkDriver
{
    public static final String NAME = "overlay";
    private static final Capabilities CAPABILITIES = new Capabilities(NAME, Scope.GLOBAL, Attachment.ENDPOINT, true,
        true, false);
    private static final System.Logger LOG = System.getLogger(OverlayDriver.class.getName());
    /** Docker shows the VNI under this option. */
    static final String VXLANID_LIST = "com.docker.network.driver.overlay.vxlanid_list";

    /**
     * What an overlay needs of berthd: its store, its name there, its VTEP (the uplink address), and its WireGuard
     * public key (base64) and port, which its endpoint records carry to the other hosts.
     */
    public record Cluster(GlobalStore store, String node, int vtep, String wgKey, int wgPort)
    {
        EtcdStore etcd()
        {
            return store.etcd();
        }
    }

    private final Dataplane dataplane;
    private final SegmentIds segmentIds;
    /** Null without --store or --uplink: creating an overlay is refused, naming what is missing. */
    private final Cluster cluster;
    private final String missing;
    /** Network name -> what this host has of it in the dataplane. */
    private final Map<String, Overlay> overlays = new HashMap<>();
    /** Every other host's endpoint, whether or not its network is set up here yet. */
    private final RemoteEndpointFollower follower;
    /** The WireGuard peers of every encrypted network's tunnels. */
    private final EncryptionPeers encryption = new EncryptionPeers();

    /** Told of other hosts' endpoints as they come and go (embedded DNS names them). Control thread. */
    public interface RemoteEndpoints
    {
        void joined(String key, String network, String container, int ip, List<String> aliases);

        void left(String key);
    }

    private Function<String, List<String>> conflicts = name -> List.of();

    /** Where {@code network inspect} finds what conflicts with a network in the store (StoreConflicts). */
    public void conflictsFrom(final Function<String, List<String>> source)
    {
        this.conflicts = source;
    }

    /** Who hears of other hosts' endpoints; set before {@link #watchEndpoints}. */
    public void onRemoteEndpoints(final RemoteEndpoints listener)
    {
        follower.listener(listener);
    }

    /**
     * @param cluster null when berthd has no store or no uplink.
     * @param missing what to tell the user then (the flag to add).
     */
    public OverlayDriver(final Dataplane dataplane, final SegmentIds segmentIds, final Cluster cluster,
        final String missing)
    {
        this.dataplane = dataplane;
        this.segmentIds = segmentIds;
        this.cluster = cluster;
        this.missing = missing;
        this.follower = new RemoteEndpointFollower(dataplane, cluster, overlays);
    }

    @Override
    public Capabilities capabilities()
    {
        return CAPABILITIES;
    }

    @Override
    public Map<String, String> parseOptions(final List<String> options)
    {
        requireCluster();
        return OverlayOptions.parse(options).toMap();
    }

    private Cluster requireCluster()
    {
        if (cluster == null)
        {
            throw new BerthException("an overlay network needs " + missing);
        }
        return cluster;
    }

    @Override
    public Map<String, String> shownOptions(final Network network)
    {
        final Map<String, String> shown = new LinkedHashMap<>(network.options());
        shown.put(VXLANID_LIST, network.options().getOrDefault("vni", ""));
        return shown;
    }

    @Override
    public Map<Cidr, String> subnetsElsewhere()
    {
        return requireCluster().store().subnets();
    }

    /** The first free /24 of 10.0.0.0/8, as Docker's overlay pool hands them out. */
    @Override
    public Cidr defaultSubnet(final Collection<Cidr> taken)
    {
        for (int third = 0; third < 1 << 16; third++)
        {
            final Cidr candidate = new Cidr(0x0A00_0000 | (third << 8), 24);
            if (taken.stream().noneMatch(candidate::overlaps))
            {
                return candidate;
            }
        }
        throw new BerthException("every /24 of 10.0.0.0/8 is in use; pass --subnet");
    }

    @Override
    public int allocateAddress(final Network network, final String pinnedIp, final String owner)
    {
        final EtcdStore etcd = requireCluster().etcd();
        final AddressPool pool = network.addresses();
        final String claimant = cluster.node() + "/" + owner;
        if (pinnedIp == null || pinnedIp.isEmpty())
        {
            return etcd.allocateAddress(network.name(), pool.firstInRange(), pool.lastInRange(), pool::isReserved,
                claimant);
        }
        final int ip = Ipv4.parse(pinnedIp, "--ip");
        pool.checkAssignable(ip);
        etcd.claimAddress(network.name(), ip, claimant);
        return ip;
    }

    @Override
    public void releaseAddress(final Network network, final int ip)
    {
        requireCluster().etcd().releaseAddress(network.name(), ip);
    }

    @Override
    public void claimAgain(final Network network, final Map<Integer, String> owners)
    {
        if (cluster == null)
        {
            return;
        }
        owners.forEach((ip, owner) ->
        {
            try
            {
                cluster.etcd().claimAddress(network.name(), ip, cluster.node() + "/" + owner);
            }
            catch (final BerthException e)
            {
                LOG.log(System.Logger.Level.WARNING, "address " + Ipv4.format(ip) + " of " + owner + " on " +
                    network.name() + " cannot be claimed again: " + e.getMessage());
            }
        });
    }

    @Override
    public void releaseClaimsOf(final Network network, final String owner)
    {
        if (cluster == null)
        {
            return;
        }
        final String claimant = cluster.node() + "/" + owner;
        try
        {
            for (final Map.Entry<Integer, String> held : cluster.etcd().addresses(network.name()).entrySet())
            {
                if (held.getValue().equals(claimant))
                {
                    cluster.etcd().releaseAddress(network.name(), held.getKey());
                }
            }
        }
        catch (final BerthException e)
        {
            LOG.log(System.Logger.Level.WARNING, "addresses of " + claimant + " on " + network.name() + " stay " +
                "claimed (the store is away): " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ the network in the dataplane

    @Override
    public void createNetwork(final Network network)
    {
        requireCluster();
        final OverlayOptions options = OverlayOptions.of(network.options());
        final int segment = segmentIds.allocate();
        try
        {
            dataplane.addSegment(new SegmentSpec(segment, network.name(), network.subnet().network(),
                network.subnet().prefixLength(), network.gateway(), Ipv4.macFor(network.gateway()), true,
                network.internal(), options.mtu()));
            try
            {
                dataplane.addOverlay(segment, options.vni(), options.udpPort(), options.encrypted());
                // every host's gateway answers for the IPv6 gateway too (anycast, as for IPv4)
                DualStack.segment(dataplane, segment, network, false, null);
            }
            catch (final RuntimeException e)
            {
                dataplane.removeSegment(segment);
                throw e;
            }
        }
        catch (final RuntimeException e)
        {
            segmentIds.free(segment);
            throw e;
        }
        final Overlay overlay = new Overlay(segment, options, encryption);
        overlays.put(network.name(), overlay);
        for (final int peer : options.peers())
        {
            final OverlayOptions.ListedPeer listed = options.encryptedPeers().stream()
                .filter(p -> p.vtep() == peer).findFirst().orElse(null);
            overlay.holdTunnel(dataplane, peer, listed == null ? null : listed.publicKey(),
                listed == null ? 0 : listed.port());
        }
        follower.installOn(network.name(), overlay);
    }

    @Override
    public void deleteNetwork(final Network network)
    {
        final Overlay overlay = overlays.remove(network.name());
        if (overlay == null)
        {
            return;
        }
        overlay.removeTunnels(dataplane);
        dataplane.removeOverlay(overlay.options.vni());
        dataplane.removeSegment(overlay.segment);
        segmentIds.free(overlay.segment);
    }

    @Override
    public int join(final Network network, final String sandbox, final Endpoint endpoint, final boolean defaultRoute,
        final boolean restore) throws IOException
    {
        final Overlay overlay = overlays.get(network.name());
        if (overlay == null)
        {
            throw new IOException("overlay network " + network.name() + " is not set up in the dataplane");
        }
        final EndpointSpec.Ipv6 ipv6 = DualStack.endpoint(network, endpoint.ip(), false);
        final EndpointSpec spec = new EndpointSpec(overlay.segment, sandbox, endpoint.ifName(), endpoint.device(),
            endpoint.mac(), endpoint.ip(), network.subnet().prefixLength(), network.gateway(), defaultRoute,
            overlay.options.mtu(), null, ipv6);
        final int port = dataplane.attachTap(spec, restore);
        final String id = endpointId(endpoint);
        final String json = endpointJson(network, sandbox, endpoint);
        try
        {
            cluster.etcd().putEndpoint(network.name(), id, json);
        }
        catch (final BerthException e)
        {
            if (!restore)
            {
                dataplane.detachPort(port);
                throw e;
            }
            // berthd starts while the store is away: the endpoint is put once it registers again
            cluster.etcd().rememberEndpoint(network.name(), id, json);
            LOG.log(System.Logger.Level.WARNING, "endpoint " + sandbox + " on " + network.name() + " is published " +
                "once the store is back: " + e.getMessage());
        }
        overlay.localEndpoints++;
        return port;
    }

    @Override
    public void leave(final Network network, final Endpoint endpoint, final int handle)
    {
        try
        {
            cluster.etcd().removeEndpoint(network.name(), endpointId(endpoint));
        }
        catch (final BerthException e)
        {
            LOG.log(System.Logger.Level.WARNING, "endpoint " + endpoint.ifName() + " on " + network.name() +
                " stays in the store until this host's lease ends: " + e.getMessage());
        }
        final Overlay overlay = overlays.get(network.name());
        if (overlay != null)
        {
            overlay.localEndpoints--;
        }
        dataplane.detachPort(handle);
    }

    @Override
    public void takeDefaultRoute(final Network network, final String sandbox, final Endpoint endpoint)
        throws IOException
    {
        dataplane.defaultRouteVia(sandbox, endpoint.ifName(), network.gateway());
    }

    private String endpointId(final Endpoint endpoint)
    {
        return cluster.node() + "-" + endpoint.device();
    }

    private String endpointJson(final Network network, final String sandbox, final Endpoint endpoint)
    {
        final ObjectNode node = Json.WIRE.createObjectNode();
        node.put("node", cluster.node());
        node.put("vtep", Ipv4.format(cluster.vtep()));
        node.put("network", network.name());
        node.put("container", sandbox);
        node.put("ip", Ipv4.format(endpoint.ip()));
        node.put("mac", Ipv4.formatMac(endpoint.mac()));
        if (cluster.wgKey() != null)
        {
            node.put("wgKey", cluster.wgKey()); // what an encrypted network's tunnel to this host needs
            node.put("wgPort", cluster.wgPort());
        }
        endpoint.aliases().forEach(node.putArray("aliases")::add);
        return node.toString();
    }

    // ------------------------------------------------------------------ other hosts' endpoints

    /**
     * Lists every host's endpoints and then follows the store's changes to them, on {@code controlThread}; again
     * from a fresh listing after a compaction. Called once berthd has restored its own networks.
     */
    public void watchEndpoints(final Executor controlThread)
    {
        if (cluster != null)
        {
            follower.watch(controlThread);
        }
    }

    /**
     * Lists every host's endpoints again now, on the control thread (after the store lost data). With
     * {@code withdraw} false, endpoints the store does not have (yet) stay: while the other hosts publish theirs
     * again, traffic to them goes on.
     */
    public void relistEndpoints(final boolean withdraw)
    {
        follower.relistNow(withdraw);
    }

    // ------------------------------------------------------------------ inspect

    @Override
    public Map<String, Object> inspectExtras(final Network network)
    {
        final Map<String, Integer> peers = new TreeMap<>();
        final Overlay overlay = overlays.get(network.name());
        if (overlay != null && overlay.localEndpoints > 0 && cluster != null)
        {
            peers.put(cluster.node(), cluster.vtep());
        }
        for (final RemoteEndpointFollower.Remote remote : follower.on(network.name()).values())
        {
            peers.put(remote.node(), remote.vtep());
        }
        final List<Map<String, String>> shown = new ArrayList<>();
        peers.forEach((name, vtep) -> shown.add(Map.of("Name", name, "IP", Ipv4.format(vtep))));
        final Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("Encrypted", OverlayOptions.of(network.options()).encrypted());
        extras.put("Peers", shown);
        final List<String> conflicting = conflicts.apply(network.name());
        if (!conflicting.isEmpty())
        {
            extras.put("StoreConflicts", conflicting);
        }
        return extras;
    }

    @Override
    public Map<String, Map<String, Object>> remoteContainers(final Network network)
    {
        final Map<String, Map<String, Object>> shown = new TreeMap<>();
        follower.on(network.name()).forEach((key, remote) ->
        {
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("Name", remote.container());
            entry.put("EndpointID", key.substring(key.indexOf('/') + 1));
            entry.put("MacAddress", Ipv4.formatMac(remote.mac()));
            entry.put("IPv4Address", Ipv4.format(remote.ip()) + "/" + network.subnet().prefixLength());
            entry.put("Node", remote.node());
            shown.put(remote.container(), entry);
        });
        return shown;
    }


    // ------------------------------------------------------------------ berth node ls

    /**
     * Every host in the store (its name, VTEP and WireGuard key) with this host's WireGuard session to it (the last
     * handshake, the endpoint, bytes each way), then the peers listed with {@code encrypted.peers}. Control thread;
     * reads the store, so it fails, saying why, while the store is away.
     */
    public List<Map<String, Object>> nodes()
    {
        final Cluster known = requireCluster();
        final Map<String, WireGuardPeerView> sessions = new LinkedHashMap<>();
        dataplane.wireGuardPeers().forEach(peer -> sessions.put(peer.publicKey(), peer));
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (final Map.Entry<String, String> entry : new TreeMap<>(known.etcd().list("nodes/").entries()).entrySet())
        {
            final Map<String, Object> row = new LinkedHashMap<>();
            String key = "";
            try
            {
                final JsonNode node = Json.WIRE.readTree(entry.getValue());
                row.put("Name", node.path("name").asText(entry.getKey()));
                row.put("VTEP", node.path("vtep").asText(""));
                key = node.path("publicKey").asText("");
                row.put("PublicKey", key);
                row.put("WireGuardPort", node.path("wgPort").asInt(0));
            }
            catch (final IOException e)
            {
                row.put("Name", entry.getKey());
                row.put("Error", "unreadable node record: " + e.getMessage());
            }
            row.put("Self", entry.getKey().equals(known.node()));
            session(row, sessions.remove(key));
            rows.add(row);
        }
        for (final WireGuardPeerView listed : sessions.values())
        {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("Name", "");
            row.put("VTEP", Ipv4.format(listed.vtep()));
            row.put("PublicKey", listed.publicKey());
            row.put("Listed", true);
            session(row, listed);
            rows.add(row);
        }
        return rows;
    }

    private static void session(final Map<String, Object> row, final WireGuardPeerView peer)
    {
        if (peer == null)
        {
            return;
        }
        row.put("Endpoint", Ipv4.format(peer.endpointIp()) + ":" + peer.endpointPort());
        row.put("LastHandshake", peer.lastHandshakeMs() == 0 ? "" : Instant.ofEpochMilli(peer.lastHandshakeMs()).toString());
        row.put("Handshakes", peer.handshakes());
        row.put("Session", peer.session());
        row.put("TransmittedBytes", peer.transmittedBytes());
        row.put("ReceivedBytes", peer.receivedBytes());
    }
}
