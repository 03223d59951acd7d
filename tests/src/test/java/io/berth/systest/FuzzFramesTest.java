package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The end-to-end fuzz run: about 10^5 random and mutated frames written with raw sockets into a container's eth0
 * (its TAP) and into the uplink from the outside namespace, while another container pings across the network
 * and moves a TCP stream through it. berthd must stay up, no graph node may throw, the drops must be counted,
 * and ping and TCP must keep working during and after. (The in-memory harness pushes 10^7; see FuzzRun.)
 */
class FuzzFramesTest extends UplinkTestBase
{
    private static final int FRAMES_PER_SIDE = 50_000;

    /**
     * argv: count, seed, own MAC, own IP, peer MAC, peer IP. Seeds of every kind berth parses (ARP, IPv4 with
     * ICMP, UDP, TCP, options, fragments, IPv6, VLAN, junk ethertypes), then bit flips, truncations, lengths that
     * lie, option soup or plain noise. Source MACs are the sender's own or random, never another host's: MAC
     * theft is port security's business, not this test's.
     */
    private static final String FUZZ = String.join("\n",
        "import os, random, socket, struct, sys",
        "n, seed = int(sys.argv[1]), int(sys.argv[2])",
        "me = bytes.fromhex(sys.argv[3].replace(':', '')); myip = socket.inet_aton(sys.argv[4])",
        "peer = bytes.fromhex(sys.argv[5].replace(':', '')); peerip = socket.inet_aton(sys.argv[6])",
        "r = random.Random(seed)",
        "bc = b'\\xff' * 6",
        "def ip4(proto, payload, dst=peerip, ihl=5, frag=0, ttl=64):",
        "  opts = bytes(r.getrandbits(8) for _ in range((ihl - 5) * 4))",
        "  return struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, 20 + len(opts) + len(payload), r.getrandbits(16), frag, ttl, proto, 0, myip, dst) + opts + payload",
        "def eth(dst, etype, payload): return dst + me + struct.pack('!H', etype) + payload",
        "tcp = lambda flags: struct.pack('!HHIIBBHHH', r.getrandbits(16), r.choice([80, 8080, 12211, 22]), r.getrandbits(32), 0, 0x50, flags, 65535, 0, 0)",
        "udp = lambda: struct.pack('!HHHH', r.getrandbits(16), r.choice([53, 12212, 9999]), 16, 0) + b'fuzzfuzz'",
        "icmp = lambda t: struct.pack('!BBHHH', t, 0, 0, r.getrandbits(16), 1) + b'x' * 16",
        "arp = lambda op, tip: struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, me, myip, b'\\0' * 6, tip)",
        "seeds = [",
        "  lambda: eth(bc, 0x0806, arp(1, peerip)), lambda: eth(peer, 0x0806, arp(2, peerip)),",
        "  lambda: eth(peer, 0x0800, ip4(1, icmp(8))), lambda: eth(peer, 0x0800, ip4(1, icmp(3) + ip4(17, udp()))),",
        "  lambda: eth(peer, 0x0800, ip4(6, tcp(0x02))), lambda: eth(peer, 0x0800, ip4(6, tcp(0x10))),",
        "  lambda: eth(peer, 0x0800, ip4(17, udp())), lambda: eth(bc, 0x0800, ip4(17, udp(), dst=b'\\xff' * 4)),",
        "  lambda: eth(peer, 0x0800, ip4(17, udp(), ihl=r.randint(6, 15))),",
        "  lambda: eth(peer, 0x0800, ip4(17, udp(), frag=r.choice([0x2000, 0x0010, 0x2100]))),",
        "  lambda: eth(peer, 0x0800, ip4(1, icmp(8), ttl=r.randint(0, 1))),",
        "  lambda: eth(peer, 0x86dd, bytes(40)), lambda: eth(peer, 0x8100, struct.pack('!HH', 5, 0x0800) + ip4(1, icmp(8))),",
        "  lambda: eth(peer, r.getrandbits(16), bytes(r.getrandbits(8) for _ in range(r.randint(0, 80)))),",
        "]",
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
        "s.bind(('eth0', 0))",
        "sent = 0",
        "for i in range(n):",
        "  f = bytearray(r.choice(seeds)())",
        "  k = r.randrange(8)",
        "  if k in (1, 2):",
        "    for _ in range(r.randint(1, 8)):",
        "      b = r.randrange(len(f) * 8)",
        "      if not 48 <= b < 96: f[b >> 3] ^= 1 << (b & 7)  # the source MAC is set below",
        "  elif k == 3: f = f[:max(14, r.randrange(len(f) + 1))]",
        "  elif k == 4 and len(f) > 18: f[16:18] = struct.pack('!H', r.getrandbits(16))  # IPv4 total length lies",
        "  elif k == 5 and len(f) > 14: f[14] = 0x40 | r.randrange(16)  # IHL 0..15",
        "  elif k == 6: f = f[:14] + bytes(r.getrandbits(8) for _ in range(r.randint(0, 120)))",
        "  if len(f) < 14: f = f + bytes(14 - len(f))",
        "  f[6:12] = me if r.random() < 0.9 else bytes([2]) + bytes(r.getrandbits(8) for _ in range(5))",
        "  try:",
        "    s.send(bytes(f)); sent += 1",
        "  except OSError:",
        "    pass",
        "print('sent', sent)");

    @Test
    void pingAndTcpKeepWorkingWhileFramesAreFuzzedIntoATapAndTheUplink()
    {
        host.createNetwork("fz", "--subnet", "10.92.0.0/24");
        final String a = host.run("a", "--network", "fz");
        final String b = host.run("b", "--network", "fz");
        Net.assertPings(b, "10.92.0.2", host);
        Net.assertPings(outside, Uplink.UPLINK_IP, host);
        final JsonNode before = countersJson();

        final BerthHost.Spawned ping = host.spawn(b, "ping", "-n", "-i", "0.02", "-c", "250", "10.92.0.2");
        final BerthHost.Spawned sink = host.spawn(a, "sh", "-c", "nc -l -n 7301 | wc -c");
        final BerthHost.Spawned stream = host.spawn(b, "sh", "-c",
            "sleep 0.5; head -c 4000000 /dev/urandom | nc -N -n -w 10 10.92.0.2 7301; echo stream-done");
        final String uplinkMac = inNs(outside, "ip", "neigh", "show", Uplink.UPLINK_IP).out().replaceAll(
            "(?s).*lladdr ([0-9a-f:]{17}).*", "$1");
        final BerthHost.Spawned fromContainer = host.spawn(a, "python3", "-c", FUZZ, String.valueOf(FRAMES_PER_SIDE),
            "1", "02:42:0a:5c:00:02", "10.92.0.2", "02:42:0a:5c:00:03", "10.92.0.3");
        final BerthHost.Spawned fromOutside = host.spawn(outside, "python3", "-c", FUZZ,
            String.valueOf(FRAMES_PER_SIDE), "2", macOf(outside), Uplink.OUTSIDE_IP,
            uplinkMac.matches("[0-9a-f:]{17}") ? uplinkMac : "ff:ff:ff:ff:ff:ff", Uplink.UPLINK_IP);

        for (final BerthHost.Spawned fuzz : new BerthHost.Spawned[] {fromContainer, fromOutside})
        {
            if (!fuzz.awaitOutput("sent ", Duration.ofSeconds(120)))
            {
                fail("the fuzzer did not finish: " + fuzz + "\n" + host.logTail());
            }
        }
        final long sent = sentCount(fromContainer) + sentCount(fromOutside);
        assertTrue(sent >= 95_000, "about 10^5 frames written: " + sent);
        assertTrue(ping.awaitOutput("packets transmitted", Duration.ofSeconds(30)), ping::toString);
        assertTrue(stream.awaitOutput("stream-done", Duration.ofSeconds(60)), stream::toString);
        assertTrue(sink.awaitOutput("4000000", Duration.ofSeconds(10)),
            () -> "the TCP stream arrived whole while the fuzz ran: " + sink + "\n" + stream);
        final Matcher loss = Pattern.compile("(\\d+) received").matcher(ping.output());
        assertTrue(loss.find() && Integer.parseInt(loss.group(1)) >= 225,
            () -> "ping kept working during the fuzz (at most 10% lost): " + ping.output());

        if (!host.running())
        {
            fail("berthd died\n" + host.logTail());
        }
        final JsonNode after = countersJson();
        System.out.println("fuzz: " + sent + " frames written; drops counted " + (sum(after.path("drops")) -
            sum(before.path("drops"))) + "; ping during the fuzz: " + loss.group(0) + " of 250; by reason: " +
            after.path("drops"));
        after.path("nodes").fields().forEachRemaining(node -> assertEquals(0, node.getValue().path("exceptions").asLong(),
            () -> "node " + node.getKey() + " threw: " + node.getValue() + "\n" + host.logTail()));
        assertEquals(0, after.path("routing").path("pool_double_releases").asLong());
        assertTrue(sum(after.path("drops")) - sum(before.path("drops")) > 10_000,
            () -> "the fuzzed frames were counted as drops: " + after.path("drops"));

        // and afterwards everything works as before
        Net.assertPings(b, "10.92.0.2", host);
        Net.assertPings(a, "10.92.0.1", host);
        Net.assertPings(outside, Uplink.UPLINK_IP, host);
        Net.assertTcpEcho(host, a, b, "10.92.0.2", 7302);
    }

    private JsonNode countersJson()
    {
        return Net.parse(host.berthOk("counters", "-o", "json"));
    }

    private static String macOf(final String ns)
    {
        return inNs(ns, "cat", "/sys/class/net/eth0/address").out().trim();
    }

    private static long sentCount(final BerthHost.Spawned fuzz)
    {
        final Matcher m = Pattern.compile("sent (\\d+)").matcher(fuzz.output());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long sum(final JsonNode counters)
    {
        long total = 0;
        for (final JsonNode value : counters)
        {
            total += value.asLong();
        }
        return total;
    }
}
