package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.fail;

/** Servers, clients and conntrack look-ups for the NAT and published-port tests (issue 3). */
final class NatTools
{
    /** A UDP echo server on PORT: answers {@code echo:<data> from <sender address>}. */
    static final String UDP_ECHO = String.join("\n",
        "import socket, sys",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.bind(('0.0.0.0', int(sys.argv[1])))",
        "while True:",
        "    d, a = s.recvfrom(4096)",
        "    s.sendto(b'echo:' + d + b' from ' + a[0].encode(), a)");

    /** Sends argv[3] to argv[1]:argv[2] until an answer comes (5 tries); prints it and where it came from. */
    static final String UDP_ASK = String.join("\n",
        "import socket, sys",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.settimeout(1)",
        "for i in range(5):",
        "    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))",
        "    try:",
        "        d, a = s.recvfrom(4096)",
        "        print(d.decode() + ' | reply from ' + a[0] + ':' + str(a[1]))",
        "        sys.exit(0)",
        "    except socket.timeout:",
        "        pass",
        "sys.exit(1)");

    private NatTools()
    {
    }


    /** Asks the UDP echo server at IP:PORT from NS. */
    static Result udpAsk(String ns, String ip, int port, String msg)
    {
        return inNs(Duration.ofSeconds(15), ns, "python3", "-c", UDP_ASK, ip, String.valueOf(port), msg);
    }

    /** {@code python3 -u -m http.server PORT --bind IP} in NS (its request log is the Spawned's output). */
    static BerthHost.Spawned httpServer(BerthHost host, String ns, String ip, int port)
    {
        final BerthHost.Spawned s = host.spawn(ns, "python3", "-u", "-m", "http.server", String.valueOf(port), "--bind", ip);
        if (!s.awaitOutput("Serving HTTP", Duration.ofSeconds(15)))
        {
            fail("http.server did not start in " + ns + "\n" + s);
        }
        return s;
    }

    /** {@code berth conntrack ls -o json}. */
    static JsonNode conntrack(BerthHost host)
    {
        return host.json("conntrack", "ls", "-o", "json");
    }

    static List<JsonNode> entries(BerthHost host, Predicate<JsonNode> match)
    {
        final List<JsonNode> out = new ArrayList<>();
        conntrack(host).forEach(e ->
        {
            if (match.test(e))
            {
                out.add(e);
            }
        });
        return out;
    }

    /** Matches an entry by protocol and its original direction's destination address and port (port -1: any). */
    static Predicate<JsonNode> original(String protocol, String dst, int dport)
    {
        return e -> protocol.equalsIgnoreCase(e.path("protocol").asText()) &&
            dst.equals(e.path("original").path("dst").asText()) &&
            (dport < 0 || dport == e.path("original").path("dport").asInt());
    }

    /** The one entry matching, or a failure that shows the whole table. */
    static JsonNode one(BerthHost host, Predicate<JsonNode> match, String what)
    {
        final List<JsonNode> found = entries(host, match);
        if (found.size() != 1)
        {
            fail("expected one conntrack entry for " + what + ", found " + found.size() + "\n" +
                host.berth("conntrack", "ls").out() + "\n" + conntrack(host).toPrettyString());
        }
        return found.get(0);
    }

    static String diag(BerthHost host)
    {
        return "--- berth conntrack ls ---\n" + host.berth("conntrack", "ls").output() + "\n--- berth counters ---\n" +
            host.berth("counters").output() + "\n" + host.logTail();
    }
}
