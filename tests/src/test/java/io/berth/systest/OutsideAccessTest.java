package io.berth.systest;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * scenarios.md §2 and §3 with an outside host (its own namespace, joined by a veth to berthd's uplink): published
 * TCP, UDP and port ranges reached from outside, egress with masquerade, ping out, real addresses inside a network,
 * localhost (userland proxy) and hairpin access, 127.0.0.1-only bindings, --internal without egress, and tcpdump on
 * the outside wire showing no container address.
 */
class OutsideAccessTest extends UplinkTestBase
{
    private static final String UP = Uplink.UPLINK_IP;
    private static final String OUT = Uplink.OUTSIDE_IP;

    @Test
    void outsideReachesPublishedTcpUdpAndRange()
    {
        final String web = host.run("web", "-p", "12211:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        final String echo = host.run("echo", "-p", "5353:5353/udp", "--", "python3", "-u", "-c", NatTools.UDP_ECHO, "5353");
        final String rng = host.run("rng", "-p", "12300-12302:9000-9002", "--", "python3", "-u", "-m", "http.server", "9001");

        // TCP: curl from outside to the uplink address
        Net.assertHttpOk(outside, UP, 12211, host);
        // the container sees the outside client's real address (no SNAT on the way in, as Docker)
        final String webLog = awaitLog(web, "GET /");
        assertTrue(webLog.contains(OUT + " - -"), () -> "web's log must show the outside client " + OUT + "\n" + webLog);

        // UDP: the echo server answers, from the published address and port, and saw the outside's address
        final Result udp = NatTools.udpAsk(outside, UP, 5353, "hello-udp");
        assertTrue(udp.ok(), () -> "UDP echo through -p 5353:5353/udp\n" + udp + "\n" + host.berth("logs", echo).output() +
            NatTools.diag(host));
        assertTrue(udp.out().contains("echo:hello-udp from " + OUT), () -> udp.toString());
        assertTrue(udp.out().contains("reply from " + UP + ":5353"), () -> "reply source must be the published address\n" + udp);

        // a range: the middle port leads to the middle container port
        Net.assertHttpOk(outside, UP, 12301, host);
        assertEquals("000", Net.httpStatus(outside, UP, 12300, 2), "nothing listens on 9000 in the container");

        // berth port lists each mapping
        final String webPorts = host.berthOk("port", web).out();
        assertTrue(webPorts.contains("8080/tcp -> 0.0.0.0:12211"), () -> webPorts);
        final String echoPorts = host.berthOk("port", echo).out();
        assertTrue(echoPorts.contains("5353/udp -> 0.0.0.0:5353"), () -> echoPorts);
        final String rngPorts = host.berthOk("port", rng).out();
        for (int i = 0; i < 3; i++)
        {
            final String line = (9000 + i) + "/tcp -> 0.0.0.0:" + (12300 + i);
            assertTrue(rngPorts.contains(line), () -> "missing " + line + "\n" + rngPorts);
        }
    }

    @Test
    void containerReachesOutsideAsTheUplinkAddressAndPingsOut()
    {
        final BerthHost.Spawned server = NatTools.httpServer(host, outside, OUT, 8000);
        final String c = host.run("c");
        final String cIp = host.inspect(c).path("NetworkSettings").path("Networks").path("bridge").path("IPAddress").asText();
        Net.assertHttpOk(c, OUT, 8000, host);
        assertTrue(server.awaitOutput("GET /", Duration.ofSeconds(5)), () -> server.toString());
        final String log = server.output();
        assertTrue(log.contains(UP + " - -"), () -> "the outside server must see the uplink address " + UP + "\n" + log);
        assertFalse(log.contains(cIp), () -> "the outside server must not see the container's address " + cIp + "\n" + log);

        Net.assertPings(c, OUT, host);
        // berthd's uplink address answers ping from outside
        Net.assertPings(outside, UP, host);
    }

    /** As with Docker, where the host kernel answers a container's ping to the host's address. */
    @Test
    void containerPingsTheUplinkAddress()
    {
        final String c = host.run("c");
        if (!Net.pings(c, UP))
        {
            fail(c + " cannot ping the uplink address " + UP + "\n" +
                BerthHost.inNs(c, "ping", "-n", "-c", "1", "-W", "2", UP) + "\n" + NatTools.diag(host));
        }
    }

    @Test
    void containersOfOneNetworkSeeEachOthersRealAddresses()
    {
        host.createNetwork("lan", "--subnet", "10.41.0.0/24");
        final String srv = host.run("srv", "--network", "lan", "--", "python3", "-u", "-m", "http.server", "8080");
        final String c = host.run("c", "--network", "lan");
        Net.assertHttpOk(c, "10.41.0.2", 8080, host);
        final String log = awaitLog(srv, "GET /");
        assertTrue(log.contains("10.41.0.3 - -"), () -> "srv must see the peer's own address 10.41.0.3\n" + log);
        assertFalse(log.contains("10.41.0.1 - -"), () -> "srv must not see the gateway's address\n" + log);
        assertFalse(log.contains(UP), () -> "srv must not see the uplink address\n" + log);

        // and on the default bridge, with a published port in play
        final String web = host.run("web", "-p", "12211:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        final String webIp = ip(web);
        final String b = host.run("b");
        final String bIp = ip(b);
        Net.assertHttpOk(b, webIp, 8080, host);
        final String webLog = awaitLog(web, "GET /");
        assertTrue(webLog.contains(bIp + " - -"), () -> "web must see b's own address " + bIp + "\n" + webLog);
    }

    @Test
    void localhostReachesPublishedPortAndHairpinWorks()
    {
        final String web = host.run("web", "-p", "12211:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        final String other = host.run("other");
        host.createNetwork("far", "--subnet", "10.43.0.0/24");
        final String far = host.run("far", "--network", "far");

        // the host itself at 127.0.0.1 (userland proxy) and at the uplink address
        Net.assertHttpOk(host.hostNs(), "127.0.0.1", 12211, host);
        // hairpin: the published container itself, another one on its network, one on another network
        Net.assertHttpOk(web, UP, 12211, host);
        Net.assertHttpOk(other, UP, 12211, host);
        Net.assertHttpOk(far, UP, 12211, host);
        // and from outside, all at once
        Net.assertHttpOk(outside, UP, 12211, host);
    }

    @Test
    void theLoopbackProxyConnectsInsideTheContainerAndEveryByteArrives() throws Exception
    {
        final Path dir = Files.createTempDirectory("berth-splice-");
        try
        {
            final byte[] data = new byte[24 << 20];
            new Random(28).nextBytes(data);
            Files.write(dir.resolve("blob"), data);
            final String web = host.run("sweb", "-p", "127.0.0.1:12215:8080", "--", "python3", "-u", "-m",
                "http.server", "8080", "--directory", dir.toString());
            Net.awaitListening(web, 8080);
            final Result got = BerthHost.inNs(host.hostNs(), "sh", "-c", "curl -s -m 20 http://127.0.0.1:12215/blob" +
                " | sha256sum");
            final String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            assertTrue(got.out().startsWith(expected), () -> "24 MB through the splicing proxy: " + got);
            // made in the container's namespace, the proxy's connection comes from the container's own address
            final String webIp = host.inspect(web).path("NetworkSettings").path("Networks").path("bridge")
                .path("IPAddress").asText();
            final String log = host.berthOk("logs", web).output();
            assertTrue(log.contains(webIp + " - - ") && log.contains("GET /blob"), () -> webIp + "\n" + log);
        }
        finally
        {
            Sh.run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void portBoundToLoopbackIsNotReachableFromOutside()
    {
        final String web = host.run("web", "-p", "127.0.0.1:12212:8080", "-p", "12213:8080", "--",
            "python3", "-u", "-m", "http.server", "8080");
        Net.assertHttpOk(host.hostNs(), "127.0.0.1", 12212, host);
        // positive control: the same container through the other mapping from outside
        Net.assertHttpOk(outside, UP, 12213, host);
        assertEquals("000", Net.httpStatus(outside, UP, 12212, 2), "127.0.0.1:12212 must not be reachable from outside");
        Net.assertNoTcp(outside, UP, 12212);
        final String ports = host.berthOk("port", web).out();
        assertTrue(ports.contains("8080/tcp -> 127.0.0.1:12212"), () -> ports);
    }

    @Test
    void portBoundToTheUplinkAddressAndTheSamePortForTheOtherProtocol()
    {
        final String web = host.run("web", "-p", UP + ":12214:8080", "--", "python3", "-u", "-m", "http.server", "8080");
        final String echo = host.run("echo", "-p", "12214:5353/udp", "--", "python3", "-u", "-c", NatTools.UDP_ECHO, "5353");
        Net.assertHttpOk(outside, UP, 12214, host);
        final Result udp = NatTools.udpAsk(outside, UP, 12214, "same-port");
        assertTrue(udp.ok() && udp.out().contains("echo:same-port"), () -> udp + NatTools.diag(host));
        // bound to the uplink address only: no userland proxy on 127.0.0.1 (see control/README.md)
        assertEquals("000", Net.httpStatus(host.hostNs(), "127.0.0.1", 12214, 2), "127.0.0.1:12214 has no proxy");
        final String ports = host.berthOk("port", web).out();
        assertTrue(ports.contains("8080/tcp -> " + UP + ":12214"), () -> ports);
        final String echoPorts = host.berthOk("port", echo).out();
        assertTrue(echoPorts.contains("5353/udp -> 0.0.0.0:12214"), () -> echoPorts);
    }

    @Test
    void internalNetworkHasNoEgressButItsGatewayAnswers()
    {
        NatTools.httpServer(host, outside, OUT, 8000);
        host.createNetwork("intl", "--internal", "--subnet", "10.44.0.0/24");
        final String i = host.run("i", "--network", "intl");
        final String c = host.run("c");
        // positive controls
        Net.assertPings(i, "10.44.0.1", host);
        Net.assertHttpOk(c, OUT, 8000, host);

        Net.assertNoPing(i, OUT);
        Net.assertNoPing(i, UP);
        assertEquals("000", Net.httpStatus(i, OUT, 8000, 2), "an --internal container must not reach the outside");
    }

    @Test
    void outsideWireNeverSeesAContainerAddress()
    {
        final BerthHost.Spawned server = NatTools.httpServer(host, outside, OUT, 8000);
        final String c = host.run("c");
        final String cIp = ip(c);
        final BerthHost.Spawned cap = Net.capture(host, outside, "ip");
        Net.assertHttpOk(c, OUT, 8000, host);
        Net.assertPings(c, OUT, host);
        NatTools.udpAsk(c, OUT, 8001, "nobody-listens"); // UDP out, answered by an ICMP port unreachable
        BerthHost.sleep(500);
        cap.kill();
        final String seen = cap.output();
        assertTrue(seen.contains(UP + "."), () -> "the capture must show the uplink address as source\n" + cap);
        assertTrue(seen.contains(UP + " > " + OUT + ": ICMP echo request"), () -> "ping leaves as " + UP + "\n" + cap);
        assertFalse(seen.contains(cIp), () -> "the container's address " + cIp + " leaked to the outside wire\n" + cap);
        assertFalse(seen.contains("172.17."), () -> "a bridge address leaked to the outside wire\n" + cap);
        assertTrue(server.output().contains("GET /"), () -> server.toString());
    }

    private String ip(String container)
    {
        final var nets = host.inspect(container).path("NetworkSettings").path("Networks");
        final String ip = nets.elements().next().path("IPAddress").asText();
        assertFalse(ip.isEmpty(), () -> "no address for " + container + ": " + nets);
        return ip;
    }

    /** The container's log (berth logs) once it contains TEXT. */
    private String awaitLog(String container, String text)
    {
        String log = "";
        for (int i = 0; i < 50; i++)
        {
            log = host.berthOk("logs", container).out();
            if (log.contains(text))
            {
                return log;
            }
            BerthHost.sleep(100);
        }
        fail(container + "'s log never showed " + text + "\n" + log);
        return log;
    }
}
