package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.berth.systest.OverlayLab.poll;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The overlay attacked as issue 24 attacked it, on two berthd hosts sharing a real etcd and a stranger on the
 * underlay: a container writing VXLAN into another host's overlay, and forged tunnel frames poisoning ARP and
 * the MAC tables. One lab for the class; each test removes what it made.
 */
class OverlayTrustTest extends OverlayLabTestBase
{
    /** How long a forged frame gets to arrive where it must not. */
    private static final Duration GRACE = Duration.ofSeconds(3);
    private static final String LISTENER = "import socket,sys\n" +
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
        "s.bind(('0.0.0.0',int(sys.argv[1])))\n" +
        "print('listening',flush=True)\n" +
        "while True:\n" +
        "    d,a=s.recvfrom(4096)\n" +
        "    print(d.decode(errors='replace'),a[0],a[1],flush=True)\n";
    private BerthHost a;
    private BerthHost b;
    private String forge;

    @Override
    protected OverlayLab startLab()
    {
        final OverlayLab started = OverlayLab.start(2);
        a = started.host(1);
        b = started.host(2);
        forge = a.root().resolve("tests/src/test/resources/vxlan-forge.py").toString();
        return started;
    }

    @Test
    void noContainerDatagramIsEverTakenForTunnelTraffic()
    {
        final String internal = b.prefix() + "int";
        b.createNetwork(internal, "--driver", "overlay", "--internal", "--subnet", "10.51.0.0/24");
        final String other = a.prefix() + "ova";
        a.createNetwork(other, "--driver", "overlay", "--subnet", "10.53.0.0/24");
        final String bridge = a.prefix() + "br";
        a.createNetwork(bridge, "--subnet", "10.52.0.0/24");
        assertTrue(poll(SEEN, () -> a.berth("network", "ls").out().contains(internal)), "host 1 never saw " + internal);
        final String victim = b.run("i2", "--network", internal);
        final String member = a.run("w1", "--network", internal); // the attack's one condition: h1 is on the network
        final String fromBridge = a.run("x1", "--network", bridge);
        final String fromOverlay = a.run("o1", "--network", other);
        final String victimIp = ipOf(b, victim);
        final String memberIp = ipOf(a, member);
        final int vni = b.inspectNetwork(internal).path("Options")
            .path("com.docker.network.driver.overlay.vxlanid_list").asInt();
        final BerthHost.Spawned listener = listen(b, victim, 7777);
        // the listener hears what the overlay really carries
        assertTrue(poll(SEEN, () ->
        {
            BerthHost.inNs(member, "bash", "-c", "echo LEGIT > /dev/udp/" + victimIp + "/7777");
            return listener.output().contains("LEGIT");
        }), "the victim never heard its own network\n" + listener);

        // the attack: an ordinary UDP socket, as nobody, to the victim host's VTEP, carrying a frame that claims to
        // be h1's own endpoint on the victim's network (so the receiving side's endpoint check alone would pass it)
        for (final String attacker : List.of(fromBridge, fromOverlay))
        {
            final Result sent = BerthHost.inNs(attacker, "runuser", "-u", "nobody", "--", "/usr/bin/python3", forge,
                "socket", OverlayLab.underlayIp(2), Integer.toString(vni), "udp", Net.macFor(victimIp),
                Net.macFor(memberIp), memberIp, victimIp, "7777", "FORGED-" + attacker);
            assertTrue(sent.ok(), sent.toString());
        }
        assertFalse(poll(GRACE, () -> listener.output().contains("FORGED")),
            "a container's datagram was taken for tunnel traffic:\n" + listener);
        final JsonNode guard = a.json("counters", "-o", "json").path("nodes").path("vtep-guard").path("drops");
        assertTrue(guard.path("vxlan_from_container").asLong() >= 10, "not counted at vtep-guard: " + guard);

        // the masquerade never hands a container's datagram the VTEP's tunnel port as its source
        final String stranger = lab.makeStranger();
        final BerthHost.Spawned outside = listen(a, stranger, 9999);
        final Result sent = BerthHost.inNs(fromBridge, "/usr/bin/python3", "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',4789))\n" +
            "[s.sendto(b'FROM4789',('" + OverlayLab.STRANGER_IP + "',9999)) for _ in range(3)]");
        assertTrue(sent.ok(), sent.toString());
        assertTrue(outside.awaitOutput("FROM4789", SEEN), "the datagram never left: " + outside);
        final String line = outside.output().lines().filter(l -> l.startsWith("FROM4789")).findFirst().orElseThrow();
        assertTrue(line.contains(OverlayLab.underlayIp(1)), line);
        assertFalse(line.endsWith(" 4789"), "masqueraded to the VTEP's tunnel port: " + line);
    }

    @Test
    void forgedTunnelFramesNeitherPoisonArpNorTeachMacs()
    {
        final String net = a.prefix() + "ov1";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.54.0.0/24");
        final String c1 = a.run("c1", "--network", net);
        final String c2 = b.run("c2", "--network", net);
        final String ip1 = ipOf(a, c1);
        final String ip2 = ipOf(b, c2);
        final String mac1 = Net.macFor(ip1);
        final String mac2 = Net.macFor(ip2);
        final int vni = a.inspectNetwork(net).path("Options").path("com.docker.network.driver.overlay.vxlanid_list")
            .asInt();
        assertTrue(poll(SEEN, () -> ping(c2, ip1)), "c2 cannot reach c1 before the attack\n" + b.logTail());
        final BerthHost.Spawned listener = listen(b, c2, 7778);
        final String stranger = lab.makeStranger();
        final JsonNode before = decapDrops(b);
        final List<List<String>> forgeries = new ArrayList<>();
        // "c1's address is at 02:66:..." as a tunnel reply from h1's VTEP, in a frame from c1's MAC and from 02:66
        forgeries.add(List.of("arp", mac2, mac1, "02:66:66:66:66:66", ip1, ip2));
        forgeries.add(List.of("arp", mac2, "02:66:66:66:66:66", "02:66:66:66:66:66", ip1, ip2));
        // c1's real MAC with a sender address no endpoint of h1 has
        forgeries.add(List.of("arp", mac2, mac1, mac1, "10.54.0.99", ip2));
        // a MAC that is none of h1's endpoints (it would be learned on h1's tunnel)
        forgeries.add(List.of("udp", mac2, "02:77:77:77:77:01", ip1, ip2, "7778", "FORGED-mac"));
        // h1's endpoint's MAC with an address that is not h1's
        forgeries.add(List.of("udp", mac2, mac1, "10.54.0.99", ip2, "7778", "FORGED-ip"));
        for (final List<String> inner : forgeries)
        {
            final List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", forge, "raw", OverlayLab.underlayIp(1),
                OverlayLab.underlayIp(2), Integer.toString(vni)));
            cmd.addAll(inner);
            final Result sent = BerthHost.inNs(stranger, cmd.toArray(String[]::new));
            assertTrue(sent.ok(), sent.toString());
        }
        assertFalse(poll(GRACE, () -> listener.output().contains("FORGED")), "a forged frame reached c2:\n" + listener);
        final String neighbour = BerthHost.inNs(c2, "ip", "neigh", "show", ip1).out();
        assertFalse(neighbour.contains("02:66:66:66:66:66"), "c2's neighbour entry was poisoned: " + neighbour);
        assertTrue(poll(SEEN, () ->
        {
            final JsonNode now = decapDrops(b);
            return grew(before, now, "arp_spoof", 10) && grew(before, now, "mac_spoof", 10)
                && grew(before, now, "spoofed_source", 5);
        }), "vxlan-decap's drops before " + before + ", after " + decapDrops(b));
        assertTrue(ping(c2, ip1), "c2 lost c1 after the forgery");
        // the genuine frames of h1's endpoint still pass
        BerthHost.inNs(c1, "bash", "-c", "echo GENUINE > /dev/udp/" + ip2 + "/7778");
        assertTrue(listener.awaitOutput("GENUINE", SEEN), listener.toString());
    }

    @Test
    void handWrittenStoreKeysAreCheckedAsStrictlyAsTheCli() throws Exception
    {
        final String net = a.prefix() + "ov2";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.55.0.0/24");
        final String c1 = a.run("s1", "--network", net);
        final String c2 = b.run("s2", "--network", net);
        final String ip2 = ipOf(b, c2);
        assertTrue(poll(SEEN, () -> ping(c1, ip2)), "no overlay path before the forged keys");
        final EtcdKeys keys = new EtcdKeys(a.hostNs(), "http://" + OverlayLab.ETCD_IP + ":2379");
        final String original = keys.get("/berth/v1/networks/" + net);
        assertTrue(original != null && original.contains(net), "networks/" + net + ": " + original);
        final long rejectedBefore = storeCounter(a, "values_rejected");
        final String zdup = a.prefix() + "zdup";
        final String otherId = "f".repeat(64);
        final String forgedIdOf = original.replaceAll("\"id\":\"[0-9a-f]{64}\"", "\"id\":\"" + otherId + "\"");
        // a copy of the live network under another name: its subnet and VNI
        keys.put("/berth/v1/networks/" + zdup, forgedIdOf.replace("\"" + net + "\"", "\"" + zdup + "\""));
        // the whole IPv4 space, the underlay's own subnet, and a value cut short
        keys.put("/berth/v1/networks/" + a.prefix() + "all", forgedIdOf.replace("\"" + net + "\"", "\"" +
            a.prefix() + "all\"").replace("10.55.0.0/24", "0.0.0.0/0").replace("10.55.0.1", "0.0.0.1")
            .replaceAll("\"vni\":\"\\d+\"", "\"vni\":\"7001\"").replace(otherId, "e".repeat(64)));
        keys.put("/berth/v1/networks/" + a.prefix() + "lan", forgedIdOf.replace("\"" + net + "\"", "\"" +
            a.prefix() + "lan\"").replace("10.55.0.0/24", "10.240.0.0/24").replace("10.55.0.1", "10.240.0.1")
            .replaceAll("\"vni\":\"\\d+\"", "\"vni\":\"7002\"").replace(otherId, "d".repeat(64)));
        keys.put("/berth/v1/networks/" + a.prefix() + "cut", original.substring(0, original.length() / 2));
        keys.put("/berth/v1/vnis/not-a-number", "x");
        keys.put("/berth/v1/subnets/" + a.prefix() + "junk", "999.1.2.3/77");

        for (final BerthHost host : List.of(a, b))
        {
            assertTrue(poll(SEEN, () -> storeCounter(host, "values_rejected") >= (host == a ? rejectedBefore : 0) + 3),
                "the invalid values were not counted on " + host.hostNs() + ": " + host.json("counters", "-o", "json")
                .path("store"));
            assertTrue(poll(SEEN, () -> host.inspectNetwork(net).path("StoreConflicts").toString().contains(zdup)),
                "the conflict is not shown on " + host.hostNs() + ": " + host.inspectNetwork(net));
            final String ls = host.berthOk("network", "ls").out();
            for (final String forged : List.of(zdup, a.prefix() + "all", a.prefix() + "lan", a.prefix() + "cut"))
            {
                assertFalse(ls.contains(forged), forged + " was set up on " + host.hostNs() + ":\n" + ls);
            }
            assertFalse(host.logTail().contains("\tat io.berth"), "a stack trace in the log of " + host.hostNs() +
                ":\n" + host.logTail());
        }
        // a new container gets an address of its own, and creating networks still works with the junk in the store
        final String c3 = b.run("s3", "--network", net);
        assertTrue(!ipOf(b, c3).equals(ipOf(a, c1)) && !ipOf(b, c3).equals(ip2), "an address given twice");
        b.createNetwork(b.prefix() + "after", "--driver", "overlay", "--subnet", "10.65.0.0/24");
        // removing the copy touches nothing of the live network
        keys.delete("/berth/v1/networks/" + zdup);
        for (final String key : List.of("networks/" + a.prefix() + "all", "networks/" + a.prefix() + "lan",
            "networks/" + a.prefix() + "cut", "vnis/not-a-number", "subnets/" + a.prefix() + "junk"))
        {
            keys.delete("/berth/v1/" + key);
        }
        assertTrue(poll(SEEN, () -> !a.inspectNetwork(net).has("StoreConflicts")), a.inspectNetwork(net).toString());
        assertTrue(ping(c1, ip2), "host 1 lost host 2 after the copy was deleted");
        assertTrue(ping(c2, ipOf(a, c1)), "host 2 lost host 1 after the copy was deleted");
    }

    private static long storeCounter(final BerthHost host, final String name)
    {
        return host.json("counters", "-o", "json").path("store").path(name).asLong();
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static BerthHost.Spawned listen(final BerthHost host, final String ns, final int port)
    {
        final BerthHost.Spawned listener = host.spawn(ns, "/usr/bin/python3", "-c", LISTENER, Integer.toString(port));
        assertTrue(listener.awaitOutput("listening", SEEN), listener.toString());
        return listener;
    }

    private static JsonNode decapDrops(final BerthHost host)
    {
        return host.json("counters", "-o", "json").path("nodes").path("vxlan-decap").path("drops");
    }

    private static boolean grew(final JsonNode before, final JsonNode now, final String reason, final long by)
    {
        return now.path(reason).asLong() >= before.path(reason).asLong() + by;
    }

}
