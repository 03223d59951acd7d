package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import io.berth.vxlan.wireguard.X25519Keys;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static io.berth.systest.OverlayLab.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Encrypted overlays (issue 29): {@code -o encrypted} networks across three berthd hosts sharing a real etcd, their
 * frames inside WireGuard between the hosts. The wire is read by tcpdump on the underlay; forged clear VXLAN and
 * replayed WireGuard messages come from a stranger on it. One lab for the class; each test removes what it made.
 */
class EncryptedOverlayTest extends OverlayLabTestBase
{
    private static final Duration GRACE = Duration.ofSeconds(3);
    private BerthHost a;
    private BerthHost b;
    private BerthHost c;

    @Override
    protected OverlayLab startLab()
    {
        final OverlayLab started = OverlayLab.start(3);
        a = started.host(1);
        b = started.host(2);
        c = started.host(3);
        return started;
    }

    private static boolean pingSoon(final String fromNs, final String ip)
    {
        return poll(SEEN, () -> ping(fromNs, ip));
    }

    /** An encrypted overlay NAME on {@code subnet} with a container on host 1 and one on host 2: {net, c1, c2}. */
    private String[] encryptedPair(final String name, final String subnet)
    {
        final String net = a.prefix() + name;
        a.createNetwork(net, "--driver", "overlay", "-o", "encrypted", "--subnet", subnet);
        final String c1 = a.run(name + "1", "--network", net);
        assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(net)));
        return new String[] {net, c1, b.run(name + "2", "--network", net)};
    }

    /** tcpdump on the underlay bridge, every UDP datagram with its payload in ASCII. */
    private BerthHost.Spawned sniffUnderlay()
    {
        final BerthHost.Spawned dump = a.spawn(lab.underlay(), "tcpdump", "-l", "-nn", "-A", "-i", "br0", "udp");
        assertTrue(dump.awaitOutput("listening on", Duration.ofSeconds(5)), dump.toString());
        return dump;
    }

    @Test
    void threeHostsTalkInsideWireGuardAndTheWireShowsNothingElse()
    {
        final String net = a.prefix() + "enc";
        a.createNetwork(net, "--driver", "overlay", "-o", "encrypted", "--subnet", "10.61.0.0/24");
        for (final BerthHost host : List.of(b, c))
        {
            assertTrue(poll(SEEN, () -> host.berth("network", "ls").out().contains(net)), host.hostNs());
        }
        final JsonNode inspect = b.inspectNetwork(net);
        assertTrue(inspect.path("Encrypted").asBoolean(), inspect.toString());
        assertEquals("1390", inspect.path("Options").path("mtu").asText(), inspect.toString());
        final BerthHost.Spawned wire = sniffUnderlay();
        final String c1 = a.run("e1", "--network", net);
        final String c2 = b.run("e2", "--network", net, "--network-alias", "svc");
        final String c3 = c.run("e3", "--network", net);
        final String ip1 = ipOf(a, c1);
        final String ip2 = ipOf(b, c2);
        final String ip3 = ipOf(c, c3);
        assertTrue(BerthHost.inNs(c1, "ip", "link", "show", "eth0").out().contains("mtu 1390"));
        assertTrue(pingSoon(c1, ip2), "c1 cannot ping c2 over the encrypted overlay\n" + a.logTail() + b.logTail());
        assertTrue(pingSoon(c3, ip1), "c3 cannot ping c1");
        assertTrue(pingSoon(c2, ip3), "c2 cannot ping c3");
        // a full-size ping with DF: 1390 = 20 + 8 + 1362
        final Result big = BerthHost.inNs(c1, "ping", "-c", "2", "-W", "2", "-M", "do", "-s", "1362", ip2);
        assertTrue(big.ok(), big.toString());
        assertTrue(poll(SEEN, () -> BerthHost.inNs(c3, "getent", "hosts", "svc").out().startsWith(ip2)),
            "c3 does not resolve host 2's alias svc");
        final String secret = "SECRET-" + Long.toHexString(System.nanoTime());
        final BerthHost.Spawned server = b.spawn(c2, "nc", "-l", "-n", "7201");
        assertTrue(Net.awaitListening(c2, 7201));
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), c1, "sh", "-c",
            "echo " + secret + " | nc -N -n -w 3 " + ip2 + " 7201").ok());
        assertTrue(server.awaitOutput(secret, SEEN), server.toString());
        server.kill();
        Net.assertUdp(c, c3, c1, ip3, 7202);
        Net.assertBulkTcp(b, c2, null, c1, ip2, 5211, 2, 1e6);

        final String seen = wire.output();
        wire.kill();
        assertFalse(seen.contains(secret), "the payload crossed the underlay in clear");
        assertTrue(seen.contains(".51820:"), "no WireGuard on the wire:\n" + tail(seen));
        assertFalse(seen.lines().anyMatch(line -> line.contains(".4789:")), "clear VXLAN on the wire:\n" + tail(seen));

        // every host lists the others with their keys and a handshake
        final JsonNode nodes = a.json("node", "ls", "-o", "json");
        assertEquals(3, nodes.size(), nodes.toString());
        for (final JsonNode node : nodes)
        {
            assertEquals(44, node.path("PublicKey").asText().length(), nodes.toString());
            if (!node.path("Self").asBoolean())
            {
                assertFalse(node.path("LastHandshake").asText().isEmpty(), "no handshake with " + node);
            }
        }
        final String table = a.berthOk("node", "ls").out();
        assertTrue(table.contains("node1 (this host)") && table.contains(OverlayLab.underlayIp(3)), table);
    }

    @Test
    void clearVxlanForAnEncryptedNetworkAndReplayedMessagesAreRefusedAndCounted()
    {
        final String[] pair = encryptedPair("enf", "10.62.0.0/24");
        final String net = pair[0];
        final String c1 = pair[1];
        final String c2 = pair[2];
        final String ip1 = ipOf(a, c1);
        final String ip2 = ipOf(b, c2);
        assertTrue(pingSoon(c1, ip2), "no traffic before the attack");
        final int vni = a.inspectNetwork(net).path("Options").path("com.docker.network.driver.overlay.vxlanid_list")
            .asInt();
        final BerthHost.Spawned listener = b.spawn(c2, "nc", "-u", "-l", "-n", "7203");
        final String stranger = lab.makeStranger();
        final String forge = a.root().resolve("tests/src/test/resources/vxlan-forge.py").toString();
        // clear VXLAN claiming to be host 1 and its container, as the overlay would carry it unencrypted
        for (int i = 0; i < 5; i++)
        {
            final Result sent = BerthHost.inNs(stranger, "/usr/bin/python3", forge, "raw", OverlayLab.underlayIp(1),
                OverlayLab.underlayIp(2), Integer.toString(vni), "udp", Net.macFor(ip2), Net.macFor(ip1), ip1, ip2,
                "7203", "FORGED-clear");
            assertTrue(sent.ok(), sent.toString());
        }
        assertFalse(poll(GRACE, () -> listener.output().contains("FORGED")), "a clear datagram got in: " + listener);
        assertTrue(poll(SEEN, () -> b.json("counters", "-o", "json").path("nodes").path("vxlan-decap").path("drops")
            .path("vxlan_clear_on_encrypted").asLong() >= 5), b.berth("counters").out());

        // a WireGuard message from host 1 to host 2, recorded on the wire and sent again: refused as a replay
        final String replay = a.root().resolve("tests/src/test/resources/wg-replay.py").toString();
        final BerthHost.Spawned recorder = a.spawn(lab.underlay(), "/usr/bin/python3", replay, "record", "br0",
            OverlayLab.underlayIp(2), "51820");
        assertTrue(recorder.awaitOutput("sniffing", Duration.ofSeconds(10)), recorder.toString());
        BerthHost.inNs(c1, "bash", "-c", "echo GENUINE > /dev/udp/" + ip2 + "/7203");
        assertTrue(listener.awaitOutput("GENUINE", SEEN), listener.toString());
        assertTrue(recorder.awaitOutput("recorded", SEEN), recorder.toString());
        final long before = wgDrops(b).path("wg_replay").asLong();
        final String hex = recorder.output().lines().filter(l -> l.startsWith("recorded ")).findFirst().orElseThrow()
            .substring("recorded ".length()).strip();
        for (int i = 0; i < 3; i++)
        {
            final Result sent = BerthHost.inNs(stranger, "/usr/bin/python3", replay, "send", hex);
            assertTrue(sent.ok(), sent.toString());
        }
        assertTrue(poll(SEEN, () -> wgDrops(b).path("wg_replay").asLong() >= before + 3), wgDrops(b).toString());
        assertEquals(1, listener.output().lines().filter(l -> l.contains("GENUINE")).count(),
            "the replayed datagram was delivered again: " + listener);
        // garbage to the WireGuard port is counted, and nothing breaks
        final Result junk = BerthHost.inNs(stranger, "bash", "-c",
            "head -c 200 /dev/urandom > /dev/udp/" + OverlayLab.underlayIp(2) + "/51820");
        assertTrue(junk.ok(), junk.toString());
        assertTrue(pingSoon(c1, ip2));
        listener.kill();
    }

    @Test
    void aHostThatRestartsKeepsItsKeyAndItsFlowsComeBackAfterAHandshakeAlsoWithTwoWorkers()
    {
        final String[] pair = encryptedPair("enr", "10.63.0.0/24");
        final String net = pair[0];
        final String c1 = pair[1];
        final String c2 = pair[2];
        final String ip2 = ipOf(b, c2);
        assertTrue(pingSoon(c1, ip2));
        final String keyBefore = selfKey(b);
        // one TCP connection across both restarts: a tick every 200 ms, c1 to c2
        final BerthHost.Spawned server = b.spawn(c2, "nc", "-l", "-n", "7204");
        assertTrue(Net.awaitListening(c2, 7204));
        final BerthHost.Spawned client = a.spawn(c1, "/usr/bin/python3", "-c", "import socket,time\n" +
            "s=socket.create_connection(('" + ip2 + "',7204))\n" +
            "for i in range(400):\n    s.sendall(b'TICK %d\\n' % i)\n    time.sleep(0.2)\n");
        assertTrue(server.awaitOutput("TICK 3", SEEN), server.toString());
        b.killBerthd();
        b.startBerthd();
        assertEquals(keyBefore, selfKey(b), "the restart changed host 2's key");
        assertTrue(ticksGoOn(server), "the connection stalled after SIGKILL\n" + server + b.logTail());
        b.stopBerthd(); // SIGTERM, and back with two workers: c2's port on a port worker, the tunnels on the owner
        b.startBerthd(List.of("--workers", "2"));
        try
        {
            assertTrue(ticksGoOn(server), "the connection stalled after SIGTERM\n" + server + b.logTail());
            assertTrue(ping(c1, ip2));
            final String c3 = b.run("r3", "--network", net); // a second container, on the port worker
            final String ip3 = ipOf(b, c3);
            assertTrue(pingSoon(c1, ip3), "c1 cannot reach a container on host 2's port worker");
            Net.assertTcpEcho(b, c3, c1, ip3, 7205);
        }
        finally
        {
            client.kill();
            server.kill();
            resetAfterTest();
            b.stopBerthd();
            b.startBerthd();
        }
    }

    @Test
    void aDualStackOverlayCarriesIpv6BetweenHosts()
    {
        final String net = a.prefix() + "ov6";
        a.createNetwork(net, "--driver", "overlay", "-o", "encrypted", "--ipv6", "--subnet", "10.66.0.0/24",
            "--subnet", "fd00:66::/64");
        assertTrue(poll(SEEN, () -> b.berth("network", "ls").out().contains(net)));
        final String c1 = a.run("v1", "--network", net);
        final String c2 = b.run("v2", "--network", net);
        final String ip6 = b.inspect(c2).path("NetworkSettings").path("Networks").path(net).path("GlobalIPv6Address")
            .asText();
        assertTrue(ip6.startsWith("fd00:66::"), b.inspect(c2).toString());
        assertTrue(poll(SEEN, () -> BerthHost.inNs(c1, "ping", "-6", "-c", "1", "-W", "1", ip6).ok()),
            "no IPv6 across hosts\n" + a.berth("counters").out());
        assertTrue(BerthHost.inNs(c2, "ping", "-6", "-c", "1", "-W", "1", "fd00:66::1").ok(), "host 2's gateway");
        final BerthHost.Spawned server = b.spawn(c2, "nc", "-6", "-l", "-n", "7221");
        assertTrue(Net.awaitListening(c2, 7221));
        assertTrue(BerthHost.inNs(Duration.ofSeconds(10), c1, "sh", "-c", "echo six | nc -6 -N -n -w 3 " + ip6 +
            " 7221").ok());
        assertTrue(server.awaitOutput("six", SEEN), server.toString());
        server.kill();
    }

    /**
     * A standard WireGuard peer: wireguard-go in the lab's kernel peer, with a kernel VXLAN device whose datagrams
     * to host 1's VTEP are routed into the WireGuard interface (policy routing by UDP port 4789; WireGuard's own
     * datagrams keep the underlay), listed on the berth network with {@code encrypted.peers}.
     */
    @Test
    void wireguardGoWithAKernelVxlanBehindItIsAPeer() throws Exception
    {
        final byte[] wgPrivate = X25519Keys.generatePrivate();
        final String wgPublic = X25519Keys.encode(X25519Keys.publicOf(wgPrivate));
        final String net = a.prefix() + "wgo";
        a.createNetwork(net, "--driver", "overlay", "--subnet", "10.64.0.0/24", "-o", "vni=4264", "-o", "encrypted",
            "-o", "encrypted.peers=" + wgPublic + "@" + OverlayLab.KERNEL_PEER_IP + ":51820");
        lab.makeKernelPeer(4264, "10.64.0.200/24", OverlayLab.underlayIp(1));
        final String peer = lab.kernelPeer();
        final String kernel = lab.kernelContainer();
        assertTrue(BerthHost.inNs(kernel, "ip", "link", "set", "eth0", "mtu", "1390").ok());
        final String iface = "wg" + a.prefix().substring(a.prefix().length() - 6); // the UAPI socket is machine-wide
        final Path uapi = Path.of("/var/run/wireguard", iface + ".sock");
        final BerthHost.Spawned wireguardGo = a.spawn(peer, "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f",
            iface);
        try
        {
            assertTrue(poll(SEEN, () -> Files.exists(uapi)), "wireguard-go did not start: " + wireguardGo);
            final String hostKey = HexFormat.of().formatHex(X25519Keys.decode(selfKey(a)));
            final String config = "set=1\nprivate_key=" + HexFormat.of().formatHex(wgPrivate) + "\nlisten_port=51820\n" +
                "replace_peers=true\npublic_key=" + hostKey + "\nendpoint=" + OverlayLab.underlayIp(1) + ":51820\n" +
                "replace_allowed_ips=true\nallowed_ip=" + OverlayLab.underlayIp(1) + "/32\n\n";
            final Result set = BerthHost.inNs(peer, "/usr/bin/python3", "-c", "import socket,sys\n" +
                "s=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(sys.argv[2].encode())\n" +
                "print(s.recv(4096).decode())", uapi.toString(), config);
            assertTrue(set.ok() && set.out().contains("errno=0"), set.toString());
            for (final String[] command : List.of(
                new String[] {"ip", "link", "set", iface, "mtu", "1440", "up"},
                new String[] {"sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0"},
                new String[] {"sysctl", "-q", "-w", "net.ipv4.conf." + iface + ".rp_filter=0"},
                // VXLAN to host 1 goes into WireGuard; WireGuard's own datagrams (to 51820) keep the underlay
                new String[] {"ip", "rule", "add", "ipproto", "udp", "dport", "4789", "table", "4789"},
                new String[] {"ip", "route", "add", OverlayLab.underlayIp(1) + "/32", "dev", iface, "table", "4789"}))
            {
                final Result r = BerthHost.inNs(peer, command);
                assertTrue(r.ok(), r.toString());
            }
            final BerthHost.Spawned wire = sniffUnderlay();
            final String c1 = a.run("g1", "--network", net);
            final String ip1 = ipOf(a, c1);
            assertTrue(pingSoon(c1, "10.64.0.200"), "berth -> behind wireguard-go\n" + a.logTail() + wireguardGo);
            assertTrue(pingSoon(kernel, ip1), "behind wireguard-go -> berth");
            Net.assertTcpEcho(a, kernel, c1, "10.64.0.200", 7211);
            Net.assertTcpEcho(a, c1, kernel, ip1, 7212);
            final String seen = wire.output();
            wire.kill();
            assertTrue(seen.contains(OverlayLab.KERNEL_PEER_IP + ".51820 > " + OverlayLab.underlayIp(1) + ".51820"),
                "no WireGuard from wireguard-go:\n" + tail(seen));
            assertFalse(seen.lines().anyMatch(line -> line.contains(".4789:")), "clear VXLAN on the wire:\n" + tail(seen));
            final JsonNode nodes = a.json("node", "ls", "-o", "json");
            assertTrue(nodes.toString().contains(wgPublic) && nodes.toString().contains("\"Listed\":true"),
                nodes.toString());
        }
        finally
        {
            wireguardGo.kill();
            Files.deleteIfExists(uapi);
        }
    }

    /** Whether the server hears five more ticks within 20 s (a handshake, then TCP's retransmission). */
    private static boolean ticksGoOn(final BerthHost.Spawned server)
    {
        final long now = server.output().lines().filter(l -> l.startsWith("TICK")).count();
        return poll(Duration.ofSeconds(20), () -> server.output().lines().filter(l -> l.startsWith("TICK")).count()
            >= now + 5);
    }

    private static String selfKey(final BerthHost host)
    {
        for (final JsonNode node : host.json("node", "ls", "-o", "json"))
        {
            if (node.path("Self").asBoolean())
            {
                return node.path("PublicKey").asText();
            }
        }
        return "";
    }

    private static JsonNode wgDrops(final BerthHost host)
    {
        return host.json("counters", "-o", "json").path("nodes").path("wg-receive").path("drops");
    }

    private static String tail(final String text)
    {
        return text.length() > 3000 ? text.substring(text.length() - 3000) : text;
    }
}
