package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The global store against a real etcd (no mock): uniqueness of names, VNIs and subnets across hosts, the
 * cluster-wide IPAM under concurrent allocation from three hosts, endpoints that vanish with their host's lease,
 * a refused delete while endpoints exist, watches, and an etcd restart that loses nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EtcdStoreTest
{
    private EtcdServer etcd;
    private final List<EtcdStore> stores = new ArrayList<>();
    private int networkCounter;

    @BeforeAll
    void startEtcd() throws Exception
    {
        etcd = EtcdServer.start();
    }

    @AfterAll
    void stopEtcd() throws Exception
    {
        stores.forEach(EtcdStore::close);
        if (etcd != null)
        {
            etcd.close();
        }
    }

    private EtcdStore host(final String name, final long ttl)
    {
        final EtcdStore store = EtcdStore.connect(etcd.endpoints(), name, ttl, Duration.ofSeconds(3));
        stores.add(store);
        store.register("{\"name\":\"" + name + "\",\"vtep\":\"192.168.50." + (stores.size()) + "\"}");
        return store;
    }

    private String freshName()
    {
        return "ov" + (++networkCounter);
    }

    @Test
    void namesVnisAndSubnetsAreUniqueAcrossHosts()
    {
        final EtcdStore a = host("a1", 10);
        final EtcdStore b = host("b1", 10);
        final String n = freshName();
        a.createNetwork(n, 5001, Cidr.parse("10.201.0.0/24", "subnet"), v -> "{\"name\":\"" + n + "\"}");
        assertTrue(b.networks().containsKey(n), "the other host sees it at once");
        final BerthException sameName = assertThrows(BerthException.class,
            () -> b.createNetwork(n, 5002, Cidr.parse("10.202.0.0/24", "subnet"), v -> "{}"));
        assertTrue(sameName.getMessage().contains(n), sameName.getMessage());
        final BerthException sameVni = assertThrows(BerthException.class,
            () -> b.createNetwork(freshName(), 5001, Cidr.parse("10.203.0.0/24", "subnet"), v -> "{}"));
        assertTrue(sameVni.getMessage().contains("VNI 5001") && sameVni.getMessage().contains(n), sameVni.getMessage());
        final BerthException overlap = assertThrows(BerthException.class,
            () -> b.createNetwork(freshName(), 5003, Cidr.parse("10.201.0.128/25", "subnet"), v -> "{}"));
        assertTrue(overlap.getMessage().contains("overlaps subnet 10.201.0.0/24") && overlap.getMessage().contains(n),
            overlap.getMessage());
        a.deleteNetwork(n, 5001);
        assertTrue(!b.networks().containsKey(n));
        b.createNetwork(n, 5001, Cidr.parse("10.201.0.0/24", "subnet"), v -> "{}"); // free again after rm
        b.deleteNetwork(n, 5001);
    }

    @Test
    void concurrentAllocationOnThreeHostsNeverHandsAnAddressOutTwice() throws Exception
    {
        final List<EtcdStore> hosts = List.of(host("c1", 10), host("c2", 10), host("c3", 10));
        final String n = freshName();
        hosts.get(0).createNetwork(n, 5101, Cidr.parse("10.210.0.0/24", "subnet"), v -> "{}");
        final int first = Ipv4.parse("10.210.0.2", "ip");
        final int last = Ipv4.parse("10.210.0.254", "ip");
        final ExecutorService pool = Executors.newFixedThreadPool(6);
        final CountDownLatch go = new CountDownLatch(1);
        final ConcurrentLinkedQueue<Integer> given = new ConcurrentLinkedQueue<>();
        final List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 6; t++)
        {
            final EtcdStore store = hosts.get(t % 3);
            final int thread = t;
            work.add(pool.submit(() ->
            {
                go.await();
                for (int i = 0; i < 10; i++)
                {
                    given.add(store.allocateAddress(n, first, last, ip -> false, "c" + thread + "-" + i));
                }
                return null;
            }));
        }
        go.countDown();
        for (final Future<?> f : work)
        {
            f.get();
        }
        pool.shutdown();
        assertEquals(60, given.size());
        final Set<Integer> unique = new HashSet<>(given);
        assertEquals(60, unique.size(), "no address was handed out twice");
        assertEquals(60, hosts.get(1).addresses(n).size(), "every host sees the same 60");

        final int pinned = Ipv4.parse("10.210.0.200", "ip");
        hosts.get(0).claimAddress(n, pinned, "pinned-on-c1");
        final BerthException taken = assertThrows(BerthException.class, () -> hosts.get(2).claimAddress(n, pinned, "other"));
        assertTrue(taken.getMessage().contains("10.210.0.200") && taken.getMessage().contains("pinned-on-c1"),
            taken.getMessage());
        hosts.get(0).releaseAddress(n, pinned);
        hosts.get(2).claimAddress(n, pinned, "other"); // freed by rm
    }

    @Test
    void endpointsVanishWithTheirHostsLeaseAndBlockTheNetworksRemoval() throws Exception
    {
        final EtcdStore dying = host("d1", 2);
        final EtcdStore other = host("d2", 10);
        final String n = freshName();
        other.createNetwork(n, 5201, Cidr.parse("10.220.0.0/24", "subnet"), v -> "{}");
        dying.putEndpoint(n, "e1", "{\"node\":\"d1\",\"ip\":\"10.220.0.2\"}");
        final BerthException inUse = assertThrows(BerthException.class, () -> other.deleteNetwork(n, 5201));
        assertTrue(inUse.getMessage().contains("in use") && inUse.getMessage().contains("d1"), inUse.getMessage());
        assertEquals(1, other.endpoints(n).size());

        final long killedAt = System.nanoTime();
        dying.close(); // as a SIGKILL: no revoke, the lease simply stops being kept alive
        stores.remove(dying);
        while (!other.endpoints(n).isEmpty() && System.nanoTime() - killedAt < Duration.ofSeconds(10).toNanos())
        {
            Thread.sleep(100);
        }
        final long gone = (System.nanoTime() - killedAt) / 1_000_000;
        assertTrue(other.endpoints(n).isEmpty(), "the dead host's endpoint was withdrawn");
        assertTrue(gone <= 3_000 + 500, "within TTL + 1 s: " + gone + " ms");
        other.deleteNetwork(n, 5201);
    }

    @Test
    void watchesSeeChangesFromARevision() throws Exception
    {
        final EtcdStore a = host("w1", 10);
        final EtcdStore b = host("w2", 10);
        final String n = freshName();
        a.createNetwork(n, 5301, Cidr.parse("10.230.0.0/24", "subnet"), v -> "{}");
        final long from = b.revision();
        final ConcurrentLinkedQueue<EtcdStore.Change> seen = new ConcurrentLinkedQueue<>();
        try (AutoCloseable watch = b.watch("endpoints/" + n + "/", from, seen::add, () -> { }))
        {
            a.putEndpoint(n, "x", "{\"node\":\"w1\"}");
            a.removeEndpoint(n, "x");
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (seen.size() < 2 && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
        }
        final List<EtcdStore.Change> changes = new ArrayList<>(seen);
        assertEquals(2, changes.size(), changes::toString);
        assertEquals("x", changes.get(0).key());
        assertTrue(changes.get(0).value().contains("w1"));
        assertEquals(null, changes.get(1).value(), "then deleted");
        a.deleteNetwork(n, 5301);
    }

    /** A watch from a revision etcd compacted away cannot resume: the caller is told to list again. */
    @Test
    void aWatchFromACompactedRevisionAsksForANewListing() throws Exception
    {
        final EtcdStore a = host("k1", 10);
        final String n = freshName();
        final long old = a.revision();
        a.createNetwork(n, 5501, Cidr.parse("10.250.128.0/24", "subnet"), v -> "{}");
        a.putEndpoint(n, "y", "{\"node\":\"k1\"}");
        try (Client admin = Client.builder().endpoints(etcd.url()).build())
        {
            admin.getKVClient().compact(a.revision()).get(5, TimeUnit.SECONDS);
        }
        final CountDownLatch relisted = new CountDownLatch(1);
        final ConcurrentLinkedQueue<EtcdStore.Change> seen = new ConcurrentLinkedQueue<>();
        try (AutoCloseable watch = a.watch("endpoints/", old, seen::add, relisted::countDown))
        {
            assertTrue(relisted.await(10, TimeUnit.SECONDS), "no relist after the compaction");
        }
        assertTrue(seen.isEmpty(), "changes from a compacted history: " + seen);
        a.removeEndpoint(n, "y");
        a.deleteNetwork(n, 5501);
    }

    @Test
    void anEtcdRestartLosesNothingAndAnOutageFailsFast() throws Exception
    {
        final EtcdStore a = host("r1", 10);
        final String n = freshName();
        a.createNetwork(n, 5401, Cidr.parse("10.240.0.0/24", "subnet"), v -> "{\"v\":1}");
        final int ip = a.allocateAddress(n, Ipv4.parse("10.240.0.2", "ip"), Ipv4.parse("10.240.0.9", "ip"), x -> false, "c");
        etcd.stop();
        final long t0 = System.nanoTime();
        final BerthException away = assertThrows(BerthException.class, a::networks);
        assertTrue(away.getMessage().contains("store"), away.getMessage());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "failed fast");
        etcd.startAgain();
        Map<String, String> networks = Map.of();
        final long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline)
        {
            try
            {
                networks = a.networks();
                break;
            }
            catch (final BerthException reconnecting)
            {
                Thread.sleep(200);
            }
        }
        assertEquals("{\"v\":1}", networks.get(n), "the network is back");
        assertEquals("c", a.addresses(n).get(ip), "and its address");
        a.releaseAddress(n, ip);
        a.deleteNetwork(n, 5401);
    }
}
