package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.berth.systest.OverlayLab.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Overlay networks across three berthd hosts on one underlay bridge, sharing a real etcd, with a kernel VXLAN
 * device as a listed peer (issue 7). One lab for the class; each test removes what it made.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OverlayTest
{
    private static final Duration SEEN = Duration.ofSeconds(10);
    private OverlayLab lab;
    private BerthHost a;
    private BerthHost b;
    private BerthHost c;

    @BeforeAll
    void startLab()
    {
        lab = OverlayLab.start(3);
        a = lab.host(1);
        b = lab.host(2);
        c = lab.host(3);
    }

    @AfterEach
    void reset()
    {
        // containers first, everywhere, then the networks (a global network is refused while any host has some)
        for (final BerthHost host : List.of(a, b, c))
        {
            if (host.running())
            {
                host.reset();
            }
        }
        for (final BerthHost host : List.of(a, b, c))
        {
            if (host.running())
            {
                host.reset();
            }
        }
    }

    @AfterAll
    void closeLab()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    private static boolean ping(final String fromNs, final String ip)
    {
        return BerthHost.inNs(Duration.ofSeconds(10), fromNs, "ping", "-c", "1", "-W", "1", ip).ok();
    }

    private static boolean pingSoon(final String fromNs, final String ip)
    {
        return poll(SEEN, () -> ping(fromNs, ip));
    }

    private static String ipOf(final BerthHost host, final String container)
    {
        final JsonNode networks = host.inspect(container).path("NetworkSettings").path("Networks");
        return networks.elements().next().path("IPAddress").asText();
    }

    @Test
    void aNetworkMadeOnOneHostIsSeenOnAllAndItsContainersReachEachOther()
    {
        final String net = a.prefix() + "ov";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.31.0.0/24");
        for (final BerthHost host : List.of(b, c))
        {
            assertTrue(poll(SEEN, () -> host.berth("network", "ls").out().contains(net)),
                "network not seen on " + host.hostNs() + ": " + host.berth("network", "ls"));
        }
        final String ls = b.berthOk("network", "ls").out();
        assertTrue(ls.lines().anyMatch(l -> l.contains(net) && l.contains("overlay") && l.contains("global")), ls);
        final JsonNode inspect = c.inspectNetwork(net);
        assertEquals("global", inspect.path("Scope").asText(), inspect.toString());
        assertEquals("4096", inspect.path("Options").path("com.docker.network.driver.overlay.vxlanid_list").asText(),
            inspect.toString());

        final String c1 = a.run("c1", "--network", net);
        final String c2 = b.run("c2", "--network", net);
        final String c3 = c.run("c3", "--network", net);
        final String ip2 = ipOf(b, c2);
        final String ip3 = ipOf(c, c3);
        assertTrue(BerthHost.inNs(c1, "ip", "link", "show", "eth0").out().contains("mtu 1450"),
            BerthHost.inNs(c1, "ip", "link", "show", "eth0").out());
        assertTrue(pingSoon(c1, ip2), "c1 on host 1 cannot ping c2 on host 2 (" + ip2 + ")\n" + a.logTail());
        assertTrue(pingSoon(c1, ip3), "c1 cannot ping c3 on host 3 (" + ip3 + ")");
        assertTrue(pingSoon(c3, ip2), "c3 cannot ping c2");
        // an MTU-sized ping with DF: 1450 = 20 IP + 8 ICMP + 1422
        final Result big = BerthHost.inNs(c1, "ping", "-c", "2", "-W", "2", "-M", "do", "-s", "1422", ip2);
        assertTrue(big.ok(), big.toString());

        // every host's containers, and the hosts as peers
        final JsonNode seen = a.inspectNetwork(net);
        assertTrue(poll(SEEN, () ->
        {
            final JsonNode now = a.inspectNetwork(net);
            return now.path("Containers").has(c2) && now.path("Containers").has(c3) && now.path("Peers").size() == 3;
        }), a.inspectNetwork(net).toString());
        final String peers = a.inspectNetwork(net).path("Peers").toString();
        assertTrue(peers.contains("\"node2\"") && peers.contains(OverlayLab.underlayIp(2)), peers);
        assertTrue(seen.path("Containers").has(c1), seen.toString());
    }
}
