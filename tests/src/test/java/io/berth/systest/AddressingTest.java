package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scenarios.md §1: the default network, user networks, addresses, MACs, routes and what inspect shows. */
class AddressingTest extends SystemTestBase
{
    @Test
    void defaultNetworkGivesFirstAddressMacAndRouteViaGateway()
    {
        final String c = host.run("d");

        final JsonNode addrs = Net.addrs(c);
        assertEquals(List.of("eth0", "lo"), sorted(Net.ifnames(addrs)), () -> "interfaces of " + c + "\n" + Net.diag(c));
        final JsonNode eth0 = Net.link(addrs, "eth0");
        assertEquals(List.of("172.17.0.2/16"), Net.ipv4(eth0), () -> Net.diag(c));
        assertEquals("02:42:ac:11:00:02", eth0.path("address").asText(), () -> Net.diag(c));
        assertTrue(Net.isUp(eth0), () -> "eth0 not up\n" + Net.diag(c));
        assertTrue(Net.isUp(Net.link(addrs, "lo")), () -> "lo not up\n" + Net.diag(c));
        assertEquals("172.17.0.1", Net.defaultGateway(c), () -> "default route\n" + Net.diag(c));
        assertTrue(inNs(c, "ping", "-n", "-c", "1", "-W", "2", "127.0.0.1").ok(), "lo answers ping");

        Net.assertPings(c, "172.17.0.1", host);

        final JsonNode bridge = host.inspectNetwork("bridge");
        assertEquals("bridge", bridge.path("Name").asText(), bridge::toString);
        assertEquals("bridge", bridge.path("Driver").asText(), bridge::toString);
        final JsonNode cfg = bridge.path("IPAM").path("Config").path(0);
        assertEquals("172.17.0.0/16", cfg.path("Subnet").asText(), bridge::toString);
        assertEquals("172.17.0.1", cfg.path("Gateway").asText(), bridge::toString);
        final JsonNode ep = bridge.path("Containers").path(c);
        assertEquals("02:42:ac:11:00:02", ep.path("MacAddress").asText(), bridge::toString);
        assertEquals("172.17.0.2/16", ep.path("IPv4Address").asText(), bridge::toString);

        final JsonNode ci = host.inspect(c);
        final JsonNode n = ci.path("NetworkSettings").path("Networks").path("bridge");
        assertEquals("172.17.0.2", n.path("IPAddress").asText(), ci::toString);
        assertEquals(16, n.path("IPPrefixLen").asInt(), ci::toString);
        assertEquals("02:42:ac:11:00:02", n.path("MacAddress").asText(), ci::toString);
        assertEquals("172.17.0.1", n.path("Gateway").asText(), ci::toString);
        assertEquals("eth0", n.path("Interface").asText(), ci::toString);

        final String ls = host.berthOk("network", "ls").out();
        assertTrue(ls.contains("bridge"), () -> "network ls lacks bridge:\n" + ls);
    }

    @Test
    void userNetworkAddressesFromIpRangeWithPinnedIp()
    {
        host.createNetwork("mybridge0", "--driver=bridge", "--subnet=192.168.100.0/24",
            "--ip-range=192.168.100.0/26", "--gateway=192.168.100.1");
        final String a = host.run("a", "--network", "mybridge0");
        final String b = host.run("b", "--network", "mybridge0", "--ip", "192.168.100.10");
        final String c = host.run("c", "--network=mybridge0");

        assertAddress(a, "192.168.100.2/24", "02:42:c0:a8:64:02", "192.168.100.1");
        assertAddress(b, "192.168.100.10/24", "02:42:c0:a8:64:0a", "192.168.100.1");
        assertAddress(c, "192.168.100.3/24", "02:42:c0:a8:64:03", "192.168.100.1");
        Net.assertPings(a, "192.168.100.1", host);

        final JsonNode net = host.inspectNetwork("mybridge0");
        assertEquals("mybridge0", net.path("Name").asText(), net::toString);
        assertEquals("bridge", net.path("Driver").asText(), net::toString);
        assertTrue(!net.path("Id").asText().isEmpty(), () -> "no Id: " + net);
        final JsonNode cfg = net.path("IPAM").path("Config").path(0);
        assertEquals("192.168.100.0/24", cfg.path("Subnet").asText(), net::toString);
        assertEquals("192.168.100.0/26", cfg.path("IPRange").asText(), net::toString);
        assertEquals("192.168.100.1", cfg.path("Gateway").asText(), net::toString);
        final JsonNode ctrs = net.path("Containers");
        assertEquals(3, ctrs.size(), net::toString);
        assertEquals("02:42:c0:a8:64:02", ctrs.path(a).path("MacAddress").asText(), net::toString);
        assertEquals("192.168.100.2/24", ctrs.path(a).path("IPv4Address").asText(), net::toString);
        assertEquals("02:42:c0:a8:64:0a", ctrs.path(b).path("MacAddress").asText(), net::toString);
        assertEquals("192.168.100.10/24", ctrs.path(b).path("IPv4Address").asText(), net::toString);

        final String ls = host.berthOk("network", "ls").out();
        assertTrue(ls.contains("mybridge0") && ls.contains("bridge"), () -> "network ls:\n" + ls);
    }

    @Test
    void networkWithoutSubnetGetsFirstFreePrivateSubnet()
    {
        host.createNetwork("auto1");
        host.createNetwork("auto2");
        final JsonNode n1 = host.inspectNetwork("auto1").path("IPAM").path("Config").path(0);
        final JsonNode n2 = host.inspectNetwork("auto2").path("IPAM").path("Config").path(0);
        assertEquals("172.18.0.0/16", n1.path("Subnet").asText(), n1::toString);
        assertEquals("172.18.0.1", n1.path("Gateway").asText(), n1::toString);
        assertEquals("172.19.0.0/16", n2.path("Subnet").asText(), n2::toString);

        final String c = host.run("a", "--network", "auto1");
        assertAddress(c, "172.18.0.2/16", "02:42:ac:12:00:02", "172.18.0.1");
        Net.assertPings(c, "172.18.0.1", host);
    }

    @Test
    void pinnedIpOnSecondUserNetworkAndMtuOption()
    {
        host.createNetwork("my_net2", "--subnet", "172.22.0.0/24", "--gateway", "172.22.0.1", "-o", "mtu=1400");
        final String c = host.run("a", "--network", "my_net2", "--ip", "172.22.0.10");
        assertAddress(c, "172.22.0.10/24", "02:42:ac:16:00:0a", "172.22.0.1");
        final JsonNode eth0 = Net.link(Net.addrs(c), "eth0");
        assertEquals(1400, eth0.path("mtu").asInt(), () -> "-o mtu=1400\n" + Net.diag(c));
        Net.assertPings(c, "172.22.0.1", host);
    }

    @Test
    void internalNetworkWithShortOptionAliases()
    {
        host.createNetwork("intnet", "-d", "bridge", "--internal", "--opt", "mtu=1450", "--subnet", "10.21.0.0/24");
        final JsonNode net = host.inspectNetwork("intnet");
        assertTrue(net.path("Internal").asBoolean(), () -> "--internal shows as Internal: " + net);
        assertEquals("bridge", net.path("Driver").asText(), net::toString);
        assertEquals("1450", net.path("Options").path("mtu").asText(), () -> "--opt mtu=1450 in Options: " + net);
        final String a = host.run("a", "--network", "intnet");
        final String b = host.run("b", "--network", "intnet");
        assertEquals(1450, Net.link(Net.addrs(a), "eth0").path("mtu").asInt(), () -> Net.diag(a));
        Net.assertPings(a, "10.21.0.3", host);
        Net.assertPings(b, "10.21.0.1", host);
    }

    @Test
    void inspectShowsTheSandboxProcess()
    {
        host.createNetwork("pnet", "--subnet", "10.20.0.0/24");
        final String c = host.run("p", "--network", "pnet", "--", "sleep", "600");
        final JsonNode ci = host.inspect(c);
        final long pid = ci.path("State").path("Pid").asLong();
        assertTrue(pid > 0, () -> "State.Pid: " + ci);
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), () -> "pid " + pid + " not alive");
        assertEquals(BerthHost.nsInode(Path.of("/run/netns", c)), BerthHost.nsInode(Path.of("/proc/" + pid + "/ns/net")),
            "the process runs in the sandbox namespace");
        final JsonNode n = ci.path("NetworkSettings").path("Networks").path("pnet");
        assertEquals("10.20.0.2", n.path("IPAddress").asText(), ci::toString);
        assertEquals("10.20.0.1", n.path("Gateway").asText(), "gateway defaults to the subnet's first address");
        final String ps = host.berthOk("ps").out();
        assertTrue(ps.contains(c), () -> "ps lacks " + c + ":\n" + ps);
    }

    private static void assertAddress(String ns, String cidr, String mac, String gateway)
    {
        final JsonNode eth0 = Net.link(Net.addrs(ns), "eth0");
        assertNotNull(eth0, () -> "no eth0 in " + ns + "\n" + Net.diag(ns));
        assertEquals(List.of(cidr), Net.ipv4(eth0), () -> Net.diag(ns));
        assertEquals(mac, eth0.path("address").asText(), () -> Net.diag(ns));
        assertEquals(gateway, Net.defaultGateway(ns), () -> "default route\n" + Net.diag(ns));
    }

    private static List<String> sorted(List<String> l)
    {
        final List<String> s = new ArrayList<>(l);
        s.sort(null);
        return s;
    }
}
