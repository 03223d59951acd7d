package io.berth.control;

import io.berth.control.dataplane.UplinkSpec;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BerthdOptionsTest
{
    private static void refused(final String expected, final String iface, final String cidr, final String gateway,
        final boolean checkInterface)
    {
        final BerthException ex = assertThrows(BerthException.class,
            () -> StartChecks.uplinkSpec(iface, cidr, gateway, checkInterface));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @Test
    void uplinkOptions()
    {
        assertNull(StartChecks.uplinkSpec(null, null, null, true));
        assertEquals(new UplinkSpec("up0", Ipv4.parse("10.99.0.1", "ip"), 24, 0),
            StartChecks.uplinkSpec("up0", "10.99.0.1/24", null, false));
        assertEquals(new UplinkSpec("up0", Ipv4.parse("10.99.0.1", "ip"), 24, Ipv4.parse("10.99.0.254", "ip")),
            StartChecks.uplinkSpec("up0", "10.99.0.1/24", "10.99.0.254", false));
        refused("need --uplink IFACE", null, "10.99.0.1/24", null, false);
        refused("needs --uplink-ip", "up0", null, null, false);
        refused("--uplink-ip 10.99.0.1 has no prefix length", "up0", "10.99.0.1", null, false);
        refused("--uplink-ip 10.99.0.300/24", "up0", "10.99.0.300/24", null, false);
        refused("prefix length \"33\"", "up0", "10.99.0.1/33", null, false);
        refused("prefix length \"x\"", "up0", "10.99.0.1/x", null, false);
        refused("network address of 10.99.0.0/24", "up0", "10.99.0.0/24", null, false);
        refused("broadcast address", "up0", "10.99.0.255/24", null, false);
        refused("--uplink-gateway 10.98.0.1 is not inside the uplink subnet 10.99.0.0/24", "up0", "10.99.0.1/24",
            "10.98.0.1", false);
        refused("--uplink-gateway gw", "up0", "10.99.0.1/24", "gw", false);
        refused("is the uplink address itself", "up0", "10.99.0.1/24", "10.99.0.1", false);
        refused("--uplink no-such-nic0: no such interface", "no-such-nic0", "10.99.0.1/24", null, true);
        refused("--uplink lo holds the kernel address 127.0.0.1", "lo", "10.99.0.1/24", null, true);
    }

    @Test
    void ipv6UplinkOptions()
    {
        final UplinkSpec v4 = StartChecks.uplinkSpec("up0", "10.99.0.1/24", null, false);
        assertEquals(v4, StartChecks.withIpv6(v4, null, null));
        final UplinkSpec dual = StartChecks.withIpv6(v4, "fd00:99::1/64", "fe80::1");
        assertEquals(0xfd00_0099_0000_0000L, dual.ip6()[0]);
        assertEquals(1, dual.ip6()[1]);
        assertEquals(64, dual.prefix6Length());
        assertEquals(0xfe80_0000_0000_0000L, dual.gateway6()[0]);
        assertEquals(StartChecks.withIpv6(v4, "fd00:99::1/64", "fd00:99::fe").gateway6()[1], 0xfe);
        ipv6Refused("need --uplink IFACE", null, "fd00:99::1/64", null);
        ipv6Refused("--uplink-gateway6 fd00:99::2 needs --uplink-ip6", v4, null, "fd00:99::2");
        ipv6Refused("prefix length of 1-128", v4, "fd00:99::1", null);
        ipv6Refused("prefix length of 1-128", v4, "fd00:99::1/129", null);
        ipv6Refused("--uplink-ip6", v4, "fd00:99::zz/64", null);
        ipv6Refused("is in link-local (fe80::/10)", v4, "fe80::5/64", null);
        ipv6Refused("is in multicast (ff00::/8)", v4, "ff02::5/64", null);
        ipv6Refused("neither link-local (fe80::/10) nor inside the uplink prefix fd00:99::/64", v4, "fd00:99::1/64",
            "fd00:98::1");
        ipv6Refused("is the uplink address itself", v4, "fd00:99::1/64", "fd00:99::1");
    }

    private static void ipv6Refused(final String expected, final UplinkSpec spec, final String cidr, final String gateway)
    {
        final BerthException ex = assertThrows(BerthException.class, () -> StartChecks.withIpv6(spec, cidr, gateway));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    /**
     * Every option is checked before anything is made (Berthd.conclude): a bad one is one line on stderr naming the
     * value, exit status 1, and the state dir holds nothing (not even the lock file).
     */
    @Test
    void aBadOptionIsOneLineAndMakesNothing() throws IOException
    {
        final Path dir = Files.createTempDirectory("berth-options");
        try
        {
            for (final String[] bad : List.of(
                new String[] {"--dns-upstream", "not-an-ip", "--dns-upstream not-an-ip"},
                new String[] {"--workers", "0", "--workers 0"},
                new String[] {"--store-ca", "/nonexistent.pem", "need --store"},
                new String[] {"--log-level", "loud", "loud"},
                new String[] {"--docker-plugin-socket", "/tmp/berth-plugin", "/tmp/berth-plugin"},
                new String[] {"--docker-host", "tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375"},
                new String[] {"--port-type", "dpdk", "--port-type \"dpdk\": expected tap or afxdp"},
                new String[] {"--wg-port", "4789", "--wg-port 4789 is not valid: give a UDP port 1..65535 other than"},
                new String[] {"--wg-port", "70000", "--wg-port 70000"},
                new String[] {"--default-pool6", "fd00:1::/80", "--default-pool6 fd00:1::/80 is not valid"},
                new String[] {"--default-pool6", "fe80::/16", "it is in link-local"}))
            {
                final ByteArrayOutputStream err = new ByteArrayOutputStream();
                final PrintStream saved = System.err;
                final int status;
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                try
                {
                    status = new CommandLine(new Berthd()).execute("--socket", dir.resolve("s.sock").toString(),
                        "--state-dir", dir.resolve("state").toString(), "--dataplane", "noop", bad[0], bad[1]);
                }
                finally
                {
                    System.setErr(saved);
                }
                final String said = err.toString(StandardCharsets.UTF_8);
                assertEquals(1, status, bad[0] + " " + bad[1] + ": " + said);
                assertTrue(said.startsWith("berthd: ") && said.contains(bad[2]) && said.strip().lines().count() == 1,
                    bad[0] + " " + bad[1] + ": " + said);
                assertFalse(Files.exists(dir.resolve("state/berthd.lock")), "made the lock file: " + bad[0]);
            }
        }
        finally
        {
            try (Stream<Path> files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void flowLogOptions()
    {
        assertEquals(Duration.ofHours(24), StartChecks.flowLogRetention(true, true, "24h", true));
        assertEquals(Duration.ofMinutes(90), StartChecks.flowLogRetention(false, false, "90m", true));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StartChecks.flowLogRetention(false, true, "24h", true))
            .getMessage().contains("--flow-log-start needs --flow-log"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StartChecks.flowLogRetention(true, false, "24h", false))
            .getMessage().contains("userspace"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StartChecks.flowLogRetention(true, false, "5x", true))
            .getMessage().contains("--flow-log-retention '5x'"));
    }
}
