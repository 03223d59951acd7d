package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.berth.systest.OverlayLab.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24: a store of three etcd members. Two berthd hosts are given all three; each member in turn is stopped
 * while a ping crosses the overlay, and with that member down a change made on one host (a new network, a
 * container on it) works and is seen on the other, and not one of the pings across the overlay is lost. The
 * member comes back and catches up before the next one stops. The hosts run berthd's default lease TTL (see
 * {@link OverlayLab#ttlSeconds()}).
 */
class StoreClusterTest extends OverlayLabTestBase
{
    private static final Pattern RECEIVED = Pattern.compile("(\\d+) received");
    private BerthHost a;
    private BerthHost b;

    @Override
    protected OverlayLab startLab()
    {
        final OverlayLab started = OverlayLab.start(2, OverlayLab.Etcd.CLUSTER);
        a = started.host(1);
        b = started.host(2);
        return started;
    }

    @Test
    void stoppingAnyOneMemberCostsNoChangeAndNoFlow()
    {
        final String net = a.prefix() + "cl";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.59.0.0/24");
        assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(net)), "host 2 never saw " + net);
        final String c1 = a.run("c1", "--network", net);
        final String c2 = b.run("c2", "--network", net);
        final String ip2 = ipOf(b, c2, net);
        assertTrue(poll(SEEN, () -> ping(c1, ip2)), "no overlay path");
        for (int member = 0; member < 3; member++)
        {
            // 40 pings, 0.1 s apart, across the member's stop and the change
            final BerthHost.Spawned ping = a.spawn(c1, "ping", "-c", "40", "-i", "0.1", "-W", "1", ip2);
            BerthHost.sleep(500);
            lab.stopMember(member);
            final String changed = a.prefix() + "m" + member;
            final long start = System.nanoTime();
            a.createNetwork(changed, "--driver", "overlay", "--subnet", "10.6" + member + ".0.0/24");
            final int down = member;
            assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(changed)),
                "with member " + down + " down, host 2 never saw " + changed + "\n" + b.logTail());
            final String d = b.run("d" + member, "--network", changed);
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(poll(SEEN, () -> a.inspectNetwork(changed).path("Containers").has(d)),
                "with member " + member + " down, host 1 never saw host 2's container on " + changed);
            System.out.println("[cluster] member " + member + " down: a network and a container in " + tookMs + " ms");
            assertTrue(ping.awaitOutput("packet loss", Duration.ofSeconds(15)), ping.toString());
            final Matcher received = RECEIVED.matcher(ping.output());
            assertTrue(received.find(), ping.toString());
            System.out.println("[cluster] member " + member + " down: " + received.group(1) + " of 40 pings answered");
            assertEquals("40", received.group(1), "with member " + member + " stopped, the overlay lost pings: " +
                ping.output() + "\n" + a.logTail() + "\n" + b.logTail());
            b.berthOk("rm", "-f", d);
            a.berthOk("network", "rm", changed);
            lab.startMember(member);
            lab.awaitMember(member);
            final String ip = OverlayLab.MEMBER_IPS.get(member);
            assertTrue(poll(Duration.ofSeconds(20), () -> BerthHost.inNs(a.hostNs(), "curl", "-sS", "--max-time", "2",
                "http://" + ip + ":2379/health").out().contains("\"true\"")), "member " + member + " did not rejoin\n" +
                lab.etcdLog());
        }
    }
}
