package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.options.GetOption;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls every part of the store makes through one jetcd client: each waits at most the operation timeout and
 * fails with a {@link BerthException} that says the store is unreachable or refused; every answer's revision is
 * remembered, so that {@link StoreIntegrity} sees a store that went back. Keys are below {@link #ROOT}.
 * Thread-safe (jetcd's clients are).
 */
final class EtcdCalls
{
    static final String ROOT = "/berth/v1/";

    final Client client;
    final KV kv;
    private final ConnectBackoff backoff;
    private final long timeoutMillis;
    /** The highest revision any answer carried: an answer below it means the store went back (a restore). */
    private final AtomicLong highestRevision = new AtomicLong();

    EtcdCalls(final Client client, final Duration timeout)
    {
        this.client = client;
        this.kv = client.getKVClient();
        this.backoff = ConnectBackoff.of(client);
        this.timeoutMillis = timeout.toMillis();
    }

    long highestRevision()
    {
        return highestRevision.get();
    }

    void resetHighestRevision(final long revision)
    {
        highestRevision.set(revision);
    }

    /** After a call failed: the next call, or the channel's own retry, connects at once if etcd is back. */
    void resetBackoff()
    {
        backoff.reset();
    }

    List<KeyValue> get(final ByteSequence k, final long revision)
    {
        return await(kv.get(k, GetOption.builder().withRevision(revision).build())).getKvs();
    }

    List<KeyValue> getPrefix(final ByteSequence prefix, final long revision)
    {
        return await(kv.get(prefix, GetOption.builder().isPrefix(true).withRevision(revision).build())).getKvs();
    }

    <T> T await(final CompletableFuture<T> future)
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

    static ByteSequence key(final String below)
    {
        return bs(ROOT + below);
    }

    static ByteSequence bs(final String text)
    {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String string(final ByteSequence bytes)
    {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    static void sleep(final long millis)
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
