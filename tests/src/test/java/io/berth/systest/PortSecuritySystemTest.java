package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13's impersonation attacks, with a raw AF_PACKET socket in the attacker's namespace, on containers A
 * (attacker), V (victim) and T of one network: MAC theft, ARP poisoning, IP spoofing. Each is refused and counted
 * under its own reason, and V's traffic is undisturbed.
 */
class PortSecuritySystemTest extends SystemTestBase
{
    /** argv: what (mac|arp|ip), count, then MACs and IPs as the attack needs them. */
    private static final String ATTACK = String.join("\n",
        "import socket, struct, sys",
        "what, n = sys.argv[1], int(sys.argv[2])",
        "mac = lambda s: bytes.fromhex(s.replace(':', ''))",
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0))",
        "if what == 'mac':   # a frame whose Ethernet source is the victim's MAC",
        "  dst, victim = mac(sys.argv[3]), mac(sys.argv[4])",
        "  f = dst + victim + b'\\x88\\xb5' + bytes(46)",
        "elif what == 'arp': # to T: the victim's IP is at my MAC",
        "  me, victimip, t, tip = mac(sys.argv[3]), socket.inet_aton(sys.argv[4]), mac(sys.argv[5]), socket.inet_aton(sys.argv[6])",
        "  f = t + me + b'\\x08\\x06' + struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 2, me, victimip, t, tip)",
        "else:               # an echo request to T from my MAC with the victim's IP",
        "  me, victimip, t, tip = mac(sys.argv[3]), socket.inet_aton(sys.argv[4]), mac(sys.argv[5]), socket.inet_aton(sys.argv[6])",
        "  icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'spoofed!'",
        "  c = sum(struct.unpack('!%dH' % (len(icmp) // 2), icmp)); c = (c & 0xffff) + (c >> 16); c = ~c & 0xffff",
        "  icmp = icmp[:2] + struct.pack('!H', c) + icmp[4:]",
        "  hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, victimip, tip)",
        "  c = sum(struct.unpack('!10H', hdr)); c = (c & 0xffff) + (c >> 16); c = ~c & 0xffff",
        "  f = t + me + b'\\x08\\x00' + hdr[:10] + struct.pack('!H', c) + hdr[12:] + icmp",
        "for _ in range(n): s.send(f)",
        "print('sent', n)");

    private static final String IP_A = "10.93.0.2";
    private static final String IP_V = "10.93.0.3";
    private static final String IP_T = "10.93.0.4";
    private static final String MAC_A = "02:42:0a:5d:00:02";
    private static final String MAC_V = "02:42:0a:5d:00:03";
    private static final String MAC_T = "02:42:0a:5d:00:04";

    private String a;
    private String v;
    private String t;

    private void threeContainers()
    {
        host.createNetwork("ps", "--subnet", "10.93.0.0/24");
        a = host.run("a", "--network", "ps");
        v = host.run("v", "--network", "ps");
        t = host.run("t", "--network", "ps");
        Net.assertPings(t, IP_V, host);
        Net.assertPings(a, IP_T, host);
    }

    private long drops(final String reason)
    {
        final JsonNode counters = Net.parse(host.berthOk("counters", "-o", "json"));
        return counters.path("drops").path(reason).asLong(-1);
    }

    /** Polls until the counter reached {@code expected} (the worker counts as it processes), at most 5 s. */
    private void awaitDrops(final String reason, final long expected)
    {
        long now = drops(reason);
        for (int i = 0; i < 50 && now < expected; i++)
        {
            BerthHost.sleep(100);
            now = drops(reason);
        }
        assertEquals(expected, now, reason + " counted once per refused frame");
    }

    private BerthHost.Spawned sniff(final String ns, final String filter)
    {
        final BerthHost.Spawned tcpdump = host.spawn(ns, "tcpdump", "-n", "-l", "-i", "eth0", filter);
        assertTrue(tcpdump.awaitOutput("listening on", Duration.ofSeconds(5)), tcpdump::toString);
        return tcpdump;
    }

    private void attack(final String... args)
    {
        final String[] command = new String[args.length + 3];
        command[0] = "python3";
        command[1] = "-c";
        command[2] = ATTACK;
        System.arraycopy(args, 0, command, 3, args.length);
        final Result r = inNs(a, command);
        assertEquals(0, r.exit(), r::toString);
    }

    @Test
    void macTheftIsRefusedAndTheVictimKeepsItsTraffic()
    {
        threeContainers();
        final long before = drops("mac_spoof");
        final BerthHost.Spawned sniff = sniff(a, "icmp and dst host " + IP_V);
        attack("mac", "5", MAC_T, MAC_V);
        awaitDrops("mac_spoof", before + 5);
        final Result pings = inNs(t, "ping", "-c", "3", "-i", "0.2", "-W", "1", IP_V);
        assertTrue(pings.out().contains("3 received"), () -> "T's pings to V all answered by V\n" + pings);
        sniff.kill();
        assertFalse(sniff.output().contains("ICMP echo request"), () -> "A saw T's pings to V:\n" + sniff.output());
    }

    @Test
    void arpPoisoningIsRefusedAndTheNeighbourEntryStays()
    {
        threeContainers();
        Net.assertPings(t, IP_V, host); // T has V in its neighbour table
        final long before = drops("arp_spoof");
        attack("arp", "5", MAC_A, IP_V, MAC_T, IP_T);
        awaitDrops("arp_spoof", before + 5);
        final String neigh = inNs(t, "ip", "neigh", "show", IP_V).out();
        assertFalse(neigh.contains(MAC_A), () -> "T's entry for V now points at A: " + neigh);
        final Result pings = inNs(t, "ping", "-c", "3", "-i", "0.2", "-W", "1", IP_V);
        assertTrue(pings.out().contains("3 received"), pings::toString);
    }

    @Test
    void ipSpoofingInsideTheNetworkIsRefused()
    {
        threeContainers();
        final long before = drops("spoofed_source");
        final BerthHost.Spawned sniff = sniff(v, "icmp and src host " + IP_T);
        attack("ip", "5", MAC_A, IP_V, MAC_T, IP_T);
        awaitDrops("spoofed_source", before + 5);
        sniff.kill();
        assertFalse(sniff.output().contains("echo reply"), () -> "T answered V for A:\n" + sniff.output());
        Net.assertPings(v, IP_T, host);
    }

    /** {@code ns}'s link-local address on eth0, once duplicate address detection is done (at most 10 s). */
    private static String linkLocal(final String ns)
    {
        for (int i = 0; i < 100; i++)
        {
            final String out = inNs(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link").out();
            if (out.contains("fe80::") && !out.contains("tentative"))
            {
                return out.replaceAll("(?s).*inet6 (fe80::[0-9a-f:]+)/.*", "$1");
            }
            BerthHost.sleep(100);
        }
        throw new AssertionError("no link-local address in " + ns + ": " + inNs(ns, "ip", "-6", "addr").out());
    }

    private void ndAttack(final String... args)
    {
        final String[] command = new String[args.length + 2];
        command[0] = "/usr/bin/python3";
        command[1] = host.root().resolve("tests/src/test/resources/nd-attack.py").toString();
        System.arraycopy(args, 0, command, 2, args.length);
        final Result r = inNs(a, command);
        assertEquals(0, r.exit(), r::toString);
    }

    @Test
    void ipv6RouterAdvertisementsNeighbourSpoofingAndForgedSourcesAreRefused()
    {
        threeContainers();
        final String llV = linkLocal(v);
        final String llT = linkLocal(t);
        final String llA = linkLocal(a);
        assertTrue(llA.endsWith(":42:aff:fe5d:2"), "the container's link-local is its MAC's EUI-64: " + llA);
        // link-local IPv6 between containers works, through port security
        final Result v6 = inNs(t, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "1", llV + "%eth0");
        assertTrue(v6.out().contains("2 received"), v6::toString);

        final long raBefore = drops("ra_guard");
        ndAttack("ra", "5");
        awaitDrops("ra_guard", raBefore + 5);
        final String routes = inNs(t, "ip", "-6", "route").out() + inNs(v, "ip", "-6", "addr").out();
        assertFalse(routes.contains("2001:db8:bad") || routes.contains("default"), () -> "an RA got through: " + routes);

        final long ndBefore = drops("nd_spoof");
        ndAttack("na", "5", llV, MAC_T, llT);
        awaitDrops("nd_spoof", ndBefore + 5);
        final String neigh = inNs(t, "ip", "-6", "neigh", "show", llV, "dev", "eth0").out();
        assertFalse(neigh.contains(MAC_A), () -> "T's entry for V now points at A: " + neigh);

        final long spoofBefore = drops("spoofed_source");
        final BerthHost.Spawned sniff = sniff(t, "icmp6 and src host " + llV);
        ndAttack("spoof", "5", llV, MAC_T, llT);
        awaitDrops("spoofed_source", spoofBefore + 5);
        sniff.kill();
        assertFalse(sniff.output().contains("echo request"), () -> "T saw A's forgery from V:\n" + sniff.output());
        final Result after = inNs(t, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "1", llV + "%eth0");
        assertTrue(after.out().contains("2 received"), after::toString);
    }
}
