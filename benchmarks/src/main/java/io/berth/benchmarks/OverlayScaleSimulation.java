package io.berth.benchmarks;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.grpc.stub.StreamObserver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Many lightweight overlay hosts against one real etcd, for docs/scale.md: each simulated host does what a berthd
 * on the store does, without a dataplane: one lease kept alive, its node key under it, and the two watches berthd
 * keeps ({@code /berth/v1/networks/} and {@code /berth/v1/endpoints/}). Then container starts are simulated: an
 * address claim and an endpoint key (the JSON berthd writes) under a host's lease, at a fixed rate; every watcher
 * records when it saw each endpoint. Prints delivery latency (P50/P99/max over every watcher and event), the
 * events and bytes delivered, and etcd's memory before and after (from /proc, given its pid).
 * <p>
 * Hosts share a few jetcd clients (gRPC connections): etcd's cost per watcher and per lease is the same whether
 * they come over one connection or many, and a thousand JVM-side gRPC channels would measure this JVM instead.
 * <p>
 * Usage: {@code java -cp benchmarks.jar io.berth.benchmarks.OverlayScaleSimulation URL HOSTS CONTAINERS RATE
 * [ETCD_PID]} (RATE: container starts per second).
 */
public final class OverlayScaleSimulation
{
    private static final String ROOT = "/berth/v1/";
    private static final int HOSTS_PER_CLIENT = 100;

    public static void main(final String[] args) throws Exception
    {
        final String url = args[0];
        final int hosts = Integer.parseInt(args[1]);
        final int containers = Integer.parseInt(args[2]);
        final int rate = Integer.parseInt(args[3]);
        final long etcdPid = args.length > 4 ? Long.parseLong(args[4]) : -1;
        final long rssBefore = rssKb(etcdPid);
        final List<Client> clients = new ArrayList<>();
        for (int i = 0; i < (hosts + HOSTS_PER_CLIENT - 1) / HOSTS_PER_CLIENT; i++)
        {
            clients.add(Client.builder().endpoints(url).build());
        }
        final long[] leases = new long[hosts];
        final long started = System.nanoTime();
        final List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int h = 0; h < hosts; h++)
        {
            final Client client = clients.get(h / HOSTS_PER_CLIENT);
            final int host = h;
            pending.add(client.getLeaseClient().grant(10).thenCompose(lease ->
            {
                leases[host] = lease.getID();
                client.getLeaseClient().keepAlive(lease.getID(), new Quiet());
                return client.getKVClient().put(bs(ROOT + "nodes/sim" + host),
                    bs("{\"name\":\"sim" + host + "\",\"vtep\":\"10." + (host >> 16 & 255) + "." + (host >> 8 & 255)
                        + "." + (host & 255) + "\"}"), PutOption.builder().withLeaseId(lease.getID()).build());
            }));
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        System.out.printf("%d hosts registered (leases + node keys) in %d ms%n", hosts,
            (System.nanoTime() - started) / 1_000_000);

        // every watcher's view: when it saw container i (nanoTime), and how much it received
        final long[] putAt = new long[containers];
        final AtomicLongArray latencies = new AtomicLongArray((int)Math.min((long)hosts * containers, 50_000_000L));
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final List<Watch.Watcher> watchers = new ArrayList<>();
        for (int h = 0; h < hosts; h++)
        {
            final Client client = clients.get(h / HOSTS_PER_CLIENT);
            watchers.add(client.getWatchClient().watch(bs(ROOT + "networks/"),
                WatchOption.builder().isPrefix(true).build(), response -> { }));
            watchers.add(client.getWatchClient().watch(bs(ROOT + "endpoints/"),
                WatchOption.builder().isPrefix(true).build(), response ->
                {
                    final long now = System.nanoTime();
                    response.getEvents().forEach(event ->
                    {
                        final String key = event.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                        final int i = Integer.parseInt(key.substring(key.lastIndexOf("-tap") + 4));
                        final long slot = delivered.getAndIncrement();
                        if (slot < latencies.length())
                        {
                            latencies.set((int)slot, now - putAt[i]);
                        }
                        bytes.addAndGet(event.getKeyValue().getKey().size() + event.getKeyValue().getValue().size());
                    });
                }));
        }
        Thread.sleep(2000); // let every watch be established
        final Client writer = clients.get(0);
        final AtomicLong failed = new AtomicLong();
        final AtomicLong failedEndpoints = new AtomicLong();
        final long interval = 1_000_000_000L / rate;
        final long begin = System.nanoTime();
        final List<CompletableFuture<?>> puts = new ArrayList<>();
        for (int i = 0; i < containers; i++)
        {
            final long due = begin + i * interval;
            while (System.nanoTime() < due)
            {
                Thread.onSpinWait();
            }
            final int host = i % hosts;
            final int ip = 0x0A00_0002 + i;
            final String address = (ip >>> 24) + "." + (ip >> 16 & 255) + "." + (ip >> 8 & 255) + "." + (ip & 255);
            putAt[i] = System.nanoTime();
            puts.add(writer.getKVClient().put(bs(ROOT + "ipam/simnet/" + address), bs("sim" + host + "/c" + i))
                .exceptionally(e -> counted(failed)));
            puts.add(writer.getKVClient().put(bs(ROOT + "endpoints/simnet/sim" + host + "-tap" + i),
                bs("{\"node\":\"sim" + host + "\",\"vtep\":\"10.1.2.3\",\"network\":\"simnet\",\"container\":\"c" + i
                    + "\",\"ip\":\"" + address + "\",\"mac\":\"02:42:0a:00:00:02\"}"),
                PutOption.builder().withLeaseId(leases[host]).build()).exceptionally(e -> counted(failedEndpoints)));
        }
        CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
        final long expected = (long)hosts * (containers - failedEndpoints.get());
        if (failed.get() + failedEndpoints.get() > 0)
        {
            System.out.printf("etcd refused or timed out %d of %d writes%n", failed.get() + failedEndpoints.get(),
                2L * containers);
        }
        final long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (delivered.get() < expected && System.nanoTime() < waitUntil)
        {
            Thread.sleep(50);
        }
        final double seconds = (System.nanoTime() - begin) / 1e9;
        final int n = (int)Math.min(delivered.get(), latencies.length());
        final long[] sorted = new long[n];
        for (int i = 0; i < n; i++)
        {
            sorted[i] = latencies.get(i);
        }
        Arrays.sort(sorted);
        System.out.printf("%d container starts at %d/s, %d watchers: %d of %d events delivered in %.1f s " +
                "(%.0f events/s, %.1f MB)%n", containers, rate, hosts, delivered.get(), expected, seconds,
            delivered.get() / seconds, bytes.get() / 1e6);
        if (n > 0)
        {
            System.out.printf("put -> seen by a watcher: P50 %.1f ms, P99 %.1f ms, max %.1f ms%n",
                sorted[n / 2] / 1e6, sorted[(int)Math.min(n - 1, (long)(n * 0.99))] / 1e6, sorted[n - 1] / 1e6);
        }
        System.out.printf("etcd RSS: %d MB before, %d MB after%n", rssBefore / 1024, rssKb(etcdPid) / 1024);
        watchers.forEach(Watch.Watcher::close);
        for (final Client client : clients)
        {
            client.close();
        }
        System.exit(0);
    }

    private static <T> T counted(final AtomicLong counter)
    {
        counter.incrementAndGet();
        return null;
    }

    private static long rssKb(final long pid)
    {
        if (pid <= 0)
        {
            return -1;
        }
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        }
        catch (final IOException e)
        {
            return -1;
        }
        return -1;
    }

    private static ByteSequence bs(final String text)
    {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private static final class Quiet implements StreamObserver<LeaseKeepAliveResponse>
    {
        @Override
        public void onNext(final LeaseKeepAliveResponse value)
        {
        }

        @Override
        public void onError(final Throwable t)
        {
        }

        @Override
        public void onCompleted()
        {
        }
    }
}
