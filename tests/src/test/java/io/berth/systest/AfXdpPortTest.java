package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bridge scenarios on AF_XDP ports ({@code -o port=afxdp}): each container's eth0 is a veth whose other end
 * berthd reads through an XDP program and an AF_XDP socket. Ping and bulk TCP between two such containers, TCP
 * from the host over berth0 and from outside through a published port (both arrive as TSO super-frames, which
 * the port cuts into segments), isolation from another network, berthd killed and restarted with the port kept,
 * rm taking the veth pair away, and bad options refused.
 */
class AfXdpPortTest extends UplinkTestBase
{
    private static final String NET = "xnet";

    private String xnet()
    {
        if (!host.berth("network", "inspect", NET).ok())
        {
            host.createNetwork(NET, "--subnet", "10.91.0.0/24", "-o", "port=afxdp");
        }
        return NET;
    }

    @Test
    void twoContainersOnAfXdpPortsPingAndMoveBulkTcp()
    {
        xnet();
        final String a = host.run("xa", "--network", NET);
        final String b = host.run("xb", "--network", NET);
        final Result link = BerthHost.inNs(a, "ip", "-d", "link", "show", "eth0");
        assertTrue(link.out().contains("veth"), "eth0 is a veth: " + link);
        final Result offloads = BerthHost.inNs(a, "ethtool", "-k", "eth0");
        assertTrue(offloads.out().contains("tx-checksumming: off"), offloads::toString);
        Net.assertPings(a, "10.91.0.1", host);
        Net.assertPings(b, "10.91.0.2", host);
        Net.assertBulkTcp(host, a, "10.91.0.2", b, "10.91.0.2", 5201, 2, 10e6);
        final String counters = host.berthOk("counters").out();
        assertTrue(counters.lines().anyMatch(l -> l.contains("bx")), "the AF_XDP ports are berth's:\n" + counters);
        assertEquals("afxdp", host.inspectNetwork(NET).path("Options").path("port").asText());
    }

    @Test
    void theHostAndTheOutsideReachAnAfXdpContainerWithSuperFramesCut()
    {
        xnet();
        final String web = host.run("xweb", "--network", NET, "-p", "12291:8080", "--", "python3", "-u", "-m",
            "http.server", "8080");
        final String ip = host.inspect(web).path("NetworkSettings").path("Networks").path(NET).path("IPAddress")
            .asText();
        Net.awaitListening(web, 8080);
        // the host's kernel sends TSO frames over berth0, the uplink's GRO hands super-frames in: both are cut here
        Net.assertHttpOk(host.hostNs(), ip, 8080, host);
        Net.assertBulkTcp(host, web, ip, host.hostNs(), ip, 5202, 2, 10e6);
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 12291, host);
        Net.assertHttpOk(host.hostNs(), "127.0.0.1", 12291, host);
    }

    @Test
    void anotherNetworkIsIsolatedAndRmTakesTheVethAway()
    {
        xnet();
        host.createNetwork("xother", "--subnet", "10.92.0.0/24", "-o", "port=afxdp");
        final String a = host.run("xi", "--network", NET);
        final String o = host.run("xo", "--network", "xother");
        final String aIp = host.inspect(a).path("NetworkSettings").path("Networks").path(NET).path("IPAddress")
            .asText();
        Net.assertNoPing(o, aIp);
        final List<String> before = hostLinks();
        assertTrue(before.stream().anyMatch(l -> l.startsWith("bx")), before::toString);
        host.berthOk("rm", "-f", o);
        host.berthOk("rm", "-f", a);
        final List<String> after = hostLinks();
        assertEquals(before.stream().filter(l -> l.startsWith("bx")).count() - 2,
            after.stream().filter(l -> l.startsWith("bx")).count(), "rm deletes each veth pair: " + after);
    }

    @Test
    void berthdKilledAndRestartedKeepsTheContainersEth0()
    {
        xnet();
        final String a = host.run("xr1", "--network", NET);
        final String b = host.run("xr2", "--network", NET);
        final String bIp = host.inspect(b).path("NetworkSettings").path("Networks").path(NET).path("IPAddress")
            .asText();
        Net.assertPings(a, bIp, host);
        final String ifindex = BerthHost.inNs(a, "cat", "/sys/class/net/eth0/ifindex").out().trim();
        host.killBerthd();
        host.startBerthd();
        Net.assertPings(a, bIp, host);
        assertEquals(ifindex, BerthHost.inNs(a, "cat", "/sys/class/net/eth0/ifindex").out().trim(),
            "the same eth0, found again");
    }

    @Test
    void badPortOptionsAreRefusedNamingTheValue()
    {
        final Result unknown = host.berth("network", "create", "-o", "port=dpdk", "xbad");
        assertNotEquals(0, unknown.exit());
        assertTrue(unknown.err().contains("dpdk") && unknown.err().contains("tap or afxdp"), unknown::toString);
        final Result mtu = host.berth("network", "create", "-o", "port=afxdp", "-o", "mtu=9000", "xbad");
        assertNotEquals(0, mtu.exit());
        assertTrue(mtu.err().contains("9000") && mtu.err().contains("port=afxdp"), mtu::toString);
        assertFalse(host.berthOk("network", "ls").out().contains("xbad"), "nothing was made");
    }

    private List<String> hostLinks()
    {
        return BerthHost.inNs(host.hostNs(), "ls", "/sys/class/net").out().lines().map(String::trim).toList();
    }
}
