package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.wire.Json;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import javax.net.ssl.SSLException;

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
    static final String ROOT = "/berth/v1/";

    private final Client client;
    private final KV kv;
    private final ConnectBackoff backoff;
    private final String node;
    private final long ttlSeconds;
    private final long timeoutMillis;
    private final Map<String, byte[]> ownEndpoints = new ConcurrentHashMap<>(); // key -> value, put again on a new lease
    private volatile long leaseId;
    private CloseableClient keepAlive;
    private volatile byte[] nodeValue;
    private volatile boolean closed;
    /** The highest revision any answer carried: an answer below it means the store went back (a restore). */
    private final AtomicLong highestRevision = new AtomicLong();
    /** The epoch marker this host expects ({@link StoreIntegrity}); null before the first is known. */
    private volatile String expectedEpoch;

    private EtcdStore(final Client client, final String node, final long ttlSeconds, final Duration timeout)
    {
        this.client = client;
        this.kv = client.getKVClient();
        this.backoff = ConnectBackoff.of(client);
        this.node = node;
        this.ttlSeconds = ttlSeconds;
        this.timeoutMillis = timeout.toMillis();
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

    /**
     * Tries the store once, with a client of its own that fails at once instead of waiting for a connection.
     * Refused credentials (a certificate etcd or berthd does not accept, a wrong user or password) throw, with a
     * sentence saying which; a store that does not answer is fine here (berthd starts and retries, as after an
     * outage).
     */
    public static void checkCredentials(final StoreAccess access, final Duration timeout)
    {
        final ClientBuilder builder = Client.builder().connectTimeout(timeout).waitForReady(false)
            .retryMaxAttempts(1);
        access.configure(builder);
        try (Client probe = builder.build())
        {
            probe.getKVClient().get(key("catalog")).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException e)
        {
            final String why = credentialProblem(e);
            if (why != null)
            {
                throw new BerthException(why);
            }
            LOG.log(System.Logger.Level.DEBUG, "store probe: " + e.getCause());
        }
        catch (final TimeoutException e)
        {
            LOG.log(System.Logger.Level.DEBUG, "store probe: no answer within " + timeout.toMillis() + " ms");
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** What in {@code failure}'s causes says the credentials were refused, or null (unreachable, say). */
    static String credentialProblem(final Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause())
        {
            final String text = String.valueOf(cause.getMessage());
            final String lower = text.toLowerCase(Locale.ROOT);
            if (cause instanceof SSLException || lower.contains("certificate") ||
                lower.contains("handshake") || lower.contains("pkix"))
            {
                return "TLS with the store failed: " + text + " (check --store-ca, --store-cert and --store-key)";
            }
            if (lower.contains("authentication failed") || lower.contains("invalid user") ||
                lower.contains("permission denied") || lower.contains("user name is empty") ||
                lower.contains("unauthenticated"))
            {
                return "the store refused the user: " + text + " (check --store-user and --store-password-file)";
            }
        }
        return null;
    }

    public String node()
    {
        return node;
    }

    // ------------------------------------------------------------------ liveness

    /** Puts this host under a fresh lease and keeps it alive; its endpoints go under the same lease. */
    public synchronized void register(final String nodeJson)
    {
        nodeValue = bytes(nodeJson);
        final long lease = await(client.getLeaseClient().grant(ttlSeconds)).getID();
        leaseId = lease;
        await(kv.put(key("nodes/" + node), ByteSequence.from(nodeValue), PutOption.builder().withLeaseId(lease).build()));
        for (final Map.Entry<String, byte[]> endpoint : ownEndpoints.entrySet())
        {
            await(kv.put(key(endpoint.getKey()), ByteSequence.from(endpoint.getValue()),
                PutOption.builder().withLeaseId(lease).build()));
        }
        keepAlive(lease);
    }

    /**
     * Keeps {@code lease} alive on a stream of its own. When the stream breaks (its etcd member stopped, or etcd
     * is away) the same lease is kept alive again as soon as any member answers, so this host's endpoints never
     * lapse because one member of a cluster went away; only a lease etcd no longer has is replaced by a new one
     * (with everything put again).
     */
    private synchronized void keepAlive(final long lease)
    {
        if (keepAlive != null)
        {
            keepAlive.close(); // the lease it kept is gone or replaced
        }
        keepAlive = client.getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>()
        {
            @Override
            public void onNext(final LeaseKeepAliveResponse response)
            {
                if (response.getTTL() <= 0 && !closed && leaseId == lease)
                {
                    // the lease expired (keep-alives starved longer than the TTL): a new one, everything put again
                    LOG.log(System.Logger.Level.WARNING, "store lease " + lease + " expired: registering again");
                    reRegisterLater();
                }
            }

            @Override
            public void onError(final Throwable error)
            {
                if (!closed && leaseId == lease)
                {
                    LOG.log(System.Logger.Level.WARNING, "store lease " + lease + " lost its keep-alive stream (" +
                        error.getMessage() + "): keeping it alive again");
                    resumeLater(lease);
                }
            }

            @Override
            public void onCompleted()
            {
            }
        });
    }

    /** Keeps {@code lease} alive once through any member, then on a new stream; a lease etcd lost is replaced. */
    private void resumeLater(final long lease)
    {
        final Thread resume = new Thread(() ->
        {
            while (!closed && leaseId == lease)
            {
                try
                {
                    final LeaseKeepAliveResponse once = client.getLeaseClient().keepAliveOnce(lease)
                        .get(1, TimeUnit.SECONDS);
                    if (once.getTTL() > 0)
                    {
                        keepAlive(lease);
                        LOG.log(System.Logger.Level.INFO, "store lease " + lease + " kept alive again");
                    }
                    else
                    {
                        reRegisterLater();
                    }
                    return;
                }
                catch (final ExecutionException e)
                {
                    if (String.valueOf(e.getCause()).toLowerCase(java.util.Locale.ROOT).contains("not found"))
                    {
                        reRegisterLater(); // etcd no longer has it: a new lease, everything put again
                        return;
                    }
                    backoff.reset();
                }
                catch (final TimeoutException e)
                {
                    backoff.reset();
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
                sleep(200);
            }
        }, "berth-store-keepalive");
        resume.setDaemon(true);
        resume.start();
    }

    /** {@link #register}, or, while etcd is away, again every second in the background until it answers. */
    public void registerOrRetry(final String nodeJson)
    {
        try
        {
            register(nodeJson);
        }
        catch (final BerthException e)
        {
            nodeValue = bytes(nodeJson);
            LOG.log(System.Logger.Level.WARNING, "cannot register in the store (" + e.getMessage() + "); " +
                "trying again every second");
            reRegisterLater();
        }
    }

    private void reRegisterLater()
    {
        final Thread retry = new Thread(() ->
        {
            while (!closed)
            {
                try
                {
                    register(new String(nodeValue, StandardCharsets.UTF_8));
                    LOG.log(System.Logger.Level.INFO, "registered in the store again");
                    return;
                }
                catch (final BerthException e)
                {
                    sleep(1000);
                }
            }
        }, "berth-store-register");
        retry.setDaemon(true);
        retry.start();
    }

    // ------------------------------------------------------------------ networks

    /** The lowest VNI handed out when none is pinned, as Docker's overlay starts its pool. */
    public static final int FIRST_AUTO_VNI = 4096;
    public static final int MAX_VNI = 0xFFFFFF;

    /**
     * Creates a global network, refusing (and changing nothing) when the name or VNI is taken or the subnet
     * overlaps another global network's; the message names the other network. {@code vni} 0 takes the lowest free
     * one from {@link #FIRST_AUTO_VNI}, chosen at the same revision the transaction checks.
     *
     * @param json the network's JSON for the VNI it gets.
     * @return the VNI.
     */
    public int createNetwork(final String name, final int vni, final Cidr subnet,
        final IntFunction<String> json)
    {
        return createNetwork(name, vni, subnet, Set.of(), json);
    }

    /** @param vnisInUse VNIs this host's live networks have, never handed out whatever the store says. */
    public int createNetwork(final String name, final int vni, final Cidr subnet,
        final Set<Integer> vnisInUse, final IntFunction<String> json)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            final GetResponse catalog = await(kv.get(key("catalog")));
            final long catalogRevision = catalog.getKvs().isEmpty() ? 0 : catalog.getKvs().get(0).getModRevision();
            final long revision = catalog.getHeader().getRevision();
            if (!get(key("networks/" + name), revision).isEmpty())
            {
                throw new BerthException("network with name " + name + " already exists in the store");
            }
            final Set<Integer> taken = new HashSet<>();
            final String vniPrefix = key("vnis/").toString(StandardCharsets.UTF_8);
            for (final KeyValue held : getPrefix(key("vnis/"), revision))
            {
                try
                {
                    taken.add(Integer.parseInt(string(held.getKey()).substring(vniPrefix.length())));
                }
                catch (final NumberFormatException ex)
                {
                    LOG.log(System.Logger.Level.WARNING, "ignoring key " + string(held.getKey()) + " in the store: " +
                        "not a VNI");
                }
            }

            int chosen = vni;
            if (chosen == 0)
            {
                chosen = FIRST_AUTO_VNI;
                while (taken.contains(chosen) || vnisInUse.contains(chosen))
                {
                    chosen++;
                }
            }
            else if (taken.contains(chosen))
            {
                final List<KeyValue> vniOwner = get(key("vnis/" + chosen), revision);
                throw new BerthException("VNI " + chosen + " is taken by network " +
                    (vniOwner.isEmpty() ? "?" : string(vniOwner.get(0).getValue())) + "; give another -o vni=1.." +
                    MAX_VNI + " or leave it out to get a free one");
            }
            else if (vnisInUse.contains(chosen))
            {
                // the store forgot it (a loss this host has not noticed yet), but a network here has it
                throw new BerthException("VNI " + chosen + " is in use by a network on this host; give another -o " +
                    "vni=1.." + MAX_VNI + " or leave it out to get a free one");
            }
            for (final KeyValue other : getPrefix(key("subnets/"), revision))
            {
                final Cidr theirs = parseSubnet(string(other.getValue()));
                if (theirs != null && theirs.overlaps(subnet))
                {
                    throw new BerthException("subnet " + subnet + " overlaps subnet " + theirs + " of network "
                        + string(other.getKey()).substring(key("subnets/").toString(StandardCharsets.UTF_8).length())
                        + " in the store");
                }
            }
            final String epoch = expectedEpoch;
            final List<Cmp> conditions = new ArrayList<>(List.of(
                new Cmp(key("catalog"), Cmp.Op.EQUAL, CmpTarget.modRevision(catalogRevision))));
            if (epoch != null)
            {
                // a store that lost its data since this host last looked gives out no VNI or subnet it forgot
                conditions.add(new Cmp(key("epoch"), Cmp.Op.EQUAL, CmpTarget.value(bs(epoch))));
            }
            final boolean committed = await(kv.txn()
                .If(conditions.toArray(new Cmp[0]))
                .Then(Op.put(key("networks/" + name), bs(json.apply(chosen)), PutOption.DEFAULT),
                    Op.put(key("vnis/" + chosen), bs(name), PutOption.DEFAULT),
                    Op.put(key("subnets/" + name), bs(subnet.toString()), PutOption.DEFAULT),
                    Op.put(key("catalog"), bs(Long.toString(revision)), PutOption.DEFAULT))
                .commit()).isSucceeded();
            if (committed)
            {
                return chosen;
            }
            if (epoch != null)
            {
                final List<KeyValue> marker = get(key("epoch"), 0);
                if (marker.isEmpty() || !string(marker.get(0).getValue()).equals(epoch))
                {
                    throw new BerthException("the store (etcd) lost data since this host last read it (its epoch " +
                        "marker is " + (marker.isEmpty() ? "gone" : "another") + "); every host is publishing its " +
                        "networks again: try again in a few seconds");
                }
            }
            // another host changed the catalog between our read and our write: read again
        }
        throw new BerthException("the store is too busy to create network " + name + ": try again");
    }

    /** Every global network's subnet: name -> subnet. */
    public Map<String, Cidr> subnets()
    {
        final Map<String, Cidr> result = new TreeMap<>();
        final String prefix = key("subnets/").toString(StandardCharsets.UTF_8);
        for (final KeyValue held : getPrefix(key("subnets/"), 0))
        {
            final Cidr subnet = parseSubnet(string(held.getValue()));
            if (subnet != null)
            {
                result.put(string(held.getKey()).substring(prefix.length()), subnet);
            }
        }
        return result;
    }

    /** Keys below a prefix with their values, and the revision they were read at (to watch from). */
    public record Listing(Map<String, String> entries, long revision)
    {
    }

    /** Every key under {@code prefix} (below /berth/v1/), key below the prefix -> value, at one revision. */
    public Listing list(final String prefix)
    {
        final GetResponse response = await(kv.get(key(prefix), GetOption.builder().isPrefix(true).build()));
        final Map<String, String> entries = new LinkedHashMap<>();
        final int strip = key(prefix).toString(StandardCharsets.UTF_8).length();
        for (final KeyValue held : response.getKvs())
        {
            entries.put(string(held.getKey()).substring(strip), string(held.getValue()));
        }
        return new Listing(entries, response.getHeader().getRevision());
    }

    /** Every global network: name -> its JSON. */
    public Map<String, String> networks()
    {
        final Map<String, String> result = new TreeMap<>();
        final String prefix = key("networks/").toString(StandardCharsets.UTF_8);
        for (final KeyValue kvPair : getPrefix(key("networks/"), 0))
        {
            result.put(string(kvPair.getKey()).substring(prefix.length()), string(kvPair.getValue()));
        }
        return result;
    }

    /**
     * Removes a global network and everything it kept in the store, refused while any host still has an endpoint
     * on it (the message names the hosts).
     */
    public void deleteNetwork(final String name, final int vni)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            final GetResponse members = await(kv.get(key("members/" + name)));
            final long membersRevision = members.getKvs().isEmpty() ? 0 : members.getKvs().get(0).getModRevision();
            final long revision = members.getHeader().getRevision();
            if (get(key("networks/" + name), revision).isEmpty())
            {
                throw new BerthException("no such global network: " + name);
            }
            final List<String> hosts = new ArrayList<>();
            for (final KeyValue endpoint : getPrefix(key("endpoints/" + name + "/"), revision))
            {
                final String host = nodeOf(string(endpoint.getValue()));
                if (!hosts.contains(host))
                {
                    hosts.add(host);
                }
            }
            if (!hosts.isEmpty())
            {
                throw new BerthException("network " + name + " is in use: containers on " + String.join(", ", hosts)
                    + " are still connected");
            }
            final GetResponse catalog = await(kv.get(key("catalog")));
            final long catalogRevision = catalog.getKvs().isEmpty() ? 0 : catalog.getKvs().get(0).getModRevision();
            final boolean committed = await(kv.txn()
                .If(new Cmp(key("members/" + name), Cmp.Op.EQUAL, CmpTarget.modRevision(membersRevision)),
                    new Cmp(key("catalog"), Cmp.Op.EQUAL, CmpTarget.modRevision(catalogRevision)))
                .Then(Op.delete(key("networks/" + name), DeleteOption.DEFAULT),
                    Op.delete(key("vnis/" + vni), DeleteOption.DEFAULT),
                    Op.delete(key("subnets/" + name), DeleteOption.DEFAULT),
                    Op.delete(key("members/" + name), DeleteOption.DEFAULT),
                    Op.delete(key("ipam/" + name + "/"), DeleteOption.builder().isPrefix(true).build()),
                    Op.put(key("catalog"), bs(Long.toString(revision)), PutOption.DEFAULT))
                .commit()).isSucceeded();
            if (committed)
            {
                return;
            }
        }
        throw new BerthException("the store is too busy to remove network " + name + ": try again");
    }

    // ------------------------------------------------------------------ addresses

    /** Pins {@code ip} to {@code owner}; refused, naming the owner, when another has it. */
    public void claimAddress(final String network, final int ip, final String owner)
    {
        final ByteSequence k = key("ipam/" + network + "/" + Ipv4.format(ip));
        final boolean committed = await(kv.txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(k, bs(owner), PutOption.DEFAULT))
            .Else(Op.get(k, GetOption.DEFAULT))
            .commit()).isSucceeded();
        if (!committed)
        {
            final List<KeyValue> held = get(k, 0);
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
            for (final KeyValue held : getPrefix(key("ipam/" + network + "/"), 0))
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
            if (await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
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
        await(kv.delete(key("ipam/" + network + "/" + Ipv4.format(ip))));
    }

    /** Address -> owner, for one network. */
    public Map<Integer, String> addresses(final String network)
    {
        final Map<Integer, String> result = new TreeMap<>(Integer::compareUnsigned);
        final String prefix = key("ipam/" + network + "/").toString(StandardCharsets.UTF_8);
        for (final KeyValue held : getPrefix(key("ipam/" + network + "/"), 0))
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
            if (!String.valueOf(e.getMessage()).contains("lease not found") || nodeValue == null)
            {
                throw e;
            }
            // this host's lease ran out before jetcd's keep-alive noticed: take a new one and try once more
            register(new String(nodeValue, StandardCharsets.UTF_8));
            putEndpointOnce(network, id, json);
        }
    }

    private void putEndpointOnce(final String network, final String id, final String json)
    {
        final String k = "endpoints/" + network + "/" + id;
        final boolean committed = await(kv.txn()
            .If(new Cmp(key("networks/" + network), Cmp.Op.GREATER, CmpTarget.version(0)))
            .Then(Op.put(key(k), bs(json), PutOption.builder().withLeaseId(leaseId).build()),
                Op.put(key("members/" + network), bs(id), PutOption.DEFAULT))
            .commit()).isSucceeded();
        if (!committed)
        {
            throw new BerthException("no such global network: " + network);
        }
        ownEndpoints.put(k, bytes(json));
    }

    /** An endpoint to put under the lease at the next (re-)registration: it could not be put now. */
    public void rememberEndpoint(final String network, final String id, final String json)
    {
        ownEndpoints.put("endpoints/" + network + "/" + id, bytes(json));
    }

    public void removeEndpoint(final String network, final String id)
    {
        final String k = "endpoints/" + network + "/" + id;
        ownEndpoints.remove(k);
        await(kv.delete(key(k)));
    }

    /** Endpoint id -> JSON, every host's, for one network. */
    public Map<String, String> endpoints(final String network)
    {
        final Map<String, String> result = new LinkedHashMap<>();
        final String prefix = key("endpoints/" + network + "/").toString(StandardCharsets.UTF_8);
        for (final KeyValue endpoint : getPrefix(key("endpoints/" + network + "/"), 0))
        {
            result.put(string(endpoint.getKey()).substring(prefix.length()), string(endpoint.getValue()));
        }
        return result;
    }

    // ------------------------------------------------------------------ watching

    /** A change under a watched prefix: the key below the prefix, its value (null when deleted), the revision. */
    public record Change(String key, String value, long revision)
    {
    }

    /**
     * Delivers every change under {@code prefix} (below /berth/v1/) after {@code fromRevision}; when that revision
     * was compacted away, {@code relist} is called (list again, then watch from the list's revision).
     */
    public AutoCloseable watch(final String prefix, final long fromRevision, final Consumer<Change> changes,
        final Runnable relist)
    {
        final ByteSequence p = key(prefix);
        final String strip = p.toString(StandardCharsets.UTF_8);
        final AtomicBoolean ended = new AtomicBoolean(); // closed by its owner: an error then asks for nothing
        final Watch.Watcher watcher = client.getWatchClient().watch(p,
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
        final long before = highestRevision.get();
        final GetResponse response = await(kv.get(key("epoch")));
        return new Mark(response.getKvs().isEmpty() ? null : string(response.getKvs().get(0).getValue()),
            response.getHeader().getRevision(), response.getHeader().getClusterId(), before);
    }

    /** Puts {@code fresh} as the store's epoch marker unless it has one; the marker it has afterwards. */
    public String epochOrCreate(final String fresh)
    {
        final var response = await(kv.txn()
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
        highestRevision.set(revision);
    }

    /** Network creation commits only while the store still has this marker (null: no check yet). */
    public void expectEpoch(final String epoch)
    {
        expectedEpoch = epoch;
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
        for (int attempt = 0; attempt < 16; attempt++)
        {
            final GetResponse catalog = await(kv.get(key("catalog")));
            final long catalogRevision = catalog.getKvs().isEmpty() ? 0 : catalog.getKvs().get(0).getModRevision();
            final long revision = catalog.getHeader().getRevision();
            final List<KeyValue> same = get(key("networks/" + name), revision);
            if (!same.isEmpty())
            {
                return string(same.get(0).getValue()).contains(id) ? null :
                    "another network named " + name + " is in the store now";
            }
            final List<KeyValue> vniOwner = get(key("vnis/" + vni), revision);
            if (!vniOwner.isEmpty() && !string(vniOwner.get(0).getValue()).equals(name))
            {
                return "its VNI " + vni + " was taken by network " + string(vniOwner.get(0).getValue());
            }
            final String subnetPrefix = key("subnets/").toString(StandardCharsets.UTF_8);
            for (final KeyValue other : getPrefix(key("subnets/"), revision))
            {
                final String owner = string(other.getKey()).substring(subnetPrefix.length());
                final Cidr theirs = parseSubnet(string(other.getValue()));
                if (theirs != null && !owner.equals(name) && theirs.overlaps(subnet))
                {
                    return "its subnet " + subnet + " overlaps subnet " + theirs + " of network " + owner;
                }
            }
            final boolean committed = await(kv.txn()
                .If(new Cmp(key("catalog"), Cmp.Op.EQUAL, CmpTarget.modRevision(catalogRevision)))
                .Then(Op.put(key("networks/" + name), bs(json), PutOption.DEFAULT),
                    Op.put(key("vnis/" + vni), bs(name), PutOption.DEFAULT),
                    Op.put(key("subnets/" + name), bs(subnet.toString()), PutOption.DEFAULT),
                    Op.put(key("catalog"), bs(Long.toString(revision)), PutOption.DEFAULT))
                .commit()).isSucceeded();
            if (committed)
            {
                return null;
            }
        }
        return "the store was too busy";
    }

    /** A subnet value from the store, or null (logged) when it is none. */
    private static Cidr parseSubnet(final String text)
    {
        try
        {
            return Cidr.parse(text, "subnet");
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "ignoring subnet \"" + text + "\" in the store: " + ex.getMessage());
            return null;
        }
    }

    /** The store's current revision (to list at, then watch from). */
    public long revision()
    {
        return await(kv.get(key("catalog"))).getHeader().getRevision();
    }

    @Override
    public void close()
    {
        closed = true;
        client.close();
    }

    // ------------------------------------------------------------------ helpers

    private List<KeyValue> get(final ByteSequence k, final long revision)
    {
        return await(kv.get(k, GetOption.builder().withRevision(revision).build())).getKvs();
    }

    private List<KeyValue> getPrefix(final ByteSequence prefix, final long revision)
    {
        return await(kv.get(prefix, GetOption.builder().isPrefix(true).withRevision(revision).build())).getKvs();
    }

    private <T> T await(final CompletableFuture<T> future)
    {
        try
        {
            final T result = future.get(timeoutMillis, TimeUnit.MILLISECONDS);
            if (result instanceof Response response)
            {
                highestRevision.accumulateAndGet(response.getHeader().getRevision(), Math::max);
            }
            return result;
        }
        catch (final TimeoutException e)
        {
            future.cancel(true);
            backoff.reset(); // the next call, or the channel's own retry, connects now if etcd is back
            throw new BerthException("the store (etcd) did not answer within " + timeoutMillis + " ms: is it running?");
        }
        catch (final ExecutionException e)
        {
            backoff.reset();
            throw new BerthException("the store (etcd) refused: " + e.getCause().getMessage());
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new BerthException("interrupted while waiting for the store");
        }
    }

    private static ByteSequence key(final String below)
    {
        return bs(ROOT + below);
    }

    private static ByteSequence bs(final String text)
    {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(final ByteSequence bytes)
    {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The host an endpoint's JSON names. */
    private static String nodeOf(final String json)
    {
        try
        {
            return Json.WIRE.readTree(json).path("node").asText("?");
        }
        catch (final IOException e)
        {
            return "?";
        }
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
}
