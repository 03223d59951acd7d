package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

import static io.berth.control.store.etcd.EtcdCalls.bs;
import static io.berth.control.store.etcd.EtcdCalls.key;
import static io.berth.control.store.etcd.EtcdCalls.string;

/**
 * The cluster's shared state for global (overlay) networks, in a real etcd through jetcd: network definitions,
 * the cluster-wide IPAM, and which host has which endpoints. Every rule that must hold across hosts is an etcd
 * transaction, so two berthds acting at the same moment cannot both win:
 * <pre>
 *  /berth/v1/catalog                 bumped by every network create and delete: the creator read the catalog
 *                                    at one revision, and its transaction commits only if nothing changed since
 *  /berth/v1/networks/NAME           the network (JSON, opaque here)        no lease
 *  /berth/v1/vnis/VNI                NAME: a VNI is taken once              no lease
 *  /berth/v1/subnets/NAME            the network's subnet, for overlap checks
 *  /berth/v1/ipam/NAME/A.B.C.D       the owner of an address: handed out once, kept across restarts, freed by rm
 *  /berth/v1/members/NAME            bumped by every endpoint join: a delete that read "no endpoints" commits
 *                                    only if no endpoint joined since
 *  /berth/v1/endpoints/NAME/ID       an endpoint (JSON) under its host's lease: gone TTL after the host dies
 *  /berth/v1/nodes/NODE              the host (JSON: name, VTEP) under its lease
 * </pre>
 * A host's lease is kept alive by jetcd; when it is lost anyway (etcd was away longer than the TTL), the next
 * keep-alive failure grants a new one and puts the node and its endpoints back ({@link #register}). Calls block
 * for at most the operation timeout and then fail with a {@link BerthException} that says the store is
 * unreachable: changes fail fast while etcd is away, and what the dataplane already has goes on working.
 * Thread-safe (jetcd's clients are); called from the control thread, keep-alive callbacks on jetcd's.
 */
public final class EtcdStore implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(EtcdStore.class.getName());
    /** The lowest VNI handed out when none is pinned, as Docker's overlay starts its pool. */
    public static final int FIRST_AUTO_VNI = NetworkCatalog.FIRST_AUTO_VNI;
    public static final int MAX_VNI = NetworkCatalog.MAX_VNI;

    private final EtcdCalls calls;
    private final String node;
    private final NodeLease lease;
    private final NetworkCatalog catalog;
    private volatile boolean closed;

    private EtcdStore(final Client client, final String node, final long ttlSeconds, final Duration timeout)
    {
        this.calls = new EtcdCalls(client, timeout);
        this.node = node;
        this.lease = new NodeLease(calls, node, ttlSeconds);
        this.catalog = new NetworkCatalog(calls);
    }

    /**
     * @param endpoints etcd's client URLs ({@code http://HOST:PORT}).
     * @param node      this host's name in the store.
     * @param ttl       how long this host's endpoints outlive it.
     */
    public static EtcdStore connect(final List<String> endpoints, final String node, final long ttlSeconds,
        final Duration timeout)
    {
        return connect(StoreAccess.plain(endpoints), node, ttlSeconds, timeout);
    }

    /** As {@link #connect(List, String, long, Duration)}, with TLS and authentication as {@code access} says. */
    public static EtcdStore connect(final StoreAccess access, final String node, final long ttlSeconds,
        final Duration timeout)
    {
        if (ttlSeconds < 2 || ttlSeconds > 3600)
        {
            throw new BerthException("--store-ttl " + ttlSeconds + " is out of range: give 2..3600 seconds");
        }
        final ClientBuilder builder = Client.builder().connectTimeout(timeout);
        access.configure(builder);
        return new EtcdStore(builder.build(), node, ttlSeconds, timeout);
    }

    /** Tries the store once before anything changes: refused credentials throw, an absent store does not. */
    public static void checkCredentials(final StoreAccess access, final Duration timeout)
    {
        CredentialProbe.check(access, timeout);
    }

    public String node()
    {
        return node;
    }

    // ------------------------------------------------------------------ liveness ({@link NodeLease})

    /** Puts this host under a fresh lease and keeps it alive; its endpoints go under the same lease. */
    public void register(final String nodeJson)
    {
        lease.register(nodeJson);
    }

    /** {@link #register}, or, while etcd is away, again every second in the background until it answers. */
    public void registerOrRetry(final String nodeJson)
    {
        lease.registerOrRetry(nodeJson);
    }

    // ------------------------------------------------------------------ networks ({@link NetworkCatalog})

    /**
     * Creates a global network, refusing (and changing nothing) when the name or VNI is taken or the subnet
     * overlaps another global network's; the message names the other network. {@code vni} 0 takes the lowest free
     * one from {@link #FIRST_AUTO_VNI}, chosen at the same revision the transaction checks.
     *
     * @param json the network's JSON for the VNI it gets.
     * @return the VNI.
     */
    public int createNetwork(final String name, final int vni, final Cidr subnet, final IntFunction<String> json)
    {
        return catalog.createNetwork(name, vni, subnet, Set.of(), json);
    }

    /** @param vnisInUse VNIs this host's live networks have, never handed out whatever the store says. */
    public int createNetwork(final String name, final int vni, final Cidr subnet, final Set<Integer> vnisInUse,
        final IntFunction<String> json)
    {
        return catalog.createNetwork(name, vni, subnet, vnisInUse, json);
    }

    /** Every global network's subnet: name -> subnet. */
    public Map<String, Cidr> subnets()
    {
        return catalog.subnets();
    }

    /** Every global network: name -> its JSON. */
    public Map<String, String> networks()
    {
        return catalog.networks();
    }

    /**
     * Removes a global network and everything it kept in the store, refused while any host still has an endpoint
     * on it (the message names the hosts).
     */
    public void deleteNetwork(final String name, final int vni)
    {
        catalog.deleteNetwork(name, vni);
    }

    /**
     * Puts a network this host has containers on back into a store that forgot it, with its own VNI and subnet,
     * unless another network took its name, VNI or subnet meanwhile.
     *
     * @return null when the store has it now (put, or there already with the same id), else what holds it.
     */
    public String republishNetwork(final String name, final String id, final int vni, final Cidr subnet,
        final String json)
    {
        return catalog.republishNetwork(name, id, vni, subnet, json);
    }

    // ------------------------------------------------------------------ listing

    /** Keys below a prefix with their values, and the revision they were read at (to watch from). */
    public record Listing(Map<String, String> entries, long revision)
    {
    }

    /** Every key under {@code prefix} (below /berth/v1/), key below the prefix -> value, at one revision. */
    public Listing list(final String prefix)
    {
        final GetResponse response = calls.await(calls.kv.get(key(prefix), GetOption.builder().isPrefix(true).build()));
        final Map<String, String> entries = new LinkedHashMap<>();
        final int strip = key(prefix).toString(StandardCharsets.UTF_8).length();
        for (final KeyValue held : response.getKvs())
        {
            entries.put(string(held.getKey()).substring(strip), string(held.getValue()));
        }
        return new Listing(entries, response.getHeader().getRevision());
    }

    // ------------------------------------------------------------------ addresses

    /** Pins {@code ip} to {@code owner}; refused, naming the owner, when another has it. */
    public void claimAddress(final String network, final int ip, final String owner)
    {
        final ByteSequence k = key("ipam/" + network + "/" + Ipv4.format(ip));
        final boolean committed = calls.await(calls.kv.txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(k, bs(owner), PutOption.DEFAULT))
            .Else(Op.get(k, GetOption.DEFAULT))
            .commit()).isSucceeded();
        if (!committed)
        {
            final List<KeyValue> held = calls.get(k, 0);
            final String by = held.isEmpty() ? "another container" : string(held.get(0).getValue());
            if (!by.equals(owner))
            {
                throw new BerthException("address " + Ipv4.format(ip) + " on network " + network + " is in use by " + by);
            }
        }
    }

    /**
     * The lowest free address of {@code from..to} (inclusive, skipping {@code reserved}), handed to {@code owner}
     * in one transaction: hosts asking at the same moment each get another one.
     */
    public int allocateAddress(final String network, final int from, final int to, final IntPredicate reserved,
        final String owner)
    {
        for (int attempt = 0; attempt < 64; attempt++)
        {
            final Set<Integer> taken = new HashSet<>();
            final String prefix = key("ipam/" + network + "/").toString(StandardCharsets.UTF_8);
            for (final KeyValue held : calls.getPrefix(key("ipam/" + network + "/"), 0))
            {
                taken.add(Ipv4.parse(string(held.getKey()).substring(prefix.length()), "address"));
            }
            int candidate = from;
            while (Integer.compareUnsigned(candidate, to) <= 0 && (taken.contains(candidate) || reserved.test(candidate)))
            {
                candidate++;
            }
            if (Integer.compareUnsigned(candidate, to) > 0)
            {
                throw new BerthException("no free address left on network " + network + " (" + Ipv4.format(from) + "-"
                    + Ipv4.format(to) + ")");
            }
            final ByteSequence k = key("ipam/" + network + "/" + Ipv4.format(candidate));
            if (calls.await(calls.kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(k, bs(owner), PutOption.DEFAULT)).commit()).isSucceeded())
            {
                return candidate;
            }
            // another host took it between our read and our write
        }
        throw new BerthException("the store is too busy to give an address on network " + network + ": try again");
    }

    public void releaseAddress(final String network, final int ip)
    {
        calls.await(calls.kv.delete(key("ipam/" + network + "/" + Ipv4.format(ip))));
    }

    /** Address -> owner, for one network. */
    public Map<Integer, String> addresses(final String network)
    {
        final Map<Integer, String> result = new TreeMap<>(Integer::compareUnsigned);
        final String prefix = key("ipam/" + network + "/").toString(StandardCharsets.UTF_8);
        for (final KeyValue held : calls.getPrefix(key("ipam/" + network + "/"), 0))
        {
            result.put(Ipv4.parse(string(held.getKey()).substring(prefix.length()), "address"), string(held.getValue()));
        }
        return result;
    }

    // ------------------------------------------------------------------ endpoints

    /**
     * Puts an endpoint of this host under its lease (it vanishes TTL after the host dies), refused when the
     * network is not in the store. The JSON must hold {@code "node"}.
     */
    public void putEndpoint(final String network, final String id, final String json)
    {
        try
        {
            putEndpointOnce(network, id, json);
        }
        catch (final BerthException e)
        {
            // this host's lease ran out before jetcd's keep-alive noticed: take a new one and try once more
            if (!String.valueOf(e.getMessage()).contains("lease not found") || !lease.renewLost())
            {
                throw e;
            }
            putEndpointOnce(network, id, json);
        }
    }

    private void putEndpointOnce(final String network, final String id, final String json)
    {
        final String k = "endpoints/" + network + "/" + id;
        final boolean committed = calls.await(calls.kv.txn()
            .If(new Cmp(key("networks/" + network), Cmp.Op.GREATER, CmpTarget.version(0)))
            .Then(Op.put(key(k), bs(json), PutOption.builder().withLeaseId(lease.id()).build()),
                Op.put(key("members/" + network), bs(id), PutOption.DEFAULT))
            .commit()).isSucceeded();
        if (!committed)
        {
            throw new BerthException("no such global network: " + network);
        }
        lease.remember(k, json);
    }

    /** An endpoint to put under the lease at the next (re-)registration: it could not be put now. */
    public void rememberEndpoint(final String network, final String id, final String json)
    {
        lease.remember("endpoints/" + network + "/" + id, json);
    }

    public void removeEndpoint(final String network, final String id)
    {
        final String k = "endpoints/" + network + "/" + id;
        lease.forget(k);
        calls.await(calls.kv.delete(key(k)));
    }

    /** Endpoint id -> JSON, every host's, for one network. */
    public Map<String, String> endpoints(final String network)
    {
        final Map<String, String> result = new LinkedHashMap<>();
        final String prefix = key("endpoints/" + network + "/").toString(StandardCharsets.UTF_8);
        for (final KeyValue endpoint : calls.getPrefix(key("endpoints/" + network + "/"), 0))
        {
            result.put(string(endpoint.getKey()).substring(prefix.length()), string(endpoint.getValue()));
        }
        return result;
    }

    // ------------------------------------------------------------------ watching

    /** A watch that its owner ends; ending it twice, or after it failed, is harmless. */
    public interface Watching extends AutoCloseable
    {
        @Override
        void close();
    }

    /** A change under a watched prefix: the key below the prefix, its value (null when deleted), the revision. */
    public record Change(String key, String value, long revision)
    {
    }

    /**
     * Delivers every change under {@code prefix} (below /berth/v1/) after {@code fromRevision}; when that revision
     * was compacted away, {@code relist} is called (list again, then watch from the list's revision).
     */
    public Watching watch(final String prefix, final long fromRevision, final Consumer<Change> changes,
        final Runnable relist)
    {
        final ByteSequence p = key(prefix);
        final String strip = p.toString(StandardCharsets.UTF_8);
        final AtomicBoolean ended = new AtomicBoolean(); // closed by its owner: an error then asks for nothing
        final Watch.Watcher watcher = calls.client.getWatchClient().watch(p,
            WatchOption.builder().isPrefix(true).withRevision(fromRevision + 1).build(),
            Watch.listener(response ->
            {
                for (final WatchEvent event : response.getEvents())
                {
                    final KeyValue kvPair = event.getKeyValue();
                    changes.accept(new Change(string(kvPair.getKey()).substring(strip.length()),
                        event.getEventType() == WatchEvent.EventType.DELETE ? null : string(kvPair.getValue()),
                        kvPair.getModRevision()));
                }
            }, error ->
            {
                if (ended.get())
                {
                    return;
                }
                if (error instanceof CompactedException || String.valueOf(error.getMessage()).contains("compacted"))
                {
                    relist.run();
                }
                else if (!closed)
                {
                    // the member it watched on went away (one of a cluster stopped, or etcd restarted): list again
                    // and watch anew, on whichever member answers, instead of missing every change from now on
                    LOG.log(System.Logger.Level.WARNING, "store watch on " + prefix + " failed (" + error.getMessage() +
                        "): listing again");
                    Later.inASecond("berth-store-rewatch", relist);
                }
            }));
        return () ->
        {
            ended.set(true);
            watcher.close();
        };
    }

    // ------------------------------------------------------------------ integrity (StoreIntegrity)

    /**
     * What the store says of itself at one read.
     *
     * @param epoch         its epoch marker, or null when it has none.
     * @param highestBefore the highest revision this host had read before this read.
     */
    public record Mark(String epoch, long revision, long clusterId, long highestBefore)
    {
    }

    public Mark mark()
    {
        final long before = calls.highestRevision();
        final GetResponse response = calls.await(calls.kv.get(key("epoch")));
        return new Mark(response.getKvs().isEmpty() ? null : string(response.getKvs().get(0).getValue()),
            response.getHeader().getRevision(), response.getHeader().getClusterId(), before);
    }

    /** Puts {@code fresh} as the store's epoch marker unless it has one; the marker it has afterwards. */
    public String epochOrCreate(final String fresh)
    {
        final var response = calls.await(calls.kv.txn()
            .If(new Cmp(key("epoch"), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(key("epoch"), bs(fresh), PutOption.DEFAULT))
            .Else(Op.get(key("epoch"), GetOption.DEFAULT))
            .commit());
        if (response.isSucceeded())
        {
            return fresh;
        }
        final List<KeyValue> held = response.getGetResponses().get(0).getKvs();
        return held.isEmpty() ? fresh : string(held.get(0).getValue());
    }

    /** After a loss: the store's revision starts again from where it is now. */
    public void resetHighestRevision(final long revision)
    {
        calls.resetHighestRevision(revision);
    }

    /** Network creation commits only while the store still has this marker (null: no check yet). */
    public void expectEpoch(final String epoch)
    {
        catalog.expectEpoch(epoch);
    }

    /** The store's current revision (to list at, then watch from). */
    public long revision()
    {
        return calls.await(calls.kv.get(key("catalog"))).getHeader().getRevision();
    }

    @Override
    public void close()
    {
        closed = true;
        lease.close();
        calls.client.close();
    }
}
