package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 9: macvlan and ipvlan networks, switched in berth's dataplane on an AF_PACKET parent, against a LAN of kernel
 * hosts. The LAN is a namespace with a kernel bridge; two LAN hosts hang off it, and berthd's namespace has two
 * veths into it: {@code lan0}, which is also berthd's uplink (192.168.77.2), and {@code lan1}, a second NIC.
 * This kernel has no 8021q, so the LAN host on VLAN 10 is {@code vlan-responder.py} (ARP and ping over a raw
 * socket, the tag read from PACKET_AUXDATA), and tcpdump on the bridge port shows the tags berth puts on.
 * <pre>
 *   berthd ns: lan0 (uplink 192.168.77.2) ---+                +--- h1: 192.168.77.10, VLAN 10: 192.168.78.10 (responder)
 *              lan1 ------------------------ br0 (LAN ns) ---+--- h2: 192.168.77.11, 192.168.79.11
 * </pre>
 */
class LanNetworksTest extends SystemTestBase
{
    private static final String UPLINK_IP = "192.168.77.2";
    private static final String H1 = "192.168.77.10";
    private static final String H2 = "192.168.77.11";
    private static final String H1_VLAN10 = "192.168.78.10";
    private static final String H2_IPVLAN = "192.168.79.11";

    private String lan;
    private String h1;
    private String h2;

    @Override
    protected BerthHost startHost()
    {
        final BerthHost started = BerthHost.start(this::makeLan, List.of("--uplink", "lan0", "--uplink-ip",
            UPLINK_IP + "/24"));
        lan = started.name("lan");
        h1 = started.name("h1");
        h2 = started.name("h2");
        return started;
    }

    private void makeLan(final BerthHost h)
    {
        final String lanNs = h.name("lan");
        must(Sh.run("ip", "netns", "add", lanNs));
        must(Sh.run("ip", "-n", lanNs, "link", "add", "br0", "type", "bridge"));
        must(Sh.run("ip", "-n", lanNs, "link", "set", "br0", "up"));
        for (final String parent : List.of("lan0", "lan1"))
        {
            must(Sh.run("ip", "-n", lanNs, "link", "add", "p-" + parent, "type", "veth", "peer", "name", parent,
                "netns", h.hostNs()));
            must(Sh.run("ip", "-n", lanNs, "link", "set", "p-" + parent, "master", "br0", "up"));
            must(Sh.run("ip", "-n", h.hostNs(), "link", "set", parent, "up"));
        }
        for (final String[] lanHost : List.of(new String[] {"h1", H1 + "/24"}, new String[] {"h2", H2 + "/24"}))
        {
            final String ns = h.name(lanHost[0]);
            must(Sh.run("ip", "netns", "add", ns));
            must(Sh.run("ip", "-n", ns, "link", "set", "lo", "up"));
            must(Sh.run("ip", "-n", lanNs, "link", "add", "p-" + lanHost[0], "type", "veth", "peer", "name", "eth0",
                "netns", ns));
            must(Sh.run("ip", "-n", lanNs, "link", "set", "p-" + lanHost[0], "master", "br0", "up"));
            must(Sh.run("ip", "-n", ns, "addr", "add", lanHost[1], "dev", "eth0"));
            must(Sh.run("ip", "-n", ns, "link", "set", "eth0", "up"));
        }
        must(Sh.run("ip", "-n", h.name("h2"), "addr", "add", H2_IPVLAN + "/24", "dev", "eth0"));
    }

    private static void must(final Result r)
    {
        assertEquals(0, r.exit(), () -> "LAN setup failed\n" + r);
    }

    private String ipOf(final String container, final String network)
    {
        return host.inspect(container).path("NetworkSettings").path("Networks").path(network).path("IPAddress").asText();
    }

    private String macOf(final String container, final String network)
    {
        return host.inspect(container).path("NetworkSettings").path("Networks").path(network).path("MacAddress").asText();
    }

    /** The MAC NS's neighbour table has for IP (after a ping it is resolved), or "". */
    private static String neighbour(final String ns, final String ip)
    {
        final JsonNode entries = Net.ipJson(ns, "-j", "neigh", "show", ip);
        for (final JsonNode e : entries)
        {
            if (e.path("dst").asText().equals(ip))
            {
                return e.path("lladdr").asText();
            }
        }
        return "";
    }

    private static String linkMac(final String ns, final String ifname)
    {
        return Net.ipJson(ns, "-j", "link", "show", ifname).get(0).path("address").asText();
    }

    /** tcpdump on one of the LAN bridge's ports, with link headers (VLAN tags shown). */
    private BerthHost.Spawned captureOnLan(final String port, final String... filter)
    {
        final List<String> cmd = new ArrayList<>(List.of("tcpdump", "-l", "-n", "-e", "-i", port));
        cmd.addAll(List.of(filter));
        final BerthHost.Spawned t = host.spawn(lan, cmd.toArray(String[]::new));
        if (!t.awaitOutput("listening on", Duration.ofSeconds(10)))
        {
            fail("tcpdump did not start on " + port + "\n" + t);
        }
        return t;
    }

    private static void awaitLines(final BerthHost.Spawned capture, final String text, final int count)
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline && capture.output().split(Pattern.quote(text), -1).length - 1 < count)
        {
            BerthHost.sleep(50);
        }
    }

    private long counter(final String port, final String name)
    {
        return host.json("counters", "-o", "json").path("ports").path(port).path(name).asLong(-1);
    }

    private long drops(final String reason)
    {
        return host.json("counters", "-o", "json").path("drops").path(reason).asLong(-1);
    }

    private static int promiscuity(final String ns, final String ifname)
    {
        return Net.ipJson(ns, "-j", "-d", "link", "show", ifname).get(0).path("promiscuity").asInt(-1);
    }

    // ------------------------------------------------------------------------------------------------ macvlan

    @Test
    void macvlanContainersAreLanHostsWithMacsOfTheirOwnOnTheUplinksWire()
    {
        host.createNetwork("mv", "-d", "macvlan", "--subnet", "192.168.77.0/24", "--ip-range", "192.168.77.128/26",
            "--gateway", "192.168.77.1", "-o", "parent=lan0");
        final String c1 = host.run("mc1", "--network", "mv");
        final String c2 = host.run("mc2", "--network", "mv");
        final String ip1 = ipOf(c1, "mv");
        final String ip2 = ipOf(c2, "mv");
        assertEquals("192.168.77.128", ip1);
        assertEquals(Net.macFor(ip1), macOf(c1, "mv"));
        assertEquals(Net.macFor(ip1), linkMac(c1, "eth0"));
        assertEquals("192.168.77.1", Net.defaultGateway(c1), "the LAN's router is the default route");

        // LAN hosts reach the containers straight, by their own MACs: no NAT, no port mapping
        Net.assertPings(h1, ip1, host);
        assertEquals(Net.macFor(ip1), neighbour(h1, ip1));
        Net.assertTcpEcho(host, c1, h2, ip1, 7001);
        Net.assertTcpEcho(host, h2, c1, H2, 7002);
        Net.assertUdp(host, h1, c2, H1, 7003);
        assertEquals(Net.macFor(ip1), neighbour(h2, ip1));

        // the routed uplink on the same wire still answers for its own address and its published ports
        Net.assertPings(h1, UPLINK_IP, host);
        final String web = host.run("web", "-p", "7100:7100");
        Net.assertTcpEcho(host, web, h1, UPLINK_IP, 7100);

        // container to container inside berth: not one ICMP packet on the wire
        final BerthHost.Spawned wire = captureOnLan("p-lan0", "icmp");
        Net.assertPings(c1, ip2, host);
        assertTrue(BerthHost.inNs(c1, "ping", "-n", "-c", "3", "-i", "0.2", ip2).ok());
        BerthHost.sleep(300);
        assertFalse(wire.output().contains(ip2), "c1 -> c2 crossed the wire:\n" + wire.output());
        wire.kill();

        // the gateway is a router on the LAN, not berth: nobody answers for 192.168.77.1 here
        Net.assertNoPing(c1, "192.168.77.1");
        assertEquals("", neighbour(c1, "192.168.77.1"), "berth must not answer ARP for the LAN's gateway");
    }

    /** A dual-stack macvlan network (issue 27): containers are IPv6 hosts of the LAN too, berth only switching. */
    @Test
    void macvlanContainersAreIpv6HostsOfTheLanToo()
    {
        assertTrue(BerthHost.inNs(h1, "ip", "-6", "addr", "replace", "fd00:82::10/64", "dev", "eth0", "nodad").ok());
        host.createNetwork("mv6", "-d", "macvlan", "--ipv6", "--subnet", "192.168.82.0/24", "--subnet",
            "fd00:82::/64", "--gateway", "192.168.82.1", "--gateway", "fd00:82::1", "-o", "parent=lan0");
        final String c1 = host.run("m61", "--network", "mv6");
        final String c2 = host.run("m62", "--network", "mv6");
        assertTrue(BerthHost.inNs(c1, "ip", "-6", "addr", "show", "dev", "eth0").out().contains("fd00:82::2/64"));
        assertTrue(BerthHost.inNs(c1, "ip", "-6", "route", "show", "default").out().contains("via fd00:82::1"));
        // the LAN host and the containers find each other by neighbour discovery, on the containers' own MACs
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> BerthHost.inNs(Duration.ofSeconds(5), h1, "ping",
            "-6", "-c", "1", "-W", "1", "fd00:82::2").ok()), () -> "the LAN host cannot ping c1 over IPv6\n" +
            host.berth("counters").out());
        assertTrue(BerthHost.inNs(h1, "ip", "-6", "neigh", "show", "fd00:82::2").out()
            .contains(Net.macFor(ipOf(c1, "mv6"))), "the LAN sees c1's own MAC");
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), c2, "ping", "-6", "-c", "1", "-W", "2", "fd00:82::10").ok());
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), c1, "ping", "-6", "-c", "1", "-W", "2", "fd00:82::3").ok(),
            "container to container on the macvlan network");
        // the router is the LAN's: berth does not answer for fd00:82::1
        assertFalse(BerthHost.inNs(Duration.ofSeconds(5), c1, "ping", "-6", "-c", "1", "-W", "1", "fd00:82::1").ok());
        // a container that forges its neighbour's IPv6 address is refused, as on a bridge network
        final long before = host.json("counters", "-o", "json").path("drops").path("spoofed_source").asLong();
        assertTrue(BerthHost.inNs(c1, "/usr/bin/python3", host.root().resolve("tests/src/test/resources/nd-attack.py")
            .toString(), "spoof", "2", "fd00:82::3", Net.macFor(ipOf(c2, "mv6")), "fd00:82::10").ok());
        assertTrue(OverlayLab.poll(Duration.ofSeconds(5), () -> host.json("counters", "-o", "json").path("drops")
            .path("spoofed_source").asLong() >= before + 2));
        final Result ipvlanL3 = host.berth("network", "create", "-d", "ipvlan", "--ipv6", "-o", "ipvlan_mode=l3",
            "--subnet", "10.83.0.0/24", "-o", "parent=lan1", host.name("iv6"));
        assertTrue(!ipvlanL3.ok() && ipvlanL3.err().contains("ipvlan_mode=l2"), ipvlanL3.toString());
        host.berthOk("rm", "-f", c1, c2);
        host.berthOk("network", "rm", "mv6");
        BerthHost.inNs(h1, "ip", "-6", "addr", "del", "fd00:82::10/64", "dev", "eth0");
    }

    /**
     * Docker's macvlan host cannot reach its own containers (a kernel restriction users work around with a shim
     * interface); berthd's host reaches them through berth0, and they reach it back on their own link.
     */
    @Test
    void theHostReachesMacvlanContainersThroughBerth0()
    {
        host.createNetwork("mvh", "-d", "macvlan", "--subnet", "192.168.77.0/24", "--ip-range", "192.168.77.192/26",
            "--gateway", "192.168.77.1", "-o", "parent=lan0");
        final String c = host.run("mh", "--network", "mvh");
        final String ip = ipOf(c, "mvh");
        Net.assertPings(host.hostNs(), ip, host);
        Net.assertTcpEcho(host, c, host.hostNs(), ip, 7201);
        Net.assertTcpEcho(host, host.hostNs(), c, "169.254.123.1", 7202);
        // a ping to the host is answered by the host's kernel (TTL 64, less berth's hop), not made up by berth
        final Result ping = BerthHost.inNs(c, "ping", "-n", "-c", "1", "-W", "2", "169.254.123.1");
        assertTrue(ping.ok() && ping.out().contains("ttl=63"), ping.toString());
    }

    @Test
    void aMacvlanNetworkOnAVlanIsTaggedAndUntaggedByBerth()
    {
        final BerthHost.Spawned responder = host.spawn(h1, "/usr/bin/python3",
            host.root().resolve("tests/src/test/resources/vlan-responder.py").toString(), "eth0", "10", H1_VLAN10,
            "02:00:00:00:78:0a");
        assertTrue(responder.awaitOutput("ready", Duration.ofSeconds(10)), responder.toString());
        host.createNetwork("mv10", "-d", "macvlan", "--subnet", "192.168.78.0/24", "--gateway", "192.168.78.1",
            "-o", "parent=lan0.10");
        final String c = host.run("mv10c", "--network", "mv10");
        final String ip = ipOf(c, "mv10");

        final BerthHost.Spawned wire = captureOnLan("p-lan0", "vlan", "10", "and", "icmp");
        Net.assertPings(c, H1_VLAN10, host);
        awaitLines(wire, "vlan 10", 2);
        final String seen = wire.output();
        assertTrue(seen.contains(Net.macFor(ip) + " > 02:00:00:00:78:0a, ethertype 802.1Q (0x8100)") &&
            seen.contains("vlan 10"), "the request goes out tagged with VID 10:\n" + seen);
        assertTrue(seen.contains("02:00:00:00:78:0a > " + Net.macFor(ip) + ", ethertype 802.1Q (0x8100)"),
            "and the tagged reply came back:\n" + seen);
        wire.kill();
        assertEquals("02:00:00:00:78:0a", neighbour(c, H1_VLAN10));

        // a tag no network has is dropped at the parent, counted; untagged LAN traffic is not VLAN 10's
        final long filtered = counter("uplink/lan0", "rx_filtered");
        assertTrue(BerthHost.inNs(h1, "/usr/bin/python3", "-c", "import socket;s=socket.socket(socket.AF_PACKET," +
            "socket.SOCK_RAW);s.bind(('eth0',0));s.send(bytes.fromhex('ffffffffffff02000000780a8100001408060001" +
            "080006040001') + bytes(28))").ok());
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (counter("uplink/lan0", "rx_filtered") <= filtered && System.nanoTime() < deadline)
        {
            BerthHost.sleep(50);
        }
        assertTrue(counter("uplink/lan0", "rx_filtered") > filtered, "a VLAN 20 frame is filtered at the parent");
    }

    /** Without a parent (or internal) a macvlan network is its containers' alone: no LAN, no default route. */
    @Test
    void anInternalMacvlanNetworkHasNoLan()
    {
        host.createNetwork("mvi", "-d", "macvlan", "--internal", "--subnet", "192.168.81.0/24", "-o", "parent=lan0");
        final String c1 = host.run("mi1", "--network", "mvi");
        final String c2 = host.run("mi2", "--network", "mvi");
        Net.assertPings(c1, ipOf(c2, "mvi"), host);
        assertNull(Net.defaultGateway(c1), "no LAN, no router");
        // not even on-link: the LAN's hosts are not there
        assertTrue(BerthHost.inNs(c1, "ip", "route", "replace", "192.168.81.0/24", "dev", "eth0").ok());
        Net.assertNoPing(c1, "192.168.81.1");
        assertEquals(2, host.inspectNetwork("mvi").path("Containers").size());
    }

    // ------------------------------------------------------------------------------------------------- ipvlan

    @Test
    void ipvlanL2ContainersShareTheParentsMacAndAreDeliveredByAddress()
    {
        final int promiscuousBefore = promiscuity(host.hostNs(), "lan1");
        host.createNetwork("iv", "-d", "ipvlan", "--subnet", "192.168.79.0/24", "--ip-range", "192.168.79.64/26",
            "--gateway", "192.168.79.1", "-o", "parent=lan1");
        assertEquals(promiscuousBefore + 1, promiscuity(host.hostNs(), "lan1"), "berth drives lan1 promiscuous");
        final String i1 = host.run("iv1", "--network", "iv");
        final String i2 = host.run("iv2", "--network", "iv");
        final String parentMac = linkMac(host.hostNs(), "lan1");
        assertEquals(parentMac, linkMac(i1, "eth0"));
        assertEquals(parentMac, linkMac(i2, "eth0"));
        assertEquals(parentMac, macOf(i1, "iv"));
        final String ip1 = ipOf(i1, "iv");
        final String ip2 = ipOf(i2, "iv");

        Net.assertPings(h2, ip1, host);
        Net.assertPings(h2, ip2, host);
        assertEquals(parentMac, neighbour(h2, ip1), "the LAN sees the parent's MAC for every container");
        assertEquals(parentMac, neighbour(h2, ip2));
        Net.assertTcpEcho(host, i2, h2, ip2, 7301);
        Net.assertTcpEcho(host, h2, i1, H2_IPVLAN, 7302);
        Net.assertPings(i1, ip2, host);
        Net.assertPings(host.hostNs(), ip1, host);

        host.berthOk("rm", "-f", i1, i2);
        host.berthOk("network", "rm", "iv");
        assertEquals(promiscuousBefore, promiscuity(host.hostNs(), "lan1"), "network rm gives the parent back");
    }

    /**
     * A dual-stack ipvlan L2 network (issue 27): containers share the parent's MAC, so each gets fe80:: with its
     * IPv4 address as its link-local address (not the MAC's EUI-64, which would be every one's), and berth
     * delivers IPv6 to them by address, as it does IPv4.
     */
    @Test
    void ipvlanL2ContainersAreIpv6HostsOfTheLanOnTheParentsMac()
    {
        assertTrue(BerthHost.inNs(h2, "ip", "-6", "addr", "replace", "fd00:79::11/64", "dev", "eth0", "nodad").ok());
        host.createNetwork("iv6", "-d", "ipvlan", "--ipv6", "--subnet", "192.168.79.0/24", "--ip-range",
            "192.168.79.160/28", "--gateway", "192.168.79.1", "--subnet", "fd00:79::/64", "--gateway", "fd00:79::1",
            "-o", "parent=lan1");
        final String i1 = host.run("i61", "--network", "iv6");
        final String i2 = host.run("i62", "--network", "iv6");
        final String parentMac = linkMac(host.hostNs(), "lan1");
        final String ll1 = BerthHost.inNs(i1, "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link").out();
        final String ll2 = BerthHost.inNs(i2, "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link").out();
        assertTrue(ll1.contains("fe80::c0a8:4fa0/64") && ll2.contains("fe80::c0a8:4fa1/64"), ll1 + ll2);
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> BerthHost.inNs(Duration.ofSeconds(5), h2, "ping",
            "-6", "-c", "1", "-W", "1", "fd00:79::a0").ok()), () -> "the LAN host cannot ping i1 over IPv6\n" +
            host.berth("counters").out());
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), h2, "ping", "-6", "-c", "1", "-W", "2", "fd00:79::a1").ok());
        assertTrue(BerthHost.inNs(h2, "ip", "-6", "neigh", "show", "fd00:79::a1").out().contains(parentMac),
            "the LAN sees the parent's MAC for every container");
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), i1, "ping", "-6", "-c", "1", "-W", "2", "fd00:79::11").ok());
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), i1, "ping", "-6", "-c", "1", "-W", "2", "fd00:79::a1").ok(),
            "container to container, delivered by address");
        host.berthOk("rm", "-f", i1, i2);
        host.berthOk("network", "rm", "iv6");
        BerthHost.inNs(h2, "ip", "-6", "addr", "del", "fd00:79::11/64", "dev", "eth0");
    }

    /** ipvlan L2 with two subnets on one LAN, each with its own gateway (a router on the LAN, not berth). */
    @Test
    void ipvlanL2TakesSeveralSubnetsEachWithItsGateway()
    {
        host.createNetwork("iv2s", "-d", "ipvlan", "--subnet", "192.168.79.0/24", "--ip-range", "192.168.79.32/28",
            "--gateway", "192.168.79.1", "--subnet", "192.168.86.0/24", "--gateway", "192.168.86.1", "-o", "parent=lan1");
        final String first = host.run("iv2a", "--network", "iv2s");
        final String second = host.run("iv2b", "--network", "iv2s", "--ip", "192.168.86.5");
        assertEquals("192.168.79.1", Net.defaultGateway(first));
        assertEquals("192.168.86.1", Net.defaultGateway(second));
        assertEquals("192.168.86.1", host.inspect(second).path("NetworkSettings").path("Networks").path("iv2s")
            .path("Gateway").asText());
        final JsonNode config = host.inspectNetwork("iv2s").path("IPAM").path("Config");
        assertEquals("192.168.86.1", config.get(1).path("Gateway").asText());
        assertTrue(BerthHost.inNs(h2, "ip", "addr", "add", "192.168.86.11/24", "dev", "eth0").ok());
        try
        {
            Net.assertPings(h2, "192.168.86.5", host);
            Net.assertPings(h2, ipOf(first, "iv2s"), host);
            assertEquals(linkMac(host.hostNs(), "lan1"), neighbour(h2, "192.168.86.5"));
            Net.assertPings(host.hostNs(), "192.168.86.5", host);
        }
        finally
        {
            BerthHost.inNs(h2, "ip", "addr", "del", "192.168.86.11/24", "dev", "eth0");
        }
        final Result tooMany = host.berth("network", "create", "-d", "ipvlan", "--subnet", "10.72.0.0/24",
            "--gateway", "10.72.0.1", "--gateway", "10.72.0.2", "bad");
        assertTrue(tooMany.output().contains("2 --gateway for 1 --subnet"), tooMany.output());
    }

    @Test
    void ipvlanPrivateKeepsContainersFromEachOtherButNotFromTheLan()
    {
        host.createNetwork("ivp", "-d", "ipvlan", "--subnet", "192.168.79.0/24", "--ip-range", "192.168.79.128/26",
            "--gateway", "192.168.79.1", "-o", "parent=lan1", "-o", "ipvlan_flag=private");
        final String p1 = host.run("ivp1", "--network", "ivp");
        final String p2 = host.run("ivp2", "--network", "ivp");
        final long isolated = drops("isolated");
        Net.assertNoPing(p1, ipOf(p2, "ivp"));
        assertTrue(drops("isolated") > isolated, "counted as isolated");
        Net.assertPings(p1, H2_IPVLAN, host);
        Net.assertPings(h2, ipOf(p2, "ivp"), host);
        assertEquals("private", host.inspectNetwork("ivp").path("Options").path("ipvlan_flag").asText());
    }

    /**
     * ipvlan L3: containers in two subnets, NOARP with the default route on the link; berth routes between the
     * subnets, to the host, and to the LAN from parent_ip, which it owns there; a LAN host reaches the subnets with
     * a route via parent_ip. Broadcasts from containers are dropped and counted.
     */
    @Test
    void ipvlanL3RoutesBetweenSubnetsAndFromTheLanViaTheParentAddress()
    {
        host.createNetwork("iv3", "-d", "ipvlan", "-o", "ipvlan_mode=l3", "--subnet", "10.66.1.0/24", "--subnet",
            "10.66.2.0/24", "-o", "parent=lan1", "-o", "parent_ip=192.168.79.2/24");
        final String a = host.run("l3a", "--network", "iv3");
        final String b = host.run("l3b", "--network", "iv3", "--ip", "10.66.2.5");
        assertEquals("10.66.2.5", ipOf(b, "iv3"));
        assertEquals(24, host.inspect(b).path("NetworkSettings").path("Networks").path("iv3").path("IPPrefixLen").asInt());
        final JsonNode link = Net.ipJson(a, "-j", "link", "show", "eth0").get(0);
        assertTrue(link.path("flags").toString().contains("NOARP"), link.toString());
        assertEquals(linkMac(host.hostNs(), "lan1"), link.path("address").asText());
        final JsonNode routes = Net.routes(a);
        assertTrue(routes.toString().contains("\"dst\":\"default\",\"dev\":\"eth0\""), routes.toString());
        final JsonNode ipam = host.inspectNetwork("iv3").path("IPAM").path("Config");
        assertEquals(2, ipam.size());
        assertEquals("10.66.2.0/24", ipam.get(1).path("Subnet").asText());

        final String ipA = ipOf(a, "iv3");
        Net.assertPings(a, "10.66.2.5", host);
        Net.assertTcpEcho(host, b, a, "10.66.2.5", 7401);
        Net.assertPings(host.hostNs(), ipA, host);
        // the LAN: berth answers ARP and ping for parent_ip with the parent's MAC, and routes what comes via it
        Net.assertPings(h2, "192.168.79.2", host);
        assertEquals(linkMac(host.hostNs(), "lan1"), neighbour(h2, "192.168.79.2"));
        assertTrue(BerthHost.inNs(h2, "ip", "route", "replace", "10.66.0.0/16", "via", "192.168.79.2").ok());
        try
        {
            Net.assertPings(h2, ipA, host);
            Net.assertTcpEcho(host, b, h2, "10.66.2.5", 7402);
            Net.assertTcpEcho(host, h2, a, H2_IPVLAN, 7403); // out to the LAN as itself: no NAT
            final long broadcasts = drops("lan_l3_broadcast");
            final BerthHost.Spawned wire = captureOnLan("p-lan1", "icmp");
            BerthHost.inNs(a, "ping", "-n", "-b", "-c", "2", "-i", "0.2", "-W", "1", "10.66.1.255");
            BerthHost.inNs(a, "ping", "-n", "-b", "-c", "1", "-W", "1", "255.255.255.255");
            assertTrue(drops("lan_l3_broadcast") >= broadcasts + 3, "a container's broadcasts go nowhere, counted");
            assertFalse(wire.output().contains("10.66.1.255") || wire.output().contains("255.255.255.255"),
                "no broadcast on the LAN:\n" + wire.output());
            wire.kill();
        }
        finally
        {
            BerthHost.inNs(h2, "ip", "route", "del", "10.66.0.0/16");
        }
    }

    /** On the uplink's own wire an L3 network needs no parent_ip: it is routed from the uplink's address. */
    @Test
    void ipvlanL3OnTheUplinkIsRoutedFromTheUplinksAddressUntranslated()
    {
        host.createNetwork("iv3u", "-d", "ipvlan", "-o", "ipvlan_mode=l3", "--subnet", "10.71.1.0/24",
            "-o", "parent=lan0");
        final String a = host.run("l3ua", "--network", "iv3u");
        final String ip = ipOf(a, "iv3u");
        assertTrue(BerthHost.inNs(h1, "ip", "route", "replace", "10.71.0.0/16", "via", UPLINK_IP).ok());
        try
        {
            Net.assertPings(h1, ip, host);
            final BerthHost.Spawned server = host.spawn(h1, "nc", "-l", "-n", "-v", "7501");
            BerthHost.sleep(300);
            assertTrue(BerthHost.inNs(a, "sh", "-c", "echo hi | nc -N -n -w 3 " + H1 + " 7501").ok());
            assertTrue(server.awaitOutput(ip, Duration.ofSeconds(3)), "the LAN host sees the container's own " +
                "address, not the uplink's:\n" + server);
            server.kill();
        }
        finally
        {
            BerthHost.inNs(h1, "ip", "route", "del", "10.71.0.0/16");
        }
    }

    @Test
    void ipvlanL3PrivateRoutesNoContainerToAnother()
    {
        host.createNetwork("iv3p", "-d", "ipvlan", "-o", "ipvlan_mode=l3", "-o", "ipvlan_flag=private",
            "--subnet", "10.67.1.0/24", "--subnet", "10.67.2.0/24", "-o", "parent=lan1",
            "-o", "parent_ip=192.168.79.3/24");
        final String a = host.run("l3pa", "--network", "iv3p");
        final String b = host.run("l3pb", "--network", "iv3p", "--ip", "10.67.2.5");
        final long isolated = drops("isolated");
        Net.assertNoPing(a, ipOf(b, "iv3p"));
        assertTrue(drops("isolated") > isolated);
        assertTrue(BerthHost.inNs(h2, "ip", "route", "replace", "10.67.0.0/16", "via", "192.168.79.3").ok());
        try
        {
            Net.assertPings(a, H2_IPVLAN, host);
            Net.assertPings(h2, ipOf(b, "iv3p"), host);
        }
        finally
        {
            BerthHost.inNs(h2, "ip", "route", "del", "10.67.0.0/16");
        }
    }

    // ------------------------------------------------------------------------------------ rules, bad input

    @Test
    void takenParentsAndBadOptionsAreRefusedNamingWhatIsWrongAndChangeNothing()
    {
        host.createNetwork("rmv", "-d", "macvlan", "--subnet", "192.168.82.0/24", "-o", "parent=lan0.30");
        host.createNetwork("riv", "-d", "ipvlan", "--subnet", "192.168.83.0/24", "-o", "parent=lan1.30");
        final String before = host.berthOk("network", "ls").out();
        final String[][] refused = {
            {"macvlan", "192.168.84.0/24", "parent=lan0.30", "parent lan0.30 is in use by network rmv"},
            {"ipvlan", "192.168.84.0/24", "parent=lan1.30", "parent lan1.30 is in use by network riv"},
            {"macvlan", "192.168.84.0/24", "parent=lan1", "parent lan1 serves ipvlan network riv"},
            {"ipvlan", "192.168.84.0/24", "parent=lan0.40", "parent lan0 serves macvlan network rmv"},
            {"macvlan", "192.168.84.0/24", "parent=nope0", "no interface nope0 in berthd's namespace"},
            {"macvlan", "192.168.84.0/24", "parent=lo", "lo is not an Ethernet interface"},
            {"macvlan", "192.168.84.0/24", "parent=lan0.0", "VID must be 1..4094"},
            {"macvlan", "192.168.84.0/24", "parent=lan0.4095", "VID must be 1..4094"},
            {"macvlan", "192.168.84.0/24", "parent=lan0.x", "invalid VLAN \"x\""},
            {"macvlan", "192.168.84.0/24", "macvlan_mode=vepa", "macvlan_mode vepa is not supported: berth's macvlan networks have bridge mode only"},
            {"macvlan", "192.168.84.0/24", "color=blue", "unknown option \"color\" for a macvlan network; valid options: parent=IFACE[.VID]"},
            {"ipvlan", "192.168.84.0/24", "ipvlan_flag=vepa", "ipvlan_flag vepa is not supported: expected bridge or private"},
            {"ipvlan", "192.168.84.0/24", "ipvlan_mode=l4", "invalid ipvlan_mode l4: expected l2 or l3"},
            {"ipvlan", "192.168.84.0/24", "ipvlan_mode=l3s", "ipvlan_mode l3s is not supported"},
            {"ipvlan", "192.168.84.0/24", "parent_ip=192.168.79.9/24", "parent_ip is for ipvlan_mode=l3"},
            {"ipvlan", "192.168.84.0/24", "parent_ip=192.168.79.9", "invalid parent_ip 192.168.79.9: expected ADDR/PREFIX"},
            {"macvlan", "192.168.82.0/25", "parent=lan0.50", "overlaps subnet 192.168.82.0/24 of network rmv"},
        };
        for (final String[] r : refused)
        {
            final Result result = host.berth("network", "create", "-d", r[0], "--subnet", r[1], "-o", r[2], "bad");
            assertFalse(result.ok(), "must refuse " + String.join(" ", r));
            assertTrue(result.output().contains(r[3]), "expected \"" + r[3] + "\" in\n" + result.output());
        }
        final Result l3WithoutAddress = host.berth("network", "create", "-d", "ipvlan", "-o", "ipvlan_mode=l3",
            "--subnet", "10.68.0.0/24", "-o", "parent=lan1.40", "bad");
        assertTrue(l3WithoutAddress.output().contains("ipvlan_mode=l3 on parent lan1.40 needs -o parent_ip=ADDR/PREFIX"),
            l3WithoutAddress.output());
        final Result twoSubnets = host.berth("network", "create", "-d", "macvlan", "--subnet", "10.68.0.0/24",
            "--subnet", "10.69.0.0/24", "bad");
        assertTrue(twoSubnets.output().contains("network driver macvlan takes one --subnet, not 2"), twoSubnets.output());
        final Result overlapping = host.berth("network", "create", "-d", "ipvlan", "-o", "ipvlan_mode=l3",
            "--subnet", "10.68.0.0/24", "--subnet", "10.68.0.0/25", "bad");
        assertTrue(overlapping.output().contains("overlaps subnet 10.68.0.0/24"), overlapping.output());
        assertEquals(before, host.berthOk("network", "ls").out());
        // the uplink's address is the host's: never a container's
        host.createNetwork("rup", "-d", "macvlan", "--subnet", "192.168.77.0/24", "--ip-range", "192.168.77.0/29",
            "--gateway", "192.168.77.1", "-o", "parent=lan0");
        final Result pinned = host.berth("run", "-d", "--name", host.name("rup1"), "--network", "rup", "--ip", UPLINK_IP);
        assertFalse(pinned.ok());
        assertTrue(pinned.output().contains("192.168.77.2 is berthd's uplink address"), pinned.output());
        host.track(host.name("rup1"));
        final String first = host.run("rup2", "--network", "rup");
        assertEquals("192.168.77.3", ipOf(first, "rup"), "the uplink's address is skipped");
        // no published ports: a macvlan container is on the LAN itself
        final Result publish = host.berth("run", "-d", "--name", host.name("rup3"), "--network", "rup", "-p", "80:80");
        host.track(host.name("rup3"));
        assertFalse(publish.ok(), publish.toString());
        assertTrue(publish.output().contains("cannot publish ports"), publish.output());
    }

    // ------------------------------------------------------------------------------------------------ restart

    @Test
    void aRestartKeepsNetworksContainersAndTheirMacsAndTheLanKeepsReachingThem()
    {
        host.createNetwork("mvr", "-d", "macvlan", "--subnet", "192.168.77.0/24", "--ip-range", "192.168.77.64/26",
            "--gateway", "192.168.77.1", "-o", "parent=lan0");
        host.createNetwork("ivr", "-d", "ipvlan", "--subnet", "192.168.79.0/24", "--ip-range", "192.168.79.192/26",
            "--gateway", "192.168.79.1", "-o", "parent=lan1");
        host.createNetwork("l3r", "-d", "ipvlan", "-o", "ipvlan_mode=l3", "--subnet", "10.70.1.0/24", "--subnet",
            "10.70.2.0/24", "-o", "parent=lan1.60", "-o", "parent_ip=192.168.85.2/24");
        final String m = host.run("mr", "--network", "mvr");
        final String i = host.run("ir", "--network", "ivr");
        final String la = host.run("l3ra", "--network", "l3r");
        host.run("l3rb", "--network", "l3r", "--ip", "10.70.2.9");
        Net.assertPings(la, "10.70.2.9", host);
        final String mip = ipOf(m, "mvr");
        final String iip = ipOf(i, "ivr");
        Net.assertPings(h1, mip, host);
        Net.assertPings(h2, iip, host);
        final JsonNode before = host.inspectNetwork("mvr");

        host.restartBerthd();

        final JsonNode after = host.inspectNetwork("mvr");
        assertEquals("macvlan", after.path("Driver").asText());
        assertEquals("lan0", after.path("Options").path("parent").asText());
        assertEquals("bridge", after.path("Options").path("macvlan_mode").asText());
        assertEquals(before.path("Containers"), after.path("Containers"));
        assertEquals(Net.macFor(mip), after.path("Containers").path(m).path("MacAddress").asText());
        assertEquals("l2", host.inspectNetwork("ivr").path("Options").path("ipvlan_mode").asText());
        assertEquals(linkMac(host.hostNs(), "lan1"), host.inspectNetwork("ivr").path("Containers").path(i)
            .path("MacAddress").asText());
        // the LAN hosts never forgot the containers' MACs, and reach them as before
        Net.assertPings(h1, mip, host);
        Net.assertPings(h2, iip, host);
        Net.assertPings(m, H2, host);
        Net.assertPings(host.hostNs(), iip, host);
        Net.assertPings(la, "10.70.2.9", host);
        assertEquals("10.70.2.0/24", host.inspectNetwork("l3r").path("IPAM").path("Config").get(1).path("Subnet").asText());
    }
}
