package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static io.berth.systest.OverlayLab.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24: etcd loses its data under two hosts (stopped, its data dir wiped, started again: a disaster, or a
 * restore from nothing). Within {@code --store-ttl} + 5 s both overlays carry traffic again, the store has them
 * back with their VNIs, a new overlay gets a fresh VNI (and is refused, saying why, while the hosts publish again),
 * new containers get addresses, no command fails, and a berthd restart keeps every network.
 */
class StoreLossTest extends OverlayLabTestBase
{
    private static final Duration BACK_WITHIN = Duration.ofSeconds(OverlayLab.TTL_SECONDS + 5);
    private BerthHost a;
    private BerthHost b;

    @Override
    protected OverlayLab startLab()
    {
        final OverlayLab started = OverlayLab.start(2);
        a = started.host(1);
        b = started.host(2);
        return started;
    }

    @Test
    void aWipedStoreGetsEveryNetworkBackAndLosesNothing()
    {
        final String ov1 = a.prefix() + "w1";
        final String ov2 = b.prefix() + "w2";
        a.createNetwork(ov1, "--driver", "overlay", "--subnet", "10.71.0.0/24");
        b.createNetwork(ov2, "--driver", "overlay", "--subnet", "10.72.0.0/24");
        assertTrue(poll(SEEN, () -> a.berth("network", "ls").out().contains(ov2) &&
            b.berth("network", "ls").out().contains(ov1)), "the hosts never saw each other's networks");
        final String vni1 = vniOf(a, ov1);
        final String vni2 = vniOf(b, ov2);
        final String a1 = a.run("a1", "--network", ov1);
        final String b1 = b.run("b1", "--network", ov1);
        final String a2 = a.run("a2", "--network", ov2);
        final String b2 = b.run("b2", "--network", ov2);
        final String ipB1 = ipOf(b, b1, ov1);
        final String ipB2 = ipOf(b, b2, ov2);
        assertTrue(poll(SEEN, () -> ping(a1, ipB1) && ping(a2, ipB2)), "no overlay traffic before the loss");

        lab.stopEtcd();
        for (final Path data : lab.etcdDataDirs())
        {
            deleteTree(data);
        }
        lab.startEtcdAgain();
        final long back = System.nanoTime();

        // creating a network right away is refused with the reason, or waits for the store: never a VNI in use
        final String fresh = a.prefix() + "w3";
        Result early = null;
        boolean created = false;
        while (System.nanoTime() - back < BACK_WITHIN.toNanos() && !created)
        {
            early = a.berth("network", "create", "--driver", "overlay", "--subnet", "10.73.0.0/24", fresh);
            created = early.ok();
            if (!created)
            {
                assertTrue(early.output().contains("lost data") || early.output().contains("did not answer"),
                    "a refusal that does not say why: " + early);
                BerthHost.sleep(500);
            }
        }
        assertTrue(created, "no new overlay within " + BACK_WITHIN.toSeconds() + " s of the store's loss: " + early +
            "\n" + a.logTail());

        final String vni3 = vniOf(a, fresh);
        assertFalse(Set.of(vni1, vni2).contains(vni3), "the new network got VNI " + vni3 + ", which " +
            (vni3.equals(vni1) ? ov1 : ov2) + " has");
        assertTrue(poll(Duration.ofSeconds(2), () -> ping(a1, ipB1) && ping(a2, ipB2)),
            "the overlays do not carry traffic " + BACK_WITHIN.toSeconds() + " s after the loss\n" + a.logTail());
        // the store has both networks again with their own VNIs, and the other host sees the new one
        for (final BerthHost host : List.of(a, b))
        {
            assertTrue(poll(SEEN, () -> host.berth("network", "ls").out().contains(fresh)), "not seen: " + fresh);
            assertEquals(vni1, vniOf(host, ov1));
            assertEquals(vni2, vniOf(host, ov2));
            assertTrue(host.berth("ps").ok(), host.berth("ps").toString());
        }
        final EtcdKeys keys = new EtcdKeys(a.hostNs(), "http://" + OverlayLab.ETCD_IP + ":2379");
        assertEquals(ov1, keys.get("/berth/v1/vnis/" + vni1), "ov1's VNI is not back in the store");
        assertEquals(ov2, keys.get("/berth/v1/vnis/" + vni2), "ov2's VNI is not back in the store");
        assertTrue(keys.get("/berth/v1/ipam/" + ov1 + "/" + ipB1) != null, "b1's address claim is not back");
        // new containers get addresses none of the old ones has
        final String a3 = a.run("a3", "--network", ov1);
        final String ipA3 = ipOf(a, a3, ov1);
        assertFalse(ipA3.equals(ipB1) || ipA3.equals(ipOf(a, a1, ov1)), "an address given twice: " + ipA3);
        assertTrue(poll(SEEN, () -> ping(b1, ipA3)), "host 2 cannot reach a container made after the loss");

        // a restart keeps every network and its containers
        a.stopBerthd();
        a.startBerthd();
        final String ls = a.berthOk("network", "ls").out();
        assertTrue(ls.contains(ov1) && ls.contains(ov2) && ls.contains(fresh), ls);
        assertTrue(poll(SEEN, () -> ping(a1, ipB1) && ping(a2, ipB2) && ping(a3, ipB1)),
            "the overlays lost traffic over a restart after the loss\n" + a.logTail());
        assertTrue(a.berth("ps").ok());

        lab.resetHosts();
        a.berthOk("network", "rm", fresh);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static String vniOf(final BerthHost host, final String net)
    {
        return host.inspectNetwork(net).path("Options").path("vni").asText();
    }

    private static void deleteTree(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(p);
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }
}
