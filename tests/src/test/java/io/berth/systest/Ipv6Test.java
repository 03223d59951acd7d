package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dual-stack bridge networks (issue 27, its first part): {@code --ipv6} and an IPv6 {@code --subnet}, containers
 * addressed with the prefix and their IPv4 host part, talking IPv6 through berth's switch and port security, the
 * kernel as the peer. One berthd for the class; each test removes what it made.
 */
class Ipv6Test extends SystemTestBase
{
    private static boolean ping6(final String ns, final String ip)
    {
        return inNs(Duration.ofSeconds(10), ns, "ping", "-6", "-c", "1", "-W", "1", ip).ok();
    }

    @Test
    void aDualStackNetworkGivesContainersBothAddressesAndTheyTalkIpv6()
    {
        host.createNetwork("v6a", "--ipv6", "--subnet", "10.96.0.0/24", "--subnet", "fd00:96::/64");
        final JsonNode net = host.inspectNetwork("v6a");
        assertTrue(net.path("EnableIPv6").asBoolean(), net.toString());
        final String configs = net.path("IPAM").path("Config").toString();
        assertTrue(configs.contains("\"Subnet\":\"10.96.0.0/24\"") && configs.contains("\"Subnet\":\"fd00:96::/64\"")
            && configs.contains("\"Gateway\":\"fd00:96::1\""), configs);
        final String c1 = host.run("s1", "--network", "v6a");
        final String c2 = host.run("s2", "--network", "v6a");
        final JsonNode settings = host.inspect(c2).path("NetworkSettings").path("Networks").path("v6a");
        assertEquals("fd00:96::3", settings.path("GlobalIPv6Address").asText(), settings.toString());
        assertEquals(64, settings.path("GlobalIPv6PrefixLen").asInt());
        assertEquals("fd00:96::1", settings.path("IPv6Gateway").asText());
        final String addresses = inNs(c1, "ip", "-6", "addr", "show", "dev", "eth0").out();
        assertTrue(addresses.contains("fd00:96::2/64"), addresses);
        assertTrue(inNs(c1, "ip", "-6", "route", "show", "default").out().contains("via fd00:96::1"));
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, "fd00:96::3")),
            "c1 cannot ping c2 over IPv6\n" + host.logTail());
        // the gateway answers neighbour solicitation and ping for its IPv6 address, with the gateway MAC
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, "fd00:96::1")),
            "c1 cannot ping the IPv6 gateway\n" + host.berth("counters").out());
        final String neighbour = inNs(c1, "ip", "-6", "neigh", "show", "fd00:96::1").out();
        assertTrue(neighbour.contains("02:42:0a:60:00:01") && neighbour.contains("router"), neighbour);
        final Result big = inNs(c2, "ping", "-6", "-c", "2", "-W", "2", "-s", "1400", "fd00:96::1");
        assertTrue(big.ok(), big.toString());
        final BerthHost.Spawned server = host.spawn(c2, "nc", "-6", "-l", "-n", "7301");
        assertTrue(Net.awaitListening(c2, 7301));
        assertTrue(inNs(Duration.ofSeconds(10), c1, "sh", "-c", "echo over-v6 | nc -6 -N -n -w 3 fd00:96::3 7301").ok());
        assertTrue(server.awaitOutput("over-v6", Duration.ofSeconds(5)), server.toString());
        server.kill();
        // still IPv4 as before
        Net.assertPings(c1, "10.96.0.3", host);
        // names: AAAA with the IPv6 address, PTR under ip6.arpa, A as before
        assertEquals("fd00:96::3", inNs(c1, "dig", "+short", "+time=2", "+tries=1", "AAAA", c2, "@127.0.0.11").out()
            .strip());
        assertEquals(c2 + ".v6a.", inNs(c1, "dig", "+short", "+time=2", "+tries=1", "-x", "fd00:96::3",
            "@127.0.0.11").out().strip());
        assertEquals("10.96.0.3", inNs(c1, "dig", "+short", "+time=2", "+tries=1", c2, "@127.0.0.11").out().strip());
        // --ip6 pins both addresses (the IPv4 one takes its host part); one that disagrees with --ip is refused
        final String c3 = host.run("s3", "--network", "v6a", "--ip6", "fd00:96::42");
        final JsonNode pinned = host.inspect(c3).path("NetworkSettings").path("Networks").path("v6a");
        assertEquals("fd00:96::42", pinned.path("GlobalIPv6Address").asText(), pinned.toString());
        assertEquals("10.96.0.66", pinned.path("IPAddress").asText());
        assertTrue(ping6(c1, "fd00:96::42"));
        final Result disagree = host.berth("run", "-d", "--name", host.name("s4"), "--network", "v6a", "--ip",
            "10.96.0.9", "--ip6", "fd00:96::8");
        assertFalse(disagree.ok());
        assertTrue(disagree.err().contains("disagree"), disagree.toString());
        final Result outside = host.berth("run", "-d", "--name", host.name("s5"), "--network", "v6a", "--ip6",
            "fd00:97::8");
        assertTrue(!outside.ok() && outside.err().contains("not a container address of network v6a"),
            outside.toString());
        // a container that forges its neighbour's IPv6 address is refused, the neighbour undisturbed
        final long before = host.json("counters", "-o", "json").path("drops").path("spoofed_source").asLong();
        final Result forged = inNs(c1, "/usr/bin/python3", host.root().resolve("tests/src/test/resources/nd-attack.py")
            .toString(), "spoof", "3", "fd00:96::3", "02:42:0a:60:00:03", "fd00:96::3");
        assertTrue(forged.ok(), forged.toString());
        assertTrue(OverlayLab.poll(Duration.ofSeconds(5), () -> host.json("counters", "-o", "json").path("drops")
            .path("spoofed_source").asLong() >= before + 3));
        assertTrue(ping6(c1, "fd00:96::3"));
        // a restart keeps both addresses and IPv6 port security
        host.restartBerthd();
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, "fd00:96::3")), "no IPv6 after a restart");
        assertEquals("fd00:96::2", host.inspect(c1).path("NetworkSettings").path("Networks").path("v6a")
            .path("GlobalIPv6Address").asText());
        final long beforeRestart = host.json("counters", "-o", "json").path("drops").path("spoofed_source").asLong();
        assertTrue(inNs(c1, "/usr/bin/python3", host.root().resolve("tests/src/test/resources/nd-attack.py").toString(),
            "spoof", "2", "fd00:96::3", "02:42:0a:60:00:03", "fd00:96::3").ok());
        assertTrue(OverlayLab.poll(Duration.ofSeconds(5), () -> host.json("counters", "-o", "json").path("drops")
            .path("spoofed_source").asLong() >= beforeRestart + 2), "IPv6 port security lost at the restart");
    }

    @Test
    void withoutAnIpv6SubnetOneComesFromTheUniqueLocalPoolAndBadOnesAreRefused()
    {
        host.createNetwork("v6b", "--ipv6", "--subnet", "10.97.0.0/24");
        final String pool = host.inspectNetwork("v6b").path("IPAM").path("Config").toString();
        assertTrue(pool.contains("fd00:ba:0:1::/64"), pool);
        host.createNetwork("v6c", "--ipv6", "--subnet", "10.98.0.0/24");
        assertTrue(host.inspectNetwork("v6c").path("IPAM").path("Config").toString().contains("fd00:ba:0:2::/64"));
        refused("shorter than /64", "--subnet", "10.99.1.0/24", "--subnet", "fd00:99::/48");
        refused("link-local", "--subnet", "10.99.1.0/24", "--subnet", "fe80::/64");
        refused("multicast", "--subnet", "10.99.1.0/24", "--subnet", "ff05::/64");
        refused("overlaps fd00:ba:0:1::/64 of network v6b", "--subnet", "10.99.1.0/24", "--subnet",
            "fd00:ba:0:1::/64");
        refused("outside its subnet", "--subnet", "10.99.1.0/24", "--subnet", "fd00:99::/64", "--gateway",
            "fd00:98::1");
        refused("would be the IPv6 address of the container at 10.99.1.5", "--subnet", "10.99.1.0/24", "--subnet",
            "fd00:99::/64", "--gateway", "fd00:99::5");
        refused("host bits are set", "--subnet", "10.99.1.0/24", "--subnet", "fd00:99::1/64");
        refused("at most one IPv6 --subnet", "--subnet", "fd00:99::/64", "--subnet", "fd00:98::/64");
        refused("--ipv6 is for ipvlan_mode=l2 so far", "--driver", "ipvlan", "-o", "ipvlan_mode=l3", "-o", "parent=lo",
            "--ipv6");
        assertFalse(host.berthOk("network", "ls").out().contains("v6bad"), "a refused network was made");
        // berthd --default-pool6 moves the pool
        host.stopBerthd();
        host.startBerthd(List.of("--default-pool6", "fd00:77::/56"));
        try
        {
            host.createNetwork("v6d", "--ipv6", "--subnet", "10.99.3.0/24");
            final String moved = host.inspectNetwork("v6d").path("IPAM").path("Config").toString();
            assertTrue(moved.contains("fd00:77:0:1::/64"), moved);
        }
        finally
        {
            host.resetAfterTest();
            host.stopBerthd();
            host.startBerthd();
        }
        // an IPv4-only network is what it was
        host.createNetwork("v4only", "--subnet", "10.99.2.0/24");
        assertFalse(host.inspectNetwork("v4only").path("EnableIPv6").asBoolean());
    }

    @Test
    void onRequestTheGatewayAdvertisesItselfAsTheRouter()
    {
        host.createNetwork("v6ra", "--ipv6", "--subnet", "10.95.0.0/24", "--subnet", "fd00:95::/64", "-o",
            "ipv6.ra=true");
        final String c1 = host.run("r1", "--network", "v6ra");
        // the container's kernel solicits a router once its link-local address is up, and learns berth's gateway
        assertTrue(OverlayLab.poll(Duration.ofSeconds(15), () -> inNs(c1, "ip", "-6", "route", "show", "proto", "ra")
            .out().contains("default via fe80::42:aff:fe5f:1")), () -> "no advertised router: " +
            inNs(c1, "ip", "-6", "route").out() + host.berth("counters").out());
        assertTrue(ping6(c1, "fe80::42:aff:fe5f:1%eth0"), "the gateway's link-local address does not answer");
        assertTrue(ping6(c1, "fd00:95::1"));
        // without it, no advertisement; and it needs a dual-stack network
        host.createNetwork("v6nora", "--ipv6", "--subnet", "10.95.1.0/24");
        final String c2 = host.run("r2", "--network", "v6nora");
        assertTrue(ping6(c2, "fd00:ba:0:1::1") || ping6(c2, inNs(c2, "ip", "-6", "route", "show", "default").out()
            .replaceAll("(?s).*via (\\S+).*", "$1")));
        assertFalse(inNs(c2, "ip", "-6", "route", "show", "proto", "ra").out().contains("default"));
        refused("ipv6.ra=true is for a dual-stack network", "--subnet", "10.95.2.0/24", "-o", "ipv6.ra=true");
    }

    @Test
    void theCniPluginReturnsAndConfiguresTheIpv6AddressToo() throws Exception
    {
        host.createNetwork("v6cni", "--ipv6", "--subnet", "10.94.0.0/24", "--subnet", "fd00:94::/64");
        final String ns = host.name("cni6");
        final Path dir = Files.createTempDirectory("berth-cni6");
        host.berthOk("cni", "install", "--network", "v6cni", "--bin-dir", dir.resolve("bin").toString(), "--conf-dir",
            dir.resolve("conf").toString());
        plugin = dir.resolve("bin/berth");
        assertTrue(Sh.run("ip", "netns", "add", ns).ok());
        try
        {
            final String config = "{\"cniVersion\":\"1.0.0\",\"name\":\"v6cni\",\"type\":\"berth\"," +
                "\"network\":\"v6cni\",\"socket\":\"" + host.socket() + "\"}";
            final Map<String, String> env = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "cni6", "CNI_NETNS",
                "/run/netns/" + ns, "CNI_IFNAME", "eth0", "CNI_PATH", "/nonexistent", "CNI_ARGS", "IP=10.94.0.20");
            final Result added = cni(env, config);
            assertEquals(0, added.exit(), added.toString());
            final JsonNode result = BerthHost.JSON.readTree(added.out());
            assertEquals("fd00:94::14/64", result.path("ips").path(1).path("address").asText(), added.out());
            assertEquals("fd00:94::1", result.path("ips").path(1).path("gateway").asText(), added.out());
            assertTrue(result.path("routes").toString().contains("\"dst\":\"::/0\",\"gw\":\"fd00:94::1\""),
                added.out());
            assertTrue(inNs(ns, "ip", "-6", "addr", "show", "dev", "eth0").out().contains("fd00:94::14/64"));
            assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(ns, "fd00:94::1")));
            final Map<String, String> del = new HashMap<>(env);
            del.put("CNI_COMMAND", "DEL");
            assertEquals(0, cni(del, config).exit());
        }
        finally
        {
            Sh.run("ip", "netns", "del", ns);
            Sh.run("rm", "-rf", dir.toString());
        }
    }

    private Path plugin;

    private Result cni(final Map<String, String> env, final String stdin) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(plugin.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("CNI_") || k.equals("BERTH_SOCKET"));
        pb.environment().putAll(env);
        final Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the plugin did not finish");
        return new Result(List.of("berth", env.get("CNI_COMMAND")), p.exitValue(),
            new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
            new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private void refused(final String expected, final String... args)
    {
        final String[] all = new String[args.length + 3];
        all[0] = "network";
        all[1] = "create";
        System.arraycopy(args, 0, all, 2, args.length);
        all[all.length - 1] = "v6bad";
        final Result result = host.berth(all);
        assertFalse(result.ok(), "accepted: " + String.join(" ", args));
        assertTrue(result.err().contains(expected) || result.out().contains(expected),
            "expected \"" + expected + "\": " + result);
    }
}
