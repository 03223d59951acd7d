package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14: an uplink of MTU 1400 behind containers of MTU 1500. A DF packet too large for it gets ICMP
 * fragmentation needed with the next-hop MTU, so the container's kernel learns the path MTU (no black hole); a
 * datagram without DF is fragmented by berth and arrives whole; TCP both ways (TSO super-frames from the
 * container included) still works.
 */
class PathMtuTest extends UplinkTestBase
{
    @Override
    protected int uplinkMtu()
    {
        return 1400;
    }

    @Test
    void dfTooLargeGetsFragmentationNeededAndTheContainerLearnsTheMtu()
    {
        final String c = host.run("pmtu");
        final Result ping = BerthHost.inNs(Duration.ofSeconds(20), c, "ping", "-M", "do", "-s", "1472", "-c", "2",
            "-W", "1", Uplink.OUTSIDE_IP);
        assertTrue(ping.output().contains("mtu = 1400") || ping.output().contains("mtu=1400"),
            () -> "the sender was told the next-hop MTU: " + ping);
        final Result route = BerthHost.inNs(c, "ip", "route", "get", Uplink.OUTSIDE_IP);
        assertTrue(route.out().contains("mtu 1400"), () -> "the route cache learned it: " + route);
        assertTrue(Net.parse(host.berthOk("counters", "-o", "json")).path("fragments").path("frag_needed_sent").asLong() > 0);
        // and the container now sends what fits
        final Result fits = BerthHost.inNs(Duration.ofSeconds(20), c, "ping", "-M", "do", "-s", "1372", "-c", "2",
            "-W", "2", Uplink.OUTSIDE_IP);
        assertTrue(fits.out().contains("2 received"), fits::toString);
    }

    @Test
    void withoutDfBerthFragmentsAndTheDatagramArrivesWhole()
    {
        final BerthHost.Spawned echo = host.spawn(outside, "python3", "-c", FragmentsTest.UDP_ECHO, "7410");
        final String c = host.run("nodf");
        final long before = Net.parse(host.berthOk("counters", "-o", "json")).path("fragments").path("fragmented").asLong();
        final Result r = BerthHost.inNs(Duration.ofSeconds(20), c, "python3", "-c", FragmentsTest.UDP_CLIENT,
            Uplink.OUTSIDE_IP, "7410", "1472", "nodf");
        assertTrue(r.out().contains("ok 1472"), () -> "1500-byte datagram through a 1400 uplink: " + r);
        final long after = Net.parse(host.berthOk("counters", "-o", "json")).path("fragments").path("fragmented").asLong();
        assertTrue(after > before, "berth fragmented it (the container sent it whole)");
        echo.kill();
    }

    @Test
    void tcpBothWaysThroughTheSmallerMtu()
    {
        final String c = host.run("tcp");
        host.run("web", "-p", "12600:7600", "--", "sh", "-c", "while true; do head -c 2000000 /dev/zero | nc -N -l 7600; done");
        // container -> outside: 2 MB up, through SNAT, with segments cut to the uplink's MTU
        final BerthHost.Spawned sink = host.spawn(outside, "sh", "-c", "nc -l 7601 | wc -c");
        awaitListening(outside, 7601);
        final Result up = BerthHost.inNs(Duration.ofSeconds(60), c, "sh", "-c",
            "head -c 2000000 /dev/zero | nc -N -w 10 " + Uplink.OUTSIDE_IP + " 7601");
        assertEquals(0, up.exit(), up::toString);
        assertTrue(sink.awaitOutput("2000000", Duration.ofSeconds(30)), () -> "every byte arrived: " + sink.output());
        // outside -> published port: 2 MB down, through DNAT
        Result down = null;
        for (int i = 0; i < 30; i++)
        {
            down = BerthHost.inNs(Duration.ofSeconds(60), outside, "sh", "-c",
                "nc -w 10 " + Uplink.UPLINK_IP + " 12600 < /dev/null | wc -c");
            if (down.out().trim().equals("2000000"))
            {
                break;
            }
            BerthHost.sleep(200); // the server may not listen yet
        }
        final Result got = down;
        assertEquals("2000000", got.out().trim(), () -> "every byte came down: " + got);
    }

    /**
     * The outside host itself takes 1500-byte frames and advertises an MSS of 1460, but berth's uplink takes 1400:
     * the container's TSO super-frames (segments of 1448) must be cut to the uplink's MTU, not dropped.
     */
    @Test
    void tsoSuperFramesAreSegmentedToTheSmallerEgressMtu()
    {
        final String c = host.run("tso");
        Sh.run("ip", "-n", outside, "link", "set", "eth0", "mtu", "1500");
        try
        {
            final long before = Net.parse(host.berthOk("counters", "-o", "json")).path("fragments").path("gso_resized").asLong();
            final BerthHost.Spawned sink = host.spawn(outside, "sh", "-c", "nc -l 7602 | wc -c");
            awaitListening(outside, 7602);
            final Result up = BerthHost.inNs(Duration.ofSeconds(60), c, "sh", "-c",
                "head -c 4000000 /dev/zero | nc -N -w 10 " + Uplink.OUTSIDE_IP + " 7602");
            assertEquals(0, up.exit(), up::toString);
            assertTrue(sink.awaitOutput("4000000", Duration.ofSeconds(30)), () -> "every byte arrived: " + sink.output());
            final long after = Net.parse(host.berthOk("counters", "-o", "json")).path("fragments").path("gso_resized").asLong();
            assertTrue(after > before, () -> "super-frames were given the uplink's segment size: " +
                host.berth("counters").output());
        }
        finally
        {
            Sh.run("ip", "-n", outside, "link", "set", "eth0", "mtu", "1400");
        }
    }

    private static void awaitListening(final String ns, final int port)
    {
        for (int i = 0; i < 50; i++)
        {
            if (BerthHost.inNs(ns, "ss", "-ltn").out().contains(":" + port + " "))
            {
                return;
            }
            BerthHost.sleep(100);
        }
        throw new AssertionError("nothing listens on " + port + " in " + ns);
    }
}
