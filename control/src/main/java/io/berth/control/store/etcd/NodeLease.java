package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.berth.control.store.etcd.EtcdCalls.bytes;
import static io.berth.control.store.etcd.EtcdCalls.key;
import static io.berth.control.store.etcd.EtcdCalls.sleep;

/**
 * This host's lease in the store: its node record and its endpoints live under it and vanish TTL after the host
 * dies. Kept alive on a stream of jetcd's; a broken stream keeps the same lease alive through any member, and
 * only a lease etcd no longer has is replaced (the node and every endpoint put again). Thread-safe: called from
 * the control thread, keep-alive callbacks on jetcd's, retries on threads of their own.
 */
final class NodeLease implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(NodeLease.class.getName());

    private final EtcdCalls calls;
    private final String node;
    private final long ttlSeconds;
    /** Key -> value of this host's endpoints: put again under a new lease. */
    private final Map<String, byte[]> ownEndpoints = new ConcurrentHashMap<>();
    private volatile long leaseId;
    private CloseableClient keepAlive;
    private volatile byte[] nodeValue;
    private volatile boolean closed;

    NodeLease(final EtcdCalls calls, final String node, final long ttlSeconds)
    {
        this.calls = calls;
        this.node = node;
        this.ttlSeconds = ttlSeconds;
    }

    /** The lease to put this host's keys under (0 before the first registration). */
    long id()
    {
        return leaseId;
    }

    /** Keeps an endpoint's key and value, to put again under a new lease. */
    void remember(final String key, final String json)
    {
        ownEndpoints.put(key, bytes(json));
    }

    void forget(final String key)
    {
        ownEndpoints.remove(key);
    }

    /**
     * After etcd said "lease not found" on a put: this host registered before, so a new lease is taken now (and
     * true returned, for the caller to try once more); false when it never registered.
     */
    boolean renewLost()
    {
        final byte[] value = nodeValue;
        if (value == null)
        {
            return false;
        }
        register(new String(value, StandardCharsets.UTF_8));
        return true;
    }

    /** Puts this host under a fresh lease and keeps it alive; its endpoints go under the same lease. */
    synchronized void register(final String nodeJson)
    {
        nodeValue = bytes(nodeJson);
        final long lease = calls.await(calls.client.getLeaseClient().grant(ttlSeconds)).getID();
        leaseId = lease;
        calls.await(calls.kv.put(key("nodes/" + node), ByteSequence.from(nodeValue), PutOption.builder().withLeaseId(lease).build()));
        for (final Map.Entry<String, byte[]> endpoint : ownEndpoints.entrySet())
        {
            calls.await(calls.kv.put(key(endpoint.getKey()), ByteSequence.from(endpoint.getValue()),
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
        keepAlive = calls.client.getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>()
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
                    final LeaseKeepAliveResponse once = calls.client.getLeaseClient().keepAliveOnce(lease)
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
                    if (String.valueOf(e.getCause()).toLowerCase(Locale.ROOT).contains("not found"))
                    {
                        reRegisterLater(); // etcd no longer has it: a new lease, everything put again
                        return;
                    }
                    calls.resetBackoff();
                }
                catch (final TimeoutException e)
                {
                    calls.resetBackoff();
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
    void registerOrRetry(final String nodeJson)
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

    @Override
    public synchronized void close()
    {
        closed = true;
        if (keepAlive != null)
        {
            keepAlive.close();
        }
    }
}
