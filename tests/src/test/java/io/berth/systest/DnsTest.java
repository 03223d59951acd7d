package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * scenarios.md §5, issue 8: the embedded DNS at 127.0.0.11, driven with dig, getent and ping from real container
 * namespaces. The upstream is a dnsmasq on 127.0.0.1:53 inside berthd's namespace, answering the test zone
 * upstream.test; berthd finds it the default way, from the resolv.conf it sees (iproute2 bind-mounts
 * /etc/netns/HOSTNS/resolv.conf over /etc/resolv.conf for berthd). Nothing is sent beyond loopback and the
 * test's namespaces.
 */
class DnsTest extends SystemTestBase
{
    private static final String UPSTREAM_NAME = "www.upstream.test";
    private static final String UPSTREAM_ADDRESS = "192.0.2.10";
    private Path hostResolvDir;
    private Process dnsmasq;

    @Override
    protected BerthHost startHost()
    {
        return BerthHost.start(h ->
        {
            try
            {
                hostResolvDir = Path.of("/etc/netns", h.hostNs());
                Files.createDirectories(hostResolvDir);
                Files.writeString(hostResolvDir.resolve("resolv.conf"),
                    "nameserver 127.0.0.1\nsearch corp.test\noptions timeout:2\n", StandardCharsets.UTF_8);
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
            try
            {
                // not host.spawn: those end with each test, dnsmasq serves the whole class
                dnsmasq = new ProcessBuilder("ip", "netns", "exec", h.hostNs(), "dnsmasq", "--keep-in-foreground",
                    "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1", "--port=53",
                    "--local=/upstream.test/", "--address=/" + UPSTREAM_NAME + "/" + UPSTREAM_ADDRESS)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
            assertTrue(OverlayLab.poll(Duration.ofSeconds(10), () -> BerthHost.inNs(h.hostNs(), "dig", "+short",
                "+time=1", "+tries=1", "@127.0.0.1", UPSTREAM_NAME).out().contains(UPSTREAM_ADDRESS)),
                "dnsmasq did not come up in " + h.hostNs());
        }, List.of());
    }

    /** dnsmasq goes before the host, whose close also removes /etc/netns/PREFIX* (resolv.conf included). */
    @Override
    protected void beforeClose()
    {
        if (dnsmasq != null)
        {
            Sh.killTree(dnsmasq.toHandle());
        }
    }

    // ------------------------------------------------------------------------------------------------ tools

    /** dig from inside {@code ns} against the embedded DNS. */
    private static Result dig(final String ns, final String... args)
    {
        final List<String> cmd = new ArrayList<>(List.of("dig", "@127.0.0.11", "+time=3", "+tries=1"));
        cmd.addAll(Arrays.asList(args));
        final List<String> all = new ArrayList<>(List.of(ns));
        all.addAll(cmd);
        return BerthHost.inNs(Duration.ofSeconds(20), all.get(0), cmd.toArray(String[]::new));
    }

    private static List<String> digShort(final String ns, final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("+short"));
        all.addAll(Arrays.asList(args));
        final String out = dig(ns, all.toArray(String[]::new)).out().strip();
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    private String ipOf(final String container, final String network)
    {
        return host.inspect(container).path("NetworkSettings").path("Networks").path(network).path("IPAddress").asText();
    }

    private JsonNode dnsCounters()
    {
        return host.json("counters", "-o", "json").path("dns");
    }

    private static String file(final String ns, final String path)
    {
        return BerthHost.inNs(ns, "cat", path).out();
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void namesAliasesAndPointersOverUdpAndTcp()
    {
        host.createNetwork("dnet1", "--subnet", "10.61.0.0/24");
        final String web = host.run("web", "--network", "dnet1", "--network-alias", "www", "--network-alias", "pool");
        final String web2 = host.run("web2", "--network", "dnet1", "--network-alias", "pool");
        final String client = host.run("cli", "--network", "dnet1");
        final String webIp = ipOf(web, "dnet1");
        final String web2Ip = ipOf(web2, "dnet1");

        final String resolv = file(client, "/etc/resolv.conf");
        assertTrue(resolv.contains("nameserver 127.0.0.11") && resolv.contains("options ndots:0")
            && resolv.contains("search corp.test"), resolv);
        assertFalse(resolv.contains("127.0.0.1\n"), resolv);

        assertEquals(List.of(webIp), digShort(client, web));
        assertEquals(List.of(webIp), digShort(client, web.toUpperCase()), "names are case-insensitive");
        assertEquals(List.of(webIp), digShort(client, web + ".dnet1"));
        assertEquals(List.of(webIp), digShort(client, "www"));
        assertEquals(List.of(webIp), digShort(client, "+tcp", "www"), "over TCP");
        assertEquals(Set.of(webIp, web2Ip), new HashSet<>(digShort(client, "pool")), "a shared alias: both");
        // round robin: the first address changes from query to query
        final Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 40 && firsts.size() < 2; i++)
        {
            firsts.add(digShort(client, "pool").get(0));
        }
        assertEquals(Set.of(webIp, web2Ip), firsts, "round robin");
        assertEquals(List.of(web + ".dnet1."), digShort(client, "-x", webIp), "PTR");
        final Result aaaa = dig(client, "AAAA", web);
        assertTrue(aaaa.out().contains("status: NOERROR") && aaaa.out().contains("ANSWER: 0"), aaaa.out());
        final Result mx = dig(client, "MX", web);
        assertTrue(mx.out().contains("status: NOERROR") && mx.out().contains("ANSWER: 0"), mx.out());
        // the libc resolver and ping, through the resolv.conf berth wrote
        final Result getent = BerthHost.inNs(client, "getent", "hosts", "www");
        assertTrue(getent.ok() && getent.out().startsWith(webIp), getent.toString());
        assertTrue(BerthHost.inNs(client, "ping", "-c", "1", "-W", "2", web2).ok(), "ping by name");
        // nslookup too
        final Result nslookup = BerthHost.inNs(client, "nslookup", web2);
        assertTrue(nslookup.out().contains(web2Ip), nslookup.toString());
        assertTrue(host.inspect(web).path("NetworkSettings").path("Networks").path("dnet1").path("Aliases")
            .toString().contains("www"));
    }

    @Test
    void aLargeAnswerIsTruncatedOverUdpAndWholeOverTcp() throws Exception
    {
        host.createNetwork("dnetbig", "--subnet", "10.62.0.0/24");
        final int members = 36;
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try
        {
            final List<Future<String>> runs = new ArrayList<>();
            for (int i = 0; i < members; i++)
            {
                final int n = i;
                runs.add(pool.submit(() -> host.run("big" + n, "--network", "dnetbig", "--network-alias", "many")));
            }
            for (final Future<String> run : runs)
            {
                run.get();
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        final String client = host.run("bigcli", "--network", "dnetbig");
        final long truncatedBefore = dnsCounters().path("truncated").asLong();
        final Result udp = dig(client, "+notcp", "+ignore", "+noedns", "many");
        assertTrue(udp.out().contains("flags: qr tc") || udp.out().matches("(?s).*flags:[^;]* tc[ ;].*"), udp.out());
        assertTrue(dnsCounters().path("truncated").asLong() > truncatedBefore);
        // dig's default: the truncated UDP answer, then the whole one over TCP
        assertEquals(members, digShort(client, "+noedns", "many").size(), "the TCP retry has all of them");
        assertEquals(members, digShort(client, "+bufsize=4096", "+notcp", "many").size(), "EDNS0 4096 fits them");
        // issue 24: whatever the type; an ANY answer without EDNS once went out at 669 bytes, TC clear
        final Result any = dig(client, "+notcp", "+ignore", "+noedns", "many", "ANY");
        final Matcher size = Pattern.compile("MSG SIZE\\s+rcvd: (\\d+)")
            .matcher(any.out());
        assertTrue(size.find() && Integer.parseInt(size.group(1)) <= 512, any.out());
        assertTrue(any.out().matches("(?s).*flags:[^;]* tc[ ;].*"), any.out());
        assertEquals(members, digShort(client, "+noedns", "many", "ANY").size(), "the TCP retry has all of them");
    }

    @Test
    void namesOnOtherNetworksAreUnknownAndInternalNetworksForwardNothing()
    {
        host.createNetwork("dneta", "--subnet", "10.63.0.0/24");
        host.createNetwork("dnetb", "--subnet", "10.64.0.0/24");
        host.createNetwork("dneti", "--subnet", "10.65.0.0/24", "--internal");
        final String a = host.run("sa", "--network", "dneta");
        final String b = host.run("sb", "--network", "dnetb");
        final String i1 = host.run("si1", "--network", "dneti");
        final String i2 = host.run("si2", "--network", "dneti");
        assertEquals(List.of(), digShort(a, b), "a name only on another network does not resolve");
        assertEquals(List.of(ipOf(i2, "dneti")), digShort(i1, i2), "internal networks have local names");
        final long forwarded = dnsCounters().path("forwarded").asLong();
        final Result out = dig(i1, UPSTREAM_NAME);
        assertTrue(out.out().contains("status: REFUSED"), out.out());
        assertEquals(forwarded, dnsCounters().path("forwarded").asLong(), "nothing forwarded from an internal network");
        // and the upstream name does resolve from a network that may go out
        assertEquals(List.of(UPSTREAM_ADDRESS), digShort(a, UPSTREAM_NAME));
    }

    @Test
    void forwardingPassesNxdomainAndFailsOverToTheNextUpstream()
    {
        host.createNetwork("dnetf", "--subnet", "10.66.0.0/24");
        final String c = host.run("fw", "--network", "dnetf");
        assertEquals(List.of(UPSTREAM_ADDRESS), digShort(c, UPSTREAM_NAME));
        assertEquals(List.of(UPSTREAM_ADDRESS), digShort(c, "+tcp", UPSTREAM_NAME), "a TCP client is forwarded too");
        final long start = System.nanoTime();
        final Result nx = dig(c, "nothing.upstream.test");
        assertTrue(nx.out().contains("status: NXDOMAIN"), nx.out());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(1).toNanos(), "NXDOMAIN comes back at once");

        // --dns: this container's upstreams; the first never answers (nothing listens on 127.0.0.2 in berthd's
        // namespace), the second is dnsmasq
        final String f = host.run("fo", "--network", "dnetf", "--dns", "127.0.0.2", "--dns", "127.0.0.1");
        final long timeouts = dnsCounters().path("upstream_timeouts").asLong();
        final long t0 = System.nanoTime();
        assertEquals(List.of(UPSTREAM_ADDRESS), digShort(f, UPSTREAM_NAME));
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(1000).toNanos(), "the dead upstream was tried first");
        assertEquals(timeouts + 1, dnsCounters().path("upstream_timeouts").asLong());
        assertTrue(host.inspect(f).path("HostConfig").path("Dns").toString().contains("127.0.0.2"));
    }

    @Test
    void theDefaultBridgeHasNoEmbeddedDnsAndLinksGoThroughHosts()
    {
        final String b1 = host.run("lb1");
        final String b2 = host.run("lb2", "--link", b1 + ":db");
        final String b3 = host.run("lb3", "--dns", "192.0.2.53", "--dns-search", "example.test", "--dns-option", "edns0");
        final String resolv = file(b1, "/etc/resolv.conf");
        assertFalse(resolv.contains("127.0.0.11"), resolv);
        assertFalse(resolv.contains("nameserver 127.0.0.1"), "loopback resolvers are left out: " + resolv);
        assertTrue(resolv.contains("search corp.test"), resolv);
        final String b1Ip = ipOf(b1, "bridge");
        final String hosts = file(b2, "/etc/hosts");
        assertTrue(hosts.contains(b1Ip + "\tdb " + b1), hosts);
        final Result getent = BerthHost.inNs(b2, "getent", "hosts", "db");
        assertTrue(getent.ok() && getent.out().startsWith(b1Ip), getent.toString());
        assertFalse(BerthHost.inNs(b1, "getent", "hosts", "db").ok(), "the link is the linking container's only");
        final String own = file(b3, "/etc/resolv.conf");
        assertTrue(own.contains("nameserver 192.0.2.53") && own.contains("search example.test")
            && own.contains("edns0"), own);
        // nothing listens at 127.0.0.11 on the default bridge
        final Result none = dig(b1, "+short", b1);
        assertFalse(none.ok() && none.out().contains(b1Ip), none.toString());
    }

    @Test
    void namesFollowRunRmConnectDisconnectAndARestart()
    {
        host.createNetwork("dnetr", "--subnet", "10.67.0.0/24");
        host.createNetwork("dnets", "--subnet", "10.68.0.0/24");
        final String c = host.run("rc", "--network", "dnetr");
        final String d = host.run("rd", "--network", "dnetr");
        // at once: the names were in place before berth run returned
        assertEquals(List.of(ipOf(d, "dnetr")), digShort(c, d));
        host.berthOk("rm", "-f", d);
        final Result gone = dig(c, d);
        assertFalse(gone.out().contains("ANSWER: 1"), gone.out());
        assertFalse(Files.exists(Path.of("/etc/netns", d)), "rm takes the sandbox's DNS files away");

        final String x = host.run("rx", "--network", "dnets");
        assertEquals(List.of(), digShort(c, "xalias"));
        host.berthOk("network", "connect", "--alias", "xalias", "dnetr", x);
        final String xIp = ipOf(x, "dnetr");
        assertEquals(List.of(xIp), digShort(c, "xalias"));
        assertEquals(List.of(xIp), digShort(c, x));
        host.berthOk("network", "disconnect", "dnetr", x);
        assertEquals(List.of(), digShort(c, "xalias"));

        host.berthOk("network", "connect", "--alias", "back", "dnetr", x);
        host.stopBerthd();
        host.startBerthd();
        assertEquals(List.of(ipOf(x, "dnetr")), digShort(c, "back"), "after a restart, nothing re-created");
        assertEquals(List.of(UPSTREAM_ADDRESS), digShort(c, UPSTREAM_NAME));
    }

    @Test
    void badNameServiceArgumentsAreRefusedAndChangeNothing()
    {
        host.createNetwork("dnetx", "--subnet", "10.69.0.0/24");
        final String before = host.berthOk("ps").out();
        final Result alias = host.berth("run", "-d", "--name", host.name("bx1"), "--network", "dnetx",
            "--network-alias", "bad_alias!");
        assertFalse(alias.ok());
        assertTrue(alias.err().contains("bad_alias!") && alias.err().contains("RFC 1123"), alias.err());
        final Result dns = host.berth("run", "-d", "--name", host.name("bx2"), "--network", "dnetx", "--dns", "dns.example");
        assertFalse(dns.ok());
        assertTrue(dns.err().contains("dns.example") && dns.err().contains("IPv4"), dns.err());
        final Result bridgeAlias = host.berth("run", "-d", "--name", host.name("bx3"), "--network-alias", "a");
        assertFalse(bridgeAlias.ok());
        assertTrue(bridgeAlias.err().contains("user-defined"), bridgeAlias.err());
        final Result link = host.berth("run", "-d", "--name", host.name("bx4"), "--link", "nosuch:db");
        assertFalse(link.ok());
        assertTrue(link.err().contains("nosuch"), link.err());
        assertEquals(before, host.berthOk("ps").out(), "nothing was made");
        for (final String n : List.of("bx1", "bx2", "bx3", "bx4"))
        {
            assertFalse(BerthHost.namespaces().contains(host.name(n)));
            assertFalse(Files.exists(Path.of("/etc/netns", host.name(n))));
        }
    }

    @Test
    void tenThousandMalformedQueriesAreCountedAndValidOnesStillResolve()
    {
        host.createNetwork("dnetm", "--subnet", "10.70.0.0/24");
        final String c = host.run("mc", "--network", "dnetm");
        final String d = host.run("md", "--network", "dnetm");
        final long malformed = dnsCounters().path("malformed").asLong();
        final String script = String.join("\n",
            "import random, socket, struct",
            "r = random.Random(11)",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "q = struct.pack('>HHHHHH', 1, 0x0100, 1, 0, 0, 0) + b'\\x03www\\x00\\x00\\x01\\x00\\x01'",
            "kinds = [lambda: q[:r.randint(0, 11)],",                                   // truncated header
            "         lambda: q[:-3],",                                                // truncated question
            "         lambda: q[:12] + b'\\xc0\\x0c' + q[-4:],",                       // compression loop
            "         lambda: q[:4] + b'\\xff\\xff' + q[6:],",                         // absurd count
            "         lambda: q[:2] + b'\\x10\\x00' + q[4:],",                         // opcode STATUS
            "         lambda: bytes(r.getrandbits(8) for _ in range(r.randint(12, 60)))]",
            "import time",
            "for i in range(10000):",
            "    s.sendto(kinds[i % len(kinds)](), ('127.0.0.11', 53))",
            "    if i % 50 == 49: time.sleep(0.003)",    // paced: well under a socket buffer at a time, even when busy
            "print('sent')");
        final Result sent = BerthHost.inNs(Duration.ofSeconds(60), c, "/usr/bin/python3", "-c", script);
        assertTrue(sent.ok() && sent.out().contains("sent"), sent.toString());
        assertTrue(OverlayLab.poll(Duration.ofSeconds(10),
            () -> dnsCounters().path("malformed").asLong() >= malformed + 8000),
            "malformed: " + dnsCounters());
        assertEquals(List.of(ipOf(d, "dnetm")), digShort(c, d), "valid queries still resolve");
        assertEquals(List.of(UPSTREAM_ADDRESS), digShort(c, UPSTREAM_NAME));
    }
}
