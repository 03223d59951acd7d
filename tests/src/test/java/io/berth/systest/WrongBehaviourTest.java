package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.List;
import java.util.Map;

/**
 * Issue 13's "wrong behaviour" items, each as a user meets it: reserved ranges refused as networks, the conntrack
 * gauge after refused traffic, the default route after a disconnect, help on every command, exec's exit codes,
 * inspect of several names, a bounded "no such container" and the state-dir messages.
 */
class WrongBehaviourTest extends UplinkTestBase
{
    @Test
    void reservedRangesAndTheUplinkSubnetAreRefusedAsNetworks()
    {
        for (final String subnet : new String[] {"10.99.0.0/24", "10.99.0.128/25", "169.254.123.0/24",
            "224.0.0.0/24", "127.0.0.0/24", "0.0.0.0/24", "240.0.0.0/24", "169.254.0.0/16"})
        {
            final Result r = host.berth("network", "create", "--subnet", subnet, "rsv");
            assertEquals(1, r.exit(), () -> subnet + " must be refused\n" + r);
            assertTrue(r.err().contains("overlaps") && r.err().contains("pick a subnet outside"), r::toString);
        }
        final Result uplink = host.berth("network", "create", "--subnet", "10.99.0.0/16", "rsv");
        assertTrue(uplink.err().contains("uplink"), () -> "the message names the uplink\n" + uplink);
        assertFalse(host.berthOk("network", "ls").out().contains("rsv"), "nothing was created");
        host.createNetwork("fine", "--subnet", "10.98.0.0/24");
    }

    @Test
    void theConntrackGaugeEqualsTheTableAfterRefusedTraffic()
    {
        host.createNetwork("ga", "--subnet", "10.94.0.0/24");
        host.createNetwork("gb", "--subnet", "10.95.0.0/24");
        final String a = host.run("a", "--network", "ga");
        host.run("b", "--network", "gb");
        // isolated networks: routing refuses every one of these; a burst of one connection, many in one batch
        final Result burst = inNs(Duration.ofSeconds(20), a, "python3", "-c", String.join("\n",
            "import socket", "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "for i in range(2000): s.sendto(b'x', ('10.95.0.2', 9))", "print('sent')"));
        assertTrue(burst.out().contains("sent"), burst::toString);
        long refused = -1;
        for (int i = 0; i < 50; i++) // until the worker has drained the TAP queue: the count stops moving
        {
            final long now = Net.parse(host.berthOk("counters", "-o", "json")).path("drops").path("isolated_networks").asLong();
            if (now == refused && now > 0)
            {
                break;
            }
            refused = now;
            BerthHost.sleep(100);
        }
        assertTrue(refused > 100, "the burst was refused by routing: " + refused);
        final JsonNode counters = Net.parse(host.berthOk("counters", "-o", "json"));
        final long gauge = counters.path("conntrack").path("connections").asLong(-99);
        final JsonNode listed = Net.parse(host.berthOk("conntrack", "ls", "-o", "json"));
        assertTrue(gauge >= 0, () -> "the gauge went negative: " + counters.path("conntrack"));
        assertEquals(listed.size(), gauge, () -> "gauge " + gauge + ", listed " + listed);
    }

    @Test
    void disconnectMovesTheDefaultRouteAndPsForgetsTheNetwork()
    {
        host.createNetwork("dflt-one", "--subnet", "10.96.0.0/24");
        host.createNetwork("dflt-two", "--subnet", "10.97.0.0/24");
        final String c = host.run("c", "--network", "dflt-one");
        host.berthOk("network", "connect", "dflt-two", c);
        host.berthOk("network", "disconnect", "dflt-one", c);
        final String routes = inNs(c, "ip", "route", "show", "default").out();
        assertTrue(routes.contains("default via 10.97.0.1 dev eth1"), () -> "default route after disconnect: " + routes);
        Net.assertPings(c, "10.97.0.1", host);
        final String ps = host.berthOk("ps").out();
        final String row = ps.lines().filter(l -> l.contains(c)).findFirst().orElse("");
        assertTrue(row.contains("dflt-two") && !row.contains("dflt-one"), () -> "ps shows the networks it is on:\n" + ps);
        host.berthOk("network", "disconnect", "dflt-two", c);
        final String psAfter = host.berthOk("ps").out();
        final String rowAfter = psAfter.lines().filter(l -> l.contains(c)).findFirst().orElse("");
        assertFalse(rowAfter.contains("dflt-one") || rowAfter.contains("dflt-two"), () -> "on no network now:\n" + psAfter);
    }

    @Test
    void helpWorksOnEveryCommand()
    {
        for (final String[] command : new String[][] {{"--help"}, {"network", "--help"}, {"ps", "--help"},
            {"run", "--help"}, {"network", "create", "--help"}, {"network", "ls", "--help"}, {"counters", "--help"},
            {"conntrack", "--help"}, {"conntrack", "ls", "--help"}, {"exec", "--help"}, {"help", "run"},
            {"help", "network"}, {"port", "-h"}})
        {
            final Result r = host.berth(command);
            assertEquals(0, r.exit(), () -> String.join(" ", command) + " must print help and exit 0\n" + r);
            assertTrue(r.out().contains("Usage:"), r::toString);
        }
    }

    @Test
    void execExitsLikeDockerAndInspectReportsWhatIsMissing()
    {
        final String c = host.run("x");
        assertEquals(127, host.berth("exec", c, "--", "/nonexistent").exit());
        assertEquals(127, host.berth("exec", c, "--", "no-such-command-anywhere").exit());
        assertEquals(126, host.berth("exec", c, "--", "/etc/passwd").exit(), "a file that is not executable");
        assertEquals(3, host.berth("exec", c, "--", "sh", "-c", "exit 3").exit(), "the command's own code");

        final Result both = host.berth("inspect", c, "nosuchcontainer");
        assertEquals(1, both.exit(), both::toString);
        assertTrue(both.out().contains("\"Name\" : \"" + c + "\"") || both.out().contains(c), () -> "what exists is printed\n" + both);
        assertTrue(both.err().contains("nosuchcontainer"), () -> "what does not is reported\n" + both);

        for (int i = 0; i < 12; i++)
        {
            host.run("many" + i);
        }
        final Result missing = host.berth("rm", "-f", "nosuchcontainer");
        assertTrue(missing.err().contains("more)"), () -> "the list of known names is capped\n" + missing);
        assertTrue(missing.err().length() < 600, () -> "a bounded message\n" + missing);
    }

    @Test
    void aStateDirThatIsAFileOrReadOnlyGetsOneSentence() throws Exception
    {
        final Path dir = Files.createTempDirectory("berth-statedir");
        final Path file = dir.resolve("afile");
        Files.writeString(file, "x");
        final Path readOnly = dir.resolve("ro");
        Files.createDirectories(readOnly);
        try
        {
            final Result onFile = Sh.run(Duration.ofSeconds(60), Map.of(), List.of(
                host.root().resolve("bin/berthd").toString(), "--socket", dir.resolve("a.sock").toString(),
                "--state-dir", file.toString(), "--dataplane", "noop"));
            assertEquals(1, onFile.exit(), onFile::toString);
            assertTrue(onFile.err().contains("is a file, not a directory"), onFile::toString);
            assertFalse(onFile.err().contains("\tat "), () -> "no stack trace\n" + onFile);

            assertEquals(0, Sh.run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly.toString()).exit());
            final Result onReadOnly = Sh.run(Duration.ofSeconds(60), Map.of(), List.of(
                host.root().resolve("bin/berthd").toString(), "--socket", dir.resolve("b.sock").toString(),
                "--state-dir", readOnly.resolve("state").toString(), "--dataplane", "noop"));
            assertEquals(1, onReadOnly.exit(), onReadOnly::toString);
            assertTrue(onReadOnly.err().contains("state dir"), onReadOnly::toString);
            assertFalse(onReadOnly.err().contains("\tat "), () -> "no stack trace\n" + onReadOnly);
            assertEquals(1, onReadOnly.err().strip().lines().count(), () -> "one sentence\n" + onReadOnly);
        }
        finally
        {
            Sh.run("umount", readOnly.toString());
            Sh.run("rm", "-rf", dir.toString());
        }
    }
}
