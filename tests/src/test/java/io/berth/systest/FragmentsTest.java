package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14: IPv4 datagrams larger than a frame cross berth's router and NAT, both ways. The kernels at either end
 * fragment and reassemble; berth reassembles routed fragments before conntrack, translates the datagram and
 * fragments it again for the egress MTU. A raw-socket script sends fragments out of order and duplicated, and a
 * flood of incomplete datagrams, which the reassembly bound survives.
 */
class FragmentsTest extends UplinkTestBase
{
    static final String UDP_ECHO = String.join("\n",
        "import socket, sys",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', int(sys.argv[1])))",
        "while True:",
        "  d, a = s.recvfrom(65535); s.sendto(d, a)");

    /** argv: host, port, bytes[, nodf]. Sends one datagram (retried), prints "ok N" when it comes back whole. */
    static final String UDP_CLIENT = String.join("\n",
        "import socket, sys",
        "h, p, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)",
        "if len(sys.argv) > 4: s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: no DF",
        "msg = bytes((i * 7 + 3) & 255 for i in range(n))",
        "for t in range(8):",
        "  s.sendto(msg, (h, p))",
        "  try:",
        "    d, _ = s.recvfrom(65535)",
        "  except socket.timeout:",
        "    continue",
        "  print('ok', len(d)) if d == msg else print('mismatch', len(d))",
        "  sys.exit(0 if d == msg else 1)",
        "print('timeout'); sys.exit(1)");

    /**
     * argv: source, destination, port, bytes, mode. Builds a UDP datagram by hand and sends its IPv4 fragments
     * through a raw socket: mode "shuffled" sends them last first with one twice, then waits for the echo on a
     * UDP socket bound to the source port; mode "flood" sends that many incomplete first fragments.
     */
    static final String RAW_FRAGMENTS = String.join("\n",
        "import socket, struct, sys, random",
        "src, dst, port, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]",
        "r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)",
        "def send(ident, off, chunk, more):",
        "  ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(chunk), ident, (off // 8) | (0x2000 if more else 0),",
        "                   64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))",
        "  r.sendto(ip + chunk, (dst, 0))",
        "if mode == 'tcpsyn':",
        "  import os, time",
        "  sport = random.randint(20000, 60000); seq = random.randint(0, 2**31)",
        "  data = bytes(n)",
        "  def csum(b):",
        "    if len(b) % 2: b += b'\\0'",
        "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16",
        "    return (~s) & 0xffff",
        "  hdr = struct.pack('!HHIIBBHHH', sport, port, seq, 0, 5 << 4, 0x02, 65535, 0, 0)",
        "  pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr) + len(data))",
        "  c = csum(pseudo + hdr + data)",
        "  seg = hdr[:16] + struct.pack('!H', c) + hdr[18:] + data",
        "  rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP); rx.settimeout(1)",
        "  def send6(ident, off, chunk, more):",
        "    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(chunk), ident, (off // 8) | (0x2000 if more else 0),",
        "                     64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))",
        "    r.sendto(ip + chunk, (dst, 0))",
        "  for attempt in range(5):",
        "    ident = random.randint(1, 65535)",
        "    send6(ident, 24, seg[24:], False)  # the second fragment first",
        "    send6(ident, 0, seg[:24], True)",
        "    end = time.time() + 1",
        "    while time.time() < end:",
        "      try: pkt = rx.recv(65535)",
        "      except socket.timeout: break",
        "      ihl = (pkt[0] & 15) * 4; sp, dp, s2, ack, off, fl = struct.unpack('!HHIIBB', pkt[ihl:ihl + 14])",
        "      if sp == port and dp == sport and fl & 0x12 == 0x12 and ack in (seq + 1, seq + 1 + len(data)):  # SYN data is not acked without TFO",
        "        print('synack'); sys.exit(0)",
        "  print('timeout'); sys.exit(1)",
        "if mode == 'flood':",
        "  for i in range(n): send(1 + i % 65000, 0, struct.pack('!HHHH', 40000, port, 3008, 0) + bytes(992), True)",
        "  print('sent', n); sys.exit(0)",
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((src, 0)); u.settimeout(1)",
        "sport = u.getsockname()[1]",
        "payload = bytes((i * 5 + 1) & 255 for i in range(n))",
        "def csum(b):",
        "  if len(b) % 2: b += b'\\0'",
        "  s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16",
        "  return (~s) & 0xffff",
        "length = 8 + n",
        "pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, length)",
        "c = csum(pseudo + struct.pack('!HHHH', sport, port, length, 0) + payload) or 0xffff",
        "dgram = struct.pack('!HHHH', sport, port, length, c) + payload",
        "frags = [(off, dgram[off:off + 1000], off + 1000 < len(dgram)) for off in range(0, len(dgram), 1000)]",
        "order = list(reversed(frags)); order.insert(2, order[1])  # last first, the one before it twice",
        "for attempt in range(5):",
        "  ident = random.randint(1, 65535)",
        "  for f in order: send(ident, *f)",
        "  try:",
        "    d, _ = u.recvfrom(65535)",
        "  except socket.timeout:",
        "    continue",
        "  print('ok', len(d)) if d == payload else print('mismatch', len(d))",
        "  sys.exit(0 if d == payload else 1)",
        "print('timeout'); sys.exit(1)");

    private JsonNode counters()
    {
        return Net.parse(host.berthOk("counters", "-o", "json"));
    }

    private void assertEcho(final String ns, final String to, final String port, final int bytes, final String... more)
    {
        final String[] command = new String[5 + more.length];
        command[0] = "python3";
        command[1] = "-c";
        command[2] = UDP_CLIENT;
        command[3] = to;
        command[4] = port;
        final String[] args = new String[command.length + 1];
        System.arraycopy(command, 0, args, 0, 5);
        args[5] = Integer.toString(bytes);
        System.arraycopy(more, 0, args, 6, more.length);
        final Result r = BerthHost.inNs(Duration.ofSeconds(20), ns, args);
        assertTrue(r.out().contains("ok " + bytes), () -> bytes + "-byte datagram to " + to + ":" + port + " from " + ns +
            " came back whole: " + r + "\n" + host.berth("counters").output());
    }

    @Test
    void largeUdpThroughSnatAndDnatAndLargePings()
    {
        final BerthHost.Spawned outsideEcho = host.spawn(outside, "python3", "-c", UDP_ECHO, "7400");
        final String client = host.run("client");
        host.run("server", "-p", "12500:7500/udp", "--", "python3", "-c", UDP_ECHO, "7500");
        final long reassembledBefore = counters().path("fragments").path("reassembled").asLong();

        assertEcho(client, Uplink.OUTSIDE_IP, "7400", 3000);   // through SNAT, both ways
        assertEcho(client, Uplink.OUTSIDE_IP, "7400", 20000);
        assertEcho(outside, Uplink.UPLINK_IP, "12500", 3000);  // through DNAT, both ways
        assertEcho(outside, Uplink.UPLINK_IP, "12500", 20000);

        final Result ping = BerthHost.inNs(Duration.ofSeconds(20), client, "ping", "-c", "3", "-i", "0.2", "-W", "2",
            "-s", "4000", Uplink.OUTSIDE_IP);
        assertTrue(ping.out().contains("3 received"), () -> "4000-byte pings: " + ping);

        final JsonNode fragments = counters().path("fragments");
        assertTrue(fragments.path("reassembled").asLong() - reassembledBefore >= 4 * 2 + 6,
            () -> "berth reassembled each datagram, each way: " + fragments);
        assertTrue(fragments.path("fragments_created").asLong() > 0, fragments::toString);
        assertEquals(0, counters().path("drops").path("nat_untranslatable").asLong(), "no fragment left untranslated");
        outsideEcho.kill();
    }

    @Test
    void fragmentsOutOfOrderAndDuplicatedAreReassembled()
    {
        host.run("server", "-p", "12501:7501/udp", "--", "python3", "-c", UDP_ECHO, "7501");
        final long duplicatesBefore = counters().path("drops").path("frag_duplicate").asLong();
        final Result r = BerthHost.inNs(Duration.ofSeconds(30), outside, "python3", "-c", RAW_FRAGMENTS,
            Uplink.OUTSIDE_IP, Uplink.UPLINK_IP, "12501", "3000", "shuffled");
        assertTrue(r.out().contains("ok 3000"), () -> "the shuffled, duplicated fragments made one datagram: " + r +
            "\n" + host.berth("counters").output());
        assertTrue(counters().path("drops").path("frag_duplicate").asLong() > duplicatesBefore,
            "the copy was counted and dropped");
    }

    /** TCP in fragments: a SYN carrying 1000 bytes, its second fragment first, to a published port. */
    @Test
    void fragmentedTcpReachesAPublishedPort()
    {
        host.run("tcpserver", "-p", "12503:7503", "--", "sh", "-c", "while true; do nc -l 7503 > /dev/null; done");
        Result r = null;
        for (int i = 0; i < 20; i++)
        {
            r = BerthHost.inNs(Duration.ofSeconds(30), outside, "python3", "-c", RAW_FRAGMENTS,
                Uplink.OUTSIDE_IP, Uplink.UPLINK_IP, "12503", "1000", "tcpsyn");
            if (r.out().contains("synack"))
            {
                break;
            }
            BerthHost.sleep(200); // the server may not listen yet
        }
        final Result got = r;
        assertTrue(got.out().contains("synack"), () -> "the reassembled SYN was translated and answered: " + got +
            "\n" + host.berth("counters").output());
    }

    /**
     * A masqueraded conversation whose replies carry DF and do not fit the container network's MTU of 1400: berth
     * tells the outside server with fragmentation needed, translated back (RELATED) so that it quotes the
     * server's own packet to the uplink address, and the server's kernel learns the path MTU.
     */
    @Test
    void fragmentationNeededIsTranslatedBackToAMasqueradedPeer()
    {
        host.createNetwork("small", "--subnet", "10.94.0.0/24", "-o", "mtu=1400");
        final BerthHost.Spawned big = host.spawn(outside, "python3", "-c", String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 7420))",
            "s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO: DF on every reply",
            "while True:",
            "  d, a = s.recvfrom(65535)",
            "  try: s.sendto(bytes(1472), a)",
            "  except OSError: pass"));
        final String c = host.run("smallc", "--network", "small");
        BerthHost.inNs(Duration.ofSeconds(20), c, "python3", "-c", String.join("\n",
            "import socket, time",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)",
            "for i in range(10):",
            "  s.sendto(b'hi', ('" + Uplink.OUTSIDE_IP + "', 7420))",
            "  try: s.recvfrom(65535)",
            "  except socket.timeout: pass"));
        Result route = null;
        for (int i = 0; i < 20; i++)
        {
            route = BerthHost.inNs(outside, "ip", "route", "get", Uplink.UPLINK_IP);
            if (route.out().contains("mtu 1400"))
            {
                break;
            }
            BerthHost.sleep(100);
        }
        final Result learned = route;
        assertTrue(learned.out().contains("mtu 1400"), () -> "the outside server learned the MTU towards the uplink " +
            "address: " + learned + "\n" + host.berth("counters").output());
        big.kill();
    }

    @Test
    void aFloodOfIncompleteDatagramsIsBoundedAndTrafficGoesOn() throws Exception
    {
        host.run("server", "-p", "12502:7502/udp", "--", "python3", "-c", UDP_ECHO, "7502");
        final long rssBefore = rssKib();
        final JsonNode before = counters().path("fragments");
        final Result flood = BerthHost.inNs(Duration.ofSeconds(60), outside, "python3", "-c", RAW_FRAGMENTS,
            Uplink.OUTSIDE_IP, Uplink.UPLINK_IP, "12502", "20000", "flood");
        assertTrue(flood.out().contains("sent 20000"), flood::toString);

        // every first fragment that reached berth (a burst this fast may overflow the socket before it) opened a
        // datagram: it is either still held, within the bound, or was evicted to make room
        JsonNode after = counters().path("fragments");
        long previous = -1;
        for (int i = 0; i < 50 && after.path("fragments_received").asLong() != previous; i++)
        {
            previous = after.path("fragments_received").asLong();
            BerthHost.sleep(200); // until the worker has taken in the last of them
            after = counters().path("fragments");
        }
        final JsonNode end = after;
        final long received = end.path("fragments_received").asLong() - before.path("fragments_received").asLong();
        final long evicted = end.path("evicted").asLong() - before.path("evicted").asLong();
        final long held = end.path("in_reassembly").asLong() - before.path("in_reassembly").asLong();
        // how much of the burst the uplink's socket took in depends on the machine's load (4,226 of 20,000 once in
        // a loaded suite); what the test needs is the per-source bound of 16 overrun many times over
        assertTrue(received >= 1_000, () -> "the flood reached berth: " + end);
        assertTrue(end.path("in_reassembly").asLong() <= 16, () -> "the per-source bound (64 / 4) holds: " + end);
        assertEquals(received, evicted + held, () -> "each datagram opened is held or was evicted: " + end);
        final long grown = rssKib() - rssBefore;
        assertTrue(grown < 32 * 1024, () -> "berthd's memory stayed flat: grew " + grown + " KiB");

        assertEcho(outside, Uplink.UPLINK_IP, "12502", 3000); // and fragmented traffic from the same source works
    }

    private long rssKib() throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(host.berthdPid()), "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS for berthd");
    }
}
