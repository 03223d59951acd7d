package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Published ports survive a restart of berthd (SIGTERM, then a crash with SIGKILL) with the same state dir and
 * uplink flags: they answer again from outside (TCP and UDP), via 127.0.0.1 and by hairpin, {@code berth port}
 * is unchanged, and egress works again.
 */
class NatRestartTest extends UplinkTestBase
{
    private static final String UP = Uplink.UPLINK_IP;
    private static final String OUT = Uplink.OUTSIDE_IP;

    @Test
    void publishedPortsComeBackAfterRestartAndCrash()
    {
        final String web = host.run("web", "-p", "12211:8080", "-p", "127.0.0.1:12212:8080", "--",
            "python3", "-u", "-m", "http.server", "8080");
        final String echo = host.run("echo", "-p", "5353:5353/udp", "--", "python3", "-u", "-c", NatTools.UDP_ECHO, "5353");
        final String c = host.run("c");
        NatTools.httpServer(host, outside, OUT, 8000);
        checkAll(web, echo, c);
        final String webPorts = host.berthOk("port", web).out();
        final String echoPorts = host.berthOk("port", echo).out();
        final JsonNode webBindings = host.inspect(web).path("NetworkSettings").path("Ports");
        final String ps = host.berthOk("ps").out();

        host.stopBerthd();
        // nothing answers on the published port while berthd is down (its dataplane is gone)
        assertEquals("000", Net.httpStatus(outside, UP, 12211, 2), "published port with berthd stopped");
        host.startBerthd();
        checkAll(web, echo, c);
        assertEquals(webPorts, host.berthOk("port", web).out(), "berth port after restart");
        assertEquals(echoPorts, host.berthOk("port", echo).out(), "berth port after restart");
        assertEquals(webBindings, host.inspect(web).path("NetworkSettings").path("Ports"), "inspect Ports after restart");
        assertEquals(ps, host.berthOk("ps").out(), "ps after restart");

        host.killBerthd();
        host.startBerthd();
        checkAll(web, echo, c);
        assertEquals(webPorts, host.berthOk("port", web).out(), "berth port after a crash");
        assertEquals(echoPorts, host.berthOk("port", echo).out(), "berth port after a crash");
        stateIsOwnerOnly();
    }

    /** Issue 24: every tracked connection and NAT binding is in the state dir, which only its owner reads. */
    private void stateIsOwnerOnly()
    {
        final Path state = host.stateDir();
        assertTrue(OverlayLab.poll(Duration.ofSeconds(5), () -> Files.exists(state.resolve("conntrack.json"))),
            "no conntrack.json in " + state);
        try
        {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)), "state dir");
            for (final String file : List.of("conntrack.json", "nat-bindings"))
            {
                assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(state.resolve(file))), file);
            }
            try (Stream<Path> all = Files.walk(state))
            {
                final List<String> open = all.filter(p -> !Files.isSymbolicLink(p)).filter(p ->
                {
                    try
                    {
                        return Files.getPosixFilePermissions(p).stream().anyMatch(x -> x.name().startsWith("GROUP") ||
                            x.name().startsWith("OTHERS"));
                    }
                    catch (final IOException e)
                    {
                        return false; // went while walking
                    }
                }).map(Path::toString).toList();
                assertTrue(open.isEmpty(), "readable by others: " + open);
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private void checkAll(String web, String echo, String c)
    {
        Net.assertHttpOk(outside, UP, 12211, host);
        Net.assertHttpOk(host.hostNs(), "127.0.0.1", 12211, host);
        Net.assertHttpOk(host.hostNs(), "127.0.0.1", 12212, host);
        Net.assertHttpOk(c, UP, 12211, host);
        assertEquals("000", Net.httpStatus(outside, UP, 12212, 2), "127.0.0.1-only port from outside");
        Result udp = null;
        for (int i = 0; i < 5; i++)
        {
            udp = NatTools.udpAsk(outside, UP, 5353, "again");
            if (udp.ok())
            {
                break;
            }
        }
        final Result u = udp;
        assertTrue(u.ok() && u.out().contains("echo:again from " + OUT), () -> "UDP published port\n" + u + "\n" +
            host.berth("logs", echo).output() + NatTools.diag(host));
        Net.assertHttpOk(c, OUT, 8000, host);
        assertTrue(inNs(Duration.ofSeconds(10), web, "true").ok());
    }
}
