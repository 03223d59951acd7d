package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.List;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPv6 routed, tracked and translated (issue 27, its second part), the kernel as every peer: containers reach the
 * host through berth0's IPv6 twin (fd00:a9fe:7b00::/64) and the outside through the uplink's IPv6 address
 * ({@code --uplink-ip6}), unique-local networks masqueraded to it (NAT66), global ones routed as they are; the
 * outside reaches them only by replies; two networks stay apart; hop limit, unreachable addresses and Packet Too
 * Big answered as a router must. One berthd and one outside namespace for the class (fd00:99::2 on the uplink's
 * prefix, also the IPv6 gateway); each test removes the networks and containers it made.
 */
class Ipv6RoutingTest extends UplinkTestBase
{
    private static final String UPLINK6 = "fd00:99::1";
    private static final String OUTSIDE6 = "fd00:99::2";
    private static final String HOST6 = "fd00:a9fe:7b00::1";

    @Override
    protected List<String> moreBerthdArgs()
    {
        return List.of("--uplink-ip6", UPLINK6 + "/64", "--uplink-gateway6", OUTSIDE6, "--flow-log");
    }

    /** A smaller uplink than the containers' 1500: what leaves by it larger gets Packet Too Big. */
    @Override
    protected int uplinkMtu()
    {
        return 1400;
    }

    private void outsideIpv6()
    {
        if (!inNs(outside, "ip", "-6", "addr", "show", "dev", "eth0").out().contains(OUTSIDE6))
        {
            assertTrue(inNs(outside, "ip", "-6", "addr", "add", OUTSIDE6 + "/64", "dev", "eth0", "nodad").ok());
            // the global network's way back: through berthd's uplink address (the masqueraded ones need none)
            assertTrue(inNs(outside, "ip", "-6", "route", "replace", "2001:db8:64::/64", "via", UPLINK6).ok());
            assertTrue(inNs(outside, "ip", "-6", "route", "replace", "fd00:66::/64", "via", UPLINK6).ok());
        }
    }

    private static boolean ping6(final String ns, final String ip)
    {
        return inNs(Duration.ofSeconds(10), ns, "ping", "-6", "-c", "1", "-W", "1", ip).ok();
    }

    /** The flow log's record of a connection to {@code port}, or null. */
    private JsonNode flowTo(final int port)
    {
        for (final String line : host.berth("flows", "-o", "json").out().split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            try
            {
                final JsonNode record = BerthHost.JSON.readTree(line);
                if (record.path("original").path("dport").asInt() == port && record.path("event").asText().equals("end"))
                {
                    return record;
                }
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
        }
        return null;
    }

    private long drops(final String reason)
    {
        return host.json("counters", "-o", "json").path("drops").path(reason).asLong();
    }

    @Test
    void containersReachTheHostAndNotAnotherNetworkAndTheRouterAnswersWithIcmpv6()
    {
        host.createNetwork("r6a", "--ipv6", "--subnet", "10.61.0.0/24", "--subnet", "fd00:61::/64");
        host.createNetwork("r6b", "--ipv6", "--subnet", "10.62.0.0/24", "--subnet", "fd00:62::/64", "-o", "mtu=1400");
        final String c1 = host.run("h1", "--network", "r6a");
        final String c2 = host.run("h2", "--network", "r6b");
        // container -> host through berth0, and the host -> container
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, HOST6)),
            () -> "c1 cannot ping the host over IPv6\n" + host.berth("counters").out() + host.logTail());
        assertTrue(ping6(host.hostNs(), "fd00:61::2"), "the host cannot ping c1 over IPv6");
        final BerthHost.Spawned server = host.spawn(c1, "nc", "-6", "-l", "-n", "7611");
        assertTrue(Net.awaitListening(c1, 7611));
        assertTrue(inNs(Duration.ofSeconds(10), host.hostNs(), "sh", "-c",
            "echo host-to-c1 | nc -6 -N -n -w 3 fd00:61::2 7611").ok());
        assertTrue(server.awaitOutput("host-to-c1", Duration.ofSeconds(5)), server.toString());
        server.kill();
        // another network stays apart, as with IPv4, and the refusal is counted
        final long isolated = drops("isolated_networks");
        assertFalse(ping6(c1, "fd00:62::2"), "IPv6 crossed from one bridge network into another");
        assertTrue(drops("isolated_networks") > isolated);
        // hop limit 1: time exceeded from the gateway; a prefix address no container has: address unreachable
        final Result hop = inNs(Duration.ofSeconds(10), c1, "ping", "-6", "-c", "1", "-W", "2", "-t", "1", HOST6);
        assertTrue(hop.out().contains("Time exceeded"), hop.toString());
        final Result nobody = inNs(Duration.ofSeconds(10), host.hostNs(), "ping", "-6", "-c", "1", "-W", "2",
            "fd00:61::99");
        assertTrue(nobody.out().contains("Address unreachable"), nobody.toString());
        // larger than the egress MTU (r6b's containers have 1400): Packet Too Big, and the host's kernel learns it
        final Result big = inNs(Duration.ofSeconds(10), host.hostNs(), "ping", "-6", "-c", "1", "-W", "2", "-s",
            "1430", "-M", "do", "fd00:62::2");
        assertTrue(big.out().toLowerCase().contains("mtu") || !big.ok(), big.toString());
        assertTrue(OverlayLab.poll(Duration.ofSeconds(5), () -> inNs(host.hostNs(), "ip", "-6", "route", "get",
            "fd00:62::2").out().contains("mtu 1400")), () -> "no path MTU learned\n" +
            inNs(host.hostNs(), "ip", "-6", "route", "get", "fd00:62::2") + host.berth("counters").out());
        assertTrue(ping6(host.hostNs(), "fd00:62::2"), "small packets still pass");
        assertTrue(inNs(Duration.ofSeconds(10), c2, "ping", "-6", "-c", "1", "-W", "2", "-s", "1300", HOST6).ok());
        // what would break routing is refused, naming what would do
        refused("overlaps fd00:a9fe:7b00::/64, berth0's", "--ipv6", "--subnet", "10.65.0.0/24", "--subnet",
            "fd00:a9fe:7b00::/64");
        refused("invalid value \"maybe\" for option ipv6.masquerade", "--ipv6", "--subnet", "10.65.0.0/24", "-o",
            "ipv6.masquerade=maybe");
        refused("option ipv6.masquerade=false is for a dual-stack network", "--subnet", "10.65.0.0/24", "-o",
            "ipv6.masquerade=false");
        host.resetAfterTest();
    }

    private void refused(final String expected, final String... options)
    {
        final String[] args = new String[options.length + 3];
        args[0] = "network";
        args[1] = "create";
        System.arraycopy(options, 0, args, 2, options.length);
        args[args.length - 1] = host.name("bad6");
        final Result result = host.berth(args);
        assertFalse(result.ok(), result.toString());
        assertTrue(result.err().contains(expected), result.toString());
        assertFalse(host.berthOk("network", "ls").out().contains(host.name("bad6")), "a refused network was made");
    }

    @Test
    void uniqueLocalNetworksLeaveMasqueradedGlobalOnesRoutedAndTheOutsideGetsOnlyReplies()
    {
        outsideIpv6();
        host.createNetwork("m6", "--ipv6", "--subnet", "10.63.0.0/24", "--subnet", "fd00:63::/64");
        host.createNetwork("g6", "--ipv6", "--subnet", "10.64.0.0/24", "--subnet", "2001:db8:64::/64");
        final String masqueraded = host.run("m1", "--network", "m6");
        final String routed = host.run("g1", "--network", "g6");
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(masqueraded, OUTSIDE6)),
            () -> "no IPv6 to the outside\n" + host.berth("counters").out() + host.logTail());
        // larger than the uplink's 1400: Packet Too Big from the gateway, and the container's kernel learns it
        inNs(Duration.ofSeconds(10), masqueraded, "ping", "-6", "-c", "1", "-W", "2", "-s", "1420", "-M", "do", OUTSIDE6);
        assertTrue(OverlayLab.poll(Duration.ofSeconds(5), () -> inNs(masqueraded, "ip", "-6", "route", "get", OUTSIDE6)
            .out().contains("mtu 1400")), () -> "the container did not learn the path MTU\n" +
            inNs(masqueraded, "ip", "-6", "route", "get", OUTSIDE6) + host.berth("counters").out());
        assertTrue(inNs(Duration.ofSeconds(10), masqueraded, "ping", "-6", "-c", "1", "-W", "2", "-s", "1420",
            OUTSIDE6).ok(), "after Packet Too Big the kernel fragments for the path and the ping gets through");
        // NAT66: the outside sees the uplink's address; conntrack shows the IPv6 tuples and the translation
        final BerthHost.Spawned server = host.spawn(outside, "nc", "-6", "-l", "-n", "7612");
        assertTrue(Net.awaitListening(outside, 7612));
        final BerthHost.Spawned client = host.spawn(masqueraded, "sh", "-c",
            "echo masqueraded | nc -6 -n " + OUTSIDE6 + " 7612; sleep 30");
        assertTrue(server.awaitOutput("masqueraded", Duration.ofSeconds(10)), server.toString());
        final String peers = inNs(outside, "ss", "-Htn", "state", "established", "sport = :7612").out();
        assertTrue(peers.contains("[" + UPLINK6 + "]"), () -> "the outside's peer is not the uplink address\n" + peers);
        final JsonNode connections = host.json("conntrack", "ls", "-o", "json");
        JsonNode entry = null;
        for (final JsonNode c : connections)
        {
            if (c.path("original").path("dport").asInt() == 7612)
            {
                entry = c;
            }
        }
        assertTrue(entry != null, connections::toString);
        assertEquals("fd00:63::2", entry.path("original").path("src").asText(), entry.toString());
        assertEquals(OUTSIDE6, entry.path("original").path("dst").asText(), entry.toString());
        assertEquals(UPLINK6, entry.path("reply").path("dst").asText(), entry.toString());
        assertTrue(entry.path("flags").toString().contains("SNAT"), entry.toString());
        client.kill();
        server.kill();
        // berth trace follows an IPv6 packet too: tracked, routed, masqueraded, out by the uplink
        final JsonNode traced = host.json("trace", "--from", masqueraded, "--to", "[" + OUTSIDE6 + "]:7699", "-o",
            "json").path("packets").path(0);
        final String steps = traced.path("steps").toString();
        assertTrue(traced.path("packetSeen").asText().startsWith("tcp [fd00:63::2]:"), traced.toString());
        assertTrue(steps.contains("route6") && steps.contains("nat66-out") && steps.contains(UPLINK6)
            && traced.path("outcome").asText().equals("tx"), traced.toString());
        assertFalse(host.json("conntrack", "ls", "-o", "json").toString().contains("\"dport\":7699"),
            "the synthetic packet's connection is forgotten after the trace");
        // --next follows real IPv6 packets too: a ping the container sends while the trace waits
        final CompletableFuture<Result> following = CompletableFuture.supplyAsync(() -> host.berth(
            Duration.ofSeconds(30), "trace", "--from", masqueraded, "--to", OUTSIDE6 + "/icmp", "--next", "1",
            "--timeout", "20", "-o", "json"));
        final long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        while (!following.isDone() && System.nanoTime() < deadline)
        {
            inNs(masqueraded, "ping", "-6", "-c", "1", "-W", "1", OUTSIDE6);
        }
        final Result followed = following.join();
        assertTrue(followed.ok() && followed.out().contains("icmp6 fd00:63::2 > " + OUTSIDE6 + " echo request")
            && followed.out().contains("nat66-out"), followed.toString());
        // the flow log records the IPv6 connection as it records IPv4 ones: addresses before and after NAT66
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> flowTo(7612) != null),
            () -> "no IPv6 flow record\n" + host.berth("flows", "-o", "json").out());
        final JsonNode flow = flowTo(7612);
        assertEquals("fd00:63::2", flow.path("original").path("src").asText(), flow.toString());
        assertEquals(UPLINK6, flow.path("translated").path("src").asText(), flow.toString());
        assertEquals(OUTSIDE6, flow.path("translated").path("dst").asText(), flow.toString());
        assertEquals("snat", flow.path("nat").asText(), flow.toString());
        assertEquals(masqueraded, flow.path("container").asText(), flow.toString());
        // a global network is routed as it is: the outside sees the container's own address
        final BerthHost.Spawned direct = host.spawn(outside, "nc", "-6", "-l", "-n", "7613");
        assertTrue(Net.awaitListening(outside, 7613));
        final BerthHost.Spawned routedClient = host.spawn(routed, "sh", "-c",
            "echo routed | nc -6 -n " + OUTSIDE6 + " 7613; sleep 30");
        assertTrue(direct.awaitOutput("routed", Duration.ofSeconds(10)), direct.toString() + host.berth("counters").out());
        final String routedPeers = inNs(outside, "ss", "-Htn", "state", "established", "sport = :7613").out();
        assertTrue(routedPeers.contains("[2001:db8:64::2]"), () -> "not routed as it is\n" + routedPeers);
        routedClient.kill();
        direct.kill();
        // a unique-local network told not to masquerade (ipv6.masquerade=false) is routed as it is too
        host.createNetwork("n6", "--ipv6", "--subnet", "10.66.0.0/24", "--subnet", "fd00:66::/64", "-o",
            "ipv6.masquerade=false");
        final String unmasqueraded = host.run("n1", "--network", "n6");
        final BerthHost.Spawned plain = host.spawn(outside, "nc", "-6", "-l", "-n", "7614");
        assertTrue(Net.awaitListening(outside, 7614));
        final BerthHost.Spawned plainClient = host.spawn(unmasqueraded, "sh", "-c",
            "echo plain | nc -6 -n " + OUTSIDE6 + " 7614; sleep 30");
        assertTrue(plain.awaitOutput("plain", Duration.ofSeconds(10)), plain.toString());
        final String plainPeers = inNs(outside, "ss", "-Htn", "state", "established", "sport = :7614").out();
        assertTrue(plainPeers.contains("[fd00:66::2]"), () -> "ipv6.masquerade=false was masqueraded\n" + plainPeers);
        plainClient.kill();
        plain.kill();
        // the outside cannot open anything towards a container: only replies enter
        final long isolated = drops("isolated_networks");
        assertFalse(ping6(outside, "2001:db8:64::2"), "the outside reached a container unasked");
        assertTrue(drops("isolated_networks") > isolated);
        host.resetAfterTest();
    }
    private static final String UDP_ECHO6 = "import socket\n"
        + "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
        + "s.bind(('::', 7615))\n"
        + "print('ready', flush=True)\n"
        + "while True:\n"
        + "    data, peer = s.recvfrom(65535)\n"
        + "    print('got', len(data), peer[0], flush=True)\n"
        + "    s.sendto(data[::-1], peer)\n";

    private static final String UDP_ASK6 = "import socket, sys\n"
        + "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
        + "s.settimeout(2)\n"
        + "data = bytes(i % 251 for i in range(int(sys.argv[2])))\n"
        + "for attempt in range(5):\n"
        + "    s.sendto(data, (sys.argv[1], 7615))\n"
        + "    try:\n"
        + "        reply = s.recv(65535)\n"
        + "        print('reply', len(reply), reply == data[::-1])\n"
        + "        break\n"
        + "    except socket.timeout:\n"
        + "        pass\n";

    @Test
    void anIpv6OnlyNetworkGivesContainersNoIpv4AndCarriesEverythingOverIpv6()
    {
        outsideIpv6();
        host.createNetwork("o6", "--ipv6", "--ipv4=false", "--subnet", "fd00:70::/64");
        final JsonNode net = host.inspectNetwork("o6");
        assertFalse(net.path("EnableIPv4").asBoolean(true), net.toString());
        assertEquals(1, net.path("IPAM").path("Config").size(), net.toString());
        assertEquals("fd00:70::/64", net.path("IPAM").path("Config").path(0).path("Subnet").asText());
        final String c1 = host.run("o1", "--network", "o6", "-p", "[::]:8090:80");
        final String c2 = host.run("o2", "--network", "o6");
        // no IPv4 address nor route in the container; its IPv6 address and route as on a dual-stack network
        assertFalse(inNs(c1, "ip", "-4", "addr", "show", "dev", "eth0").out().contains("inet "),
            inNs(c1, "ip", "-4", "addr").out());
        assertTrue(inNs(c1, "ip", "-4", "route", "show").out().isBlank());
        final JsonNode settings = host.inspect(c2).path("NetworkSettings").path("Networks").path("o6");
        assertEquals("", settings.path("IPAddress").asText(), settings.toString());
        assertEquals("fd00:70::3", settings.path("GlobalIPv6Address").asText(), settings.toString());
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, "fd00:70::3")));
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, OUTSIDE6)), "no way out over IPv6");
        assertTrue(ping6(host.hostNs(), "fd00:70::2"), "the host does not reach it");
        // names: AAAA only
        assertEquals("fd00:70::3", inNs(c1, "dig", "+short", "+time=2", "+tries=1", "AAAA", c2, "@127.0.0.11").out()
            .strip());
        assertEquals("", inNs(c1, "dig", "+short", "+time=2", "+tries=1", "A", c2, "@127.0.0.11").out().strip());
        // a port published on [::] answers on the uplink's IPv6 address
        NatTools.httpServer(host, c1, "::", 80);
        Net.assertHttpOk(outside, "[" + UPLINK6 + "]", 8090, host);
        // what an IPv6-only network cannot do is refused, naming why
        final Result loopback = host.berth("run", "-d", "--name", host.name("o3"), "--network", "o6", "-p",
            "127.0.0.1:8091:80");
        assertTrue(!loopback.ok() && loopback.err().contains("IPv6-only"), loopback.toString());
        final Result noFamily = host.berth("network", "create", "--ipv4=false", host.name("o7"));
        assertTrue(!noFamily.ok() && noFamily.err().contains("--ipv4=false needs --ipv6"), noFamily.toString());
        final Result withV4 = host.berth("network", "create", "--ipv6", "--ipv4=false", "--subnet", "10.70.0.0/24",
            host.name("o8"));
        assertTrue(!withV4.ok() && withV4.err().contains("takes no IPv4 --subnet"), withV4.toString());
        // a restart keeps it IPv6-only
        host.restartBerthd();
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> ping6(c1, "fd00:70::3")));
        assertFalse(inNs(c2, "ip", "-4", "addr", "show", "dev", "eth0").out().contains("inet "));
        host.resetAfterTest();
    }

    @Test
    void aConnectionThroughNat66SurvivesRestartsOfBerthd()
    {
        outsideIpv6();
        host.createNetwork("k6", "--ipv6", "--subnet", "10.69.0.0/24", "--subnet", "fd00:69::/64");
        final String client = host.run("k1", "--network", "k6");
        final BerthHost.Spawned server = host.spawn(outside, "nc", "-6", "-l", "-n", "7616");
        assertTrue(Net.awaitListening(outside, 7616));
        final BerthHost.Spawned lines = host.spawn(client, "sh", "-c",
            "for i in $(seq 1 300); do echo line$i; sleep 0.05; done | nc -6 -N -n " + OUTSIDE6 + " 7616");
        assertTrue(server.awaitOutput("line20", Duration.ofSeconds(10)), server.toString());
        host.restartBerthd(); // SIGTERM: the tables, IPv6 connections and their NAT66 included, are saved and restored
        assertTrue(server.awaitOutput("line150", Duration.ofSeconds(30)),
            () -> "the connection did not survive the restart\n" + server + host.berth("counters").out());
        host.killBerthd(); // SIGKILL: what the last second's save held comes back
        host.startBerthd();
        assertTrue(server.awaitOutput("line300", Duration.ofSeconds(40)),
            () -> "the connection did not survive SIGKILL\n" + server + host.berth("counters").out());
        lines.kill();
        server.kill();
        // a SIGKILL that leaves no saved table at all: the container's next segment picks its connection up
        // again mid-stream, the masquerade keeping its port (the container's own, free), and it goes on
        final BerthHost.Spawned server2 = host.spawn(outside, "nc", "-6", "-l", "-n", "7617");
        assertTrue(Net.awaitListening(outside, 7617));
        final BerthHost.Spawned lines2 = host.spawn(client, "sh", "-c",
            "for i in $(seq 1 200); do echo more$i; sleep 0.05; done | nc -6 -N -n " + OUTSIDE6 + " 7617");
        assertTrue(server2.awaitOutput("more10", Duration.ofSeconds(10)), server2.toString());
        host.killBerthd();
        try
        {
            Files.deleteIfExists(host.stateDir().resolve("conntrack.json"));
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
        host.startBerthd();
        assertTrue(server2.awaitOutput("more200", Duration.ofSeconds(40)),
            () -> "the connection was not picked up mid-stream\n" + server2 + host.berth("counters").out());
        lines2.kill();
        server2.kill();
        host.resetAfterTest();
    }

    @Test
    void fragmentedUdpCrossesNat66WholeBothWays()
    {
        outsideIpv6();
        host.createNetwork("f6", "--ipv6", "--subnet", "10.68.0.0/24", "--subnet", "fd00:68::/64");
        final String sender = host.run("f1", "--network", "f6");
        final BerthHost.Spawned echo = host.spawn(outside, "python3", "-u", "-c", UDP_ECHO6);
        assertTrue(echo.awaitOutput("ready", Duration.ofSeconds(10)), echo.toString());
        final long reassembledBefore = host.json("counters", "-o", "json").path("fragments").path("reassembled")
            .asLong();
        // 4000 bytes: the container's kernel sends three fragments, the outside's answers in three
        final Result asked = inNs(Duration.ofSeconds(20), sender, "python3", "-c", UDP_ASK6, OUTSIDE6, "4000");
        assertTrue(asked.out().contains("reply 4000 True"), () -> asked + "\n" + echo + host.berth("counters").out());
        assertTrue(echo.awaitOutput("got 4000 " + UPLINK6, Duration.ofSeconds(5)),
            () -> "the outside did not get the whole datagram from the uplink's address\n" + echo);
        assertTrue(host.json("counters", "-o", "json").path("fragments").path("reassembled").asLong()
            >= reassembledBefore + 2, () -> host.berth("counters").out());
        echo.kill();
        host.resetAfterTest();
    }

    @Test
    void portsPublishedOverIpv6AnswerFromOutsideFromTheHostsLoopbackAndByHairpin()
    {
        outsideIpv6();
        host.createNetwork("p6", "--ipv6", "--subnet", "10.67.0.0/24", "--subnet", "fd00:67::/64");
        final String web = host.run("w1", "--network", "p6", "-p", "8080:80", "-p", "[::1]:8081:80", "-p",
            "[" + UPLINK6 + "]:8082:80");
        NatTools.httpServer(host, web, "::", 80); // one dual-stack listener
        // 0.0.0.0 covers the uplink's IPv6 address too, as Docker's -p covers [::]; and the address named
        Net.assertHttpOk(outside, "[" + UPLINK6 + "]", 8080, host);
        Net.assertHttpOk(outside, "[" + UPLINK6 + "]", 8082, host);
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 8080, host);
        // this host's [::1], through the loopback proxy
        Net.assertHttpOk(host.hostNs(), "[::1]", 8081, host);
        assertFalse("200".equals(Net.httpStatus(outside, "[" + UPLINK6 + "]", 8081, 2)), "[::1] is this host's only");
        // hairpin: a container of the same network reaches it by the uplink's IPv6 address
        final String client = host.run("w2", "--network", "p6");
        Net.assertHttpOk(client, "[" + UPLINK6 + "]", 8080, host);
        JsonNode published = null;
        for (final JsonNode c : host.json("conntrack", "ls", "-o", "json"))
        {
            if (c.path("original").path("dport").asInt() == 8082 && c.path("original").path("src").asText()
                .equals(OUTSIDE6))
            {
                published = c;
            }
        }
        assertTrue(published != null && published.path("reply").path("src").asText().equals("fd00:67::2")
            && published.path("flags").toString().contains("DNAT"), () -> String.valueOf(host.json("conntrack",
            "ls", "-o", "json")));
        // berth exposure traces the IPv6 side too: from outside to the uplink's IPv6 address, delivered to web
        final JsonNode exposure = host.json("exposure", "-o", "json");
        boolean traced6 = false;
        for (final JsonNode p : exposure.path("published"))
        {
            for (final JsonNode from : p.path("from"))
            {
                traced6 |= p.path("hostPort").asInt() == 8080 && from.path("from").asText().equals("outside (IPv6)")
                    && from.path("target").asText().equals("[" + UPLINK6 + "]:8080") && from.path("reachable").asBoolean();
            }
        }
        assertTrue(traced6, exposure::toString);
        // what cannot be published is refused, naming what can
        final Result foreign = host.berth("run", "-d", "--name", host.name("w3"), "--network", "p6", "-p",
            "[fd00:5::9]:8083:80");
        assertTrue(!foreign.ok() && foreign.err().contains("not one of berthd's") && foreign.err().contains("[::1]"),
            foreign.toString());
        final Result taken = host.berth("run", "-d", "--name", host.name("w4"), "--network", "p6", "-p",
            "[::]:8080:80");
        assertTrue(!taken.ok() && taken.err().contains("already published"), taken.toString());
        // gone with the container
        host.berthOk("rm", "-f", web);
        assertFalse("200".equals(Net.httpStatus(outside, "[" + UPLINK6 + "]", 8080, 2)));
        host.resetAfterTest();
    }
}
