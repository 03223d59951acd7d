package io.berth.systest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad {@code -p} specs and conflicts (berthd with an uplink): each run must exit non-zero, name the value, and
 * change nothing ({@code berth ps}, {@code berth port} of the holder, the namespaces, and the holder's port still
 * answering from outside).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PublishBadInputTest
{
    private BerthHost host;
    private String outside;
    private String holder;
    private State before;
    private String psBefore;
    private String portBefore;

    @BeforeAll
    void setUp()
    {
        host = Uplink.start();
        outside = Uplink.outside(host);
        holder = host.run("holder", "-p", "12211:8080", "-p", "5353:5353/udp", "-p", "127.0.0.1:12212:8080",
            "--", "python3", "-u", "-m", "http.server", "8080");
        Net.assertHttpOk(outside, Uplink.UPLINK_IP, 12211, host);
        before = state();
        psBefore = host.berthOk("ps").out();
        portBefore = host.berthOk("port", holder).out();
    }

    @AfterAll
    void tearDown()
    {
        if (host != null)
        {
            host.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> refusedWithoutChangingState()
    {
        final List<DynamicTest> cases = new ArrayList<>();
        // malformed
        cases.add(bad("not a port", List.of("abc"), "-p", "abc"));
        cases.add(bad("no container port", List.of("12420:"), "-p", "12420:"));
        cases.add(bad("no host port", List.of(":8080"), "-p", ":8080"));
        cases.add(bad("too many parts", List.of("1:2:3:4"), "-p", "1:2:3:4"));
        // out of range
        cases.add(bad("host port 0", List.of("0:8080"), "-p", "0:8080"));
        cases.add(bad("container port 0", List.of("12422:0"), "-p", "12422:0"));
        cases.add(bad("host port 65536", List.of("65536"), "-p", "65536:8080"));
        cases.add(bad("container port 65536", List.of("65536"), "-p", "12423:65536"));
        cases.add(bad("range ending at 65536", List.of("65535-65536"), "-p", "65535-65536:9000-9001"));
        // ranges
        cases.add(bad("ranges of unequal length", List.of("12400-12402:9000-9001", "12400-12402", "9000-9001"),
            "-p", "12400-12402:9000-9001"));
        cases.add(bad("reversed range", List.of("12402-12400"), "-p", "12402-12400:9002-9000"));
        // protocol
        cases.add(bad("unknown protocol", List.of("sctp"), "-p", "12424:80/sctp"));
        // host address
        cases.add(bad("host address not berthd's", List.of("10.99.0.77"), "-p", "10.99.0.77:12426:80"));
        cases.add(bad("host address of the outside", List.of("10.99.0.2"), "-p", "10.99.0.2:12427:80"));
        cases.add(bad("malformed host address", List.of("999.1.1.1"), "-p", "999.1.1.1:12428:80"));
        // conflicts with the holder and within one run
        cases.add(bad("host port already published", List.of(holder), "-p", "12211:9090"));
        cases.add(bad("already published on 0.0.0.0, asked on 127.0.0.1", List.of(holder), "-p", "127.0.0.1:12211:9090"));
        cases.add(bad("already published on 0.0.0.0, asked on the uplink address", List.of(holder),
            "-p", Uplink.UPLINK_IP + ":12211:9090"));
        cases.add(bad("asked on 0.0.0.0, already published on 127.0.0.1", List.of(holder), "-p", "12212:9090"));
        cases.add(bad("range over a published port", List.of(holder), "-p", "12210-12212:9000-9002"));
        cases.add(bad("UDP port already published", List.of(holder), "-p", "5353:53/udp"));
        cases.add(bad("same host port twice in one run", List.of("12430"), "-p", "12430:80", "-p", "12430:81"));
        cases.add(bad("valid spec, then a bad one", List.of("12432:0"), "-p", "12431:80", "-p", "12432:0"));
        // modes that cannot publish
        cases.add(bad("publish in host mode", List.of("host"), "--network", "host", "-p", "12433:80"));
        cases.add(bad("publish in none mode", List.of("none"), "--network", "none", "-p", "12434:80"));
        cases.add(DynamicTest.dynamicTest("berth ps and berth port print what they printed before", this::cliOutputUnchanged));
        return cases.stream();
    }

    private void cliOutputUnchanged()
    {
        assertEquals(psBefore, host.berthOk("ps").out(), "berth ps after all the refused runs");
        assertEquals(portBefore, host.berthOk("port", holder).out(), "berth port after all the refused runs");
        assertTrue(portBefore.contains("8080/tcp -> 0.0.0.0:12211"), portBefore);
    }

    /** {@code berth run -d --name <prefix>-bad OPTS… -- sleep 100}: must fail, naming one of MENTIONS, changing nothing. */
    private DynamicTest bad(String what, List<String> mentions, String... opts)
    {
        final List<String> args = new ArrayList<>(List.of("run", "-d", "--name", host.name("bad")));
        args.addAll(Arrays.asList(opts));
        args.addAll(List.of("--", "sleep", "100"));
        return DynamicTest.dynamicTest(what + ": berth " + String.join(" ", opts), () ->
        {
            final Result r = host.berth(args.toArray(String[]::new));
            final State after = state();
            if (!before.equals(after))
            {
                host.berth("rm", "-f", host.name("bad")); // so that one wrongly accepted run does not fail the rest
            }
            assertNotEquals(-1, r.exit(), () -> "timed out\n" + r);
            assertNotEquals(0, r.exit(), () -> "must fail\n" + r);
            assertTrue(mentions.stream().anyMatch(r.output()::contains),
                () -> "the message must name " + String.join(" or ", mentions) + "\n" + r);
            assertFalse(r.output().contains("\tat ") || r.output().contains("Exception in thread"),
                () -> "a message, not a stack trace\n" + r);
            if (!before.equals(after))
            {
                fail("state changed by a refused run\n" + r + "\nbefore:\n" + before + "\nafter:\n" + after);
            }
            // the holder's mapping is untouched: still answers from outside
            assertTrue("200".equals(Net.httpStatus(outside, Uplink.UPLINK_IP, 12211, 3)),
                () -> "the holder's port stopped answering after\n" + r + "\n" + host.logTail());
        });
    }

    /**
     * The state as berthd's API tells it (container.ls, container.port of the holder: what {@code berth ps} and
     * {@code berth port} print), asked by one python3 process rather than two JVMs per case; the CLI's own
     * output is compared once at the end ({@link #cliOutputUnchanged}).
     */
    private State state()
    {
        final Result api = Sh.run("python3", "-c", API_SNAPSHOT, host.socket().toString(), holder);
        assertTrue(api.ok(), () -> "API snapshot\n" + api);
        final List<String> ns = BerthHost.namespaces().stream().filter(n -> n.startsWith(host.prefix())).sorted().toList();
        final List<String> listening = Arrays.stream(BerthHost.inNs(host.hostNs(), "ss", "-Htlnu").out().split("\n"))
            .map(l -> l.trim().split("\\s+"))
            .filter(f -> f.length >= 5)
            .map(f -> f[0] + " " + f[4])
            .sorted().toList();
        return new State(api.out(), ns, listening);
    }

    private static final String API_SNAPSHOT = String.join("\n",
        "import json, socket, sys",
        "def ask(req):",
        "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
        "    s.connect(sys.argv[1])",
        "    s.sendall((json.dumps(req) + '\\n').encode())",
        "    buf = b''",
        "    while not buf.endswith(b'\\n'):",
        "        d = s.recv(65536)",
        "        if not d:",
        "            break",
        "        buf += d",
        "    s.close()",
        "    r = json.loads(buf)",
        "    if not r.get('ok'):",
        "        sys.exit('not ok: ' + json.dumps(r))",
        "    return r['result']",
        "print(json.dumps(ask({'op': 'container.ls'}), sort_keys=True))",
        "print(json.dumps(ask({'op': 'container.port', 'name': sys.argv[2]}), sort_keys=True))");

    record State(String api, List<String> namespaces, List<String> listening)
    {
        @Override
        public String toString()
        {
            return "container.ls and container.port holder:\n" + api + "\nnamespaces: " + namespaces +
                "\nlistening in berthd's ns: " + listening;
        }
    }
}
