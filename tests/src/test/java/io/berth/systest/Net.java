package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.fail;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reachability and interface checks with the kernel's own tools, run inside namespaces. Every probe goes only
 * to addresses inside the test's namespaces.
 */
public final class Net
{
    private Net()
    {
    }

    // ------------------------------------------------------------------------------------------------ bulk TCP

    /**
     * Bytes received in one {@code seconds}-long iperf3 run from {@code clientNs} to a server that {@code host}
     * spawns in {@code serverNs} (bound to {@code bindIp} when not null), retried while the server is not up yet.
     */
    public static double iperfBytes(BerthHost host, String serverNs, String bindIp, String clientNs, String serverIp,
        int port, int seconds, StringBuilder diagnosis)
    {
        final List<String> serve = new ArrayList<>(List.of("iperf3", "-s", "-1", "-p", Integer.toString(port)));
        if (bindIp != null)
        {
            serve.addAll(List.of("-B", bindIp));
        }
        final BerthHost.Spawned server = host.spawn(serverNs, serve.toArray(new String[0]));
        try
        {
            awaitListening(serverNs, port);
            Result r = null;
            final long[] cpuBefore = cpuJiffies();
            for (int i = 0; i < 20; i++)
            {
                r = inNs(Duration.ofSeconds(seconds + 30), clientNs, "iperf3", "-c", serverIp, "-p",
                    Integer.toString(port), "-t", Integer.toString(seconds), "-J");
                if (iperfOk(r) || !server.alive())
                {
                    break;
                }
                BerthHost.sleep(200); // the server is not listening yet
            }
            final long[] cpuAfter = cpuJiffies();
            if (r == null || !iperfOk(r))
            {
                fail("iperf3: " + r + "\nserver: " + server);
            }
            final JsonNode end = parse(r).path("end");
            final double bytes = end.path("sum_received").path("bytes").asDouble();
            diagnosis.append(String.format("%s -> %s:%d: %.0f bytes in %d s, %d retransmits; machine over the run "
                    + "(jiffies): user %d system %d idle %d iowait %d steal %d; loadavg %s%n", clientNs, serverIp, port,
                bytes, seconds, end.path("sum_sent").path("retransmits").asLong(), cpuAfter[0] - cpuBefore[0],
                cpuAfter[2] - cpuBefore[2], cpuAfter[3] - cpuBefore[3], cpuAfter[4] - cpuBefore[4],
                cpuAfter[7] - cpuBefore[7], readQuietly("/proc/loadavg").trim()));
            if (bytes == 0)
            {
                diagnosis.append("iperf3 said: ").append(r.out().length() > 4000 ? r.out().substring(0, 4000) : r.out())
                    .append('\n').append(r.err()).append('\n');
            }
            return bytes;
        }
        finally
        {
            server.kill();
        }
    }

    /**
     * Bulk TCP that must move more than {@code minBytes}: one run, and when it falls short (a stall on a loaded
     * CI machine, or a path that loses or cuts frames) a diagnosis (iperf's intervals, the machine's CPU and steal
     * over the run, berthd's counters and log) and a second run that must carry it. A path that cuts or loses
     * frames fails both; the message carries the first run's diagnosis either way.
     */
    public static double assertBulkTcp(BerthHost host, String serverNs, String bindIp, String clientNs,
        String serverIp, int port, int seconds, double minBytes)
    {
        final StringBuilder diagnosis = new StringBuilder();
        final double first = iperfBytes(host, serverNs, bindIp, clientNs, serverIp, port, seconds, diagnosis);
        System.out.print("bulk TCP: " + diagnosis);
        if (first > minBytes)
        {
            return first;
        }
        diagnosis.append("counters:\n").append(host.berth("counters").out()).append('\n').append(host.logTail());
        System.out.println("bulk TCP short of " + minBytes + " bytes, running it again:\n" + diagnosis);
        final double second = iperfBytes(host, serverNs, bindIp, clientNs, serverIp, port, seconds, diagnosis);
        if (second <= minBytes)
        {
            fail("bulk TCP moved at most " + minBytes + " bytes twice:\n" + diagnosis);
        }
        return second;
    }

    /** Polls (up to 10 s) until something in {@code ns} listens on TCP {@code port}; false if nothing came. */
    public static boolean awaitListening(String ns, int port)
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline)
        {
            if (!inNs(ns, "ss", "-Hltn", "sport = :" + port).out().isBlank())
            {
                return true;
            }
            BerthHost.sleep(50);
        }
        return false;
    }

    /**
     * iperf3 ran and measured. iperf 3.12 with {@code -J} exits 0 even when it could not connect ("Connection
     * refused" while the server is still starting): only the JSON's "error" tells.
     */
    public static boolean iperfOk(Result r)
    {
        if (!r.ok())
        {
            return false;
        }
        try
        {
            return !BerthHost.JSON.readTree(r.out()).has("error");
        }
        catch (IOException e)
        {
            return false;
        }
    }

    /** /proc/stat's first line: user, nice, system, idle, iowait, irq, softirq, steal (jiffies, all CPUs). */
    private static long[] cpuJiffies()
    {
        final String[] f = readQuietly("/proc/stat").split("\n", 2)[0].trim().split("\\s+");
        final long[] v = new long[8];
        for (int i = 0; i < v.length && i + 1 < f.length; i++)
        {
            v[i] = Long.parseLong(f[i + 1]);
        }
        return v;
    }

    private static String readQuietly(String path)
    {
        try
        {
            return Files.readString(Path.of(path));
        }
        catch (IOException e)
        {
            return "";
        }
    }

    // ------------------------------------------------------------------------------------------------ ping

    /** True when NS gets an echo reply from IP within a few attempts. */
    public static boolean pings(String ns, String ip)
    {
        for (int i = 0; i < 3; i++)
        {
            if (inNs(Duration.ofSeconds(10), ns, "ping", "-n", "-c", "1", "-W", "2", ip).ok())
            {
                return true;
            }
        }
        return false;
    }

    public static void assertPings(String ns, String ip, BerthHost host)
    {
        if (!pings(ns, ip))
        {
            fail(ns + " cannot ping " + ip + "\n" + inNs(ns, "ping", "-n", "-c", "1", "-W", "2", ip) + "\n" +
                diag(ns) + "\n" + host.logTail());
        }
    }

    /** Two probes, a second each (replies between namespaces take well under a millisecond): none may come back. */
    public static void assertNoPing(String ns, String ip)
    {
        final Result r = inNs(Duration.ofSeconds(10), ns, "ping", "-n", "-c", "2", "-i", "0.5", "-W", "1", ip);
        if (r.ok())
        {
            fail(ns + " must not reach " + ip + " but ping got replies\n" + r);
        }
    }

    // ------------------------------------------------------------------------------------------------- TCP

    /** HTTP status of {@code curl http://IP:PORT/} run in NS ("000" when it cannot connect). */
    public static String httpStatus(String ns, String ip, int port, int seconds)
    {
        final Result r = inNs(Duration.ofSeconds(seconds + 5), ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
            "--connect-timeout", String.valueOf(seconds), "-m", String.valueOf(seconds), "http://" + ip + ":" + port + "/");
        final String code = r.out().trim();
        return code.isEmpty() ? "000" : code;
    }

    /** Waits (retrying) until a curl from NS to IP:PORT gets 200. */
    public static void assertHttpOk(String ns, String ip, int port, BerthHost host)
    {
        String status = "000";
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline)
        {
            status = httpStatus(ns, ip, port, 3);
            if ("200".equals(status))
            {
                return;
            }
            BerthHost.sleep(300);
        }
        fail(ns + ": curl http://" + ip + ":" + port + "/ gave " + status + ", expected 200\n" + diag(ns) + "\n" +
            host.logTail());
    }

    public static void assertNoTcp(String ns, String ip, int port)
    {
        final Result r = inNs(Duration.ofSeconds(10), ns, "nc", "-z", "-w", "1", ip, String.valueOf(port));
        if (r.ok())
        {
            fail(ns + " must not connect to " + ip + ":" + port + " but did\n" + r);
        }
    }

    /**
     * A TCP conversation with nc: a listener in SERVER_NS on PORT, a client in CLIENT_NS sends a line; the
     * listener must print it.
     */
    public static void assertTcpEcho(BerthHost host, String serverNs, String clientNs, String serverIp, int port)
    {
        final BerthHost.Spawned server = host.spawn(serverNs, "nc", "-l", "-n", String.valueOf(port));
        final String msg = "berth-tcp-" + Long.toHexString(System.nanoTime());
        try
        {
            Result last = null;
            for (int i = 0; i < 20 && !server.output().contains(msg); i++)
            {
                BerthHost.sleep(200);
                last = inNs(Duration.ofSeconds(10), clientNs, "sh", "-c",
                    "echo " + msg + " | nc -N -n -w 3 " + serverIp + " " + port);
            }
            if (!server.awaitOutput(msg, Duration.ofSeconds(3)))
            {
                fail("TCP " + clientNs + " -> " + serverIp + ":" + port + " did not arrive\nclient: " + last +
                    "\nserver: " + server + "\n" + host.logTail());
            }
        }
        finally
        {
            server.kill();
        }
    }

    /** A UDP datagram with nc -u from CLIENT_NS must reach a listener in SERVER_NS. */
    public static void assertUdp(BerthHost host, String serverNs, String clientNs, String serverIp, int port)
    {
        final BerthHost.Spawned server = host.spawn(serverNs, "nc", "-u", "-l", "-n", String.valueOf(port));
        final String msg = "berth-udp-" + Long.toHexString(System.nanoTime());
        try
        {
            Result last = null;
            for (int i = 0; i < 20 && !server.output().contains(msg); i++)
            {
                BerthHost.sleep(300);
                last = inNs(Duration.ofSeconds(10), clientNs, "sh", "-c",
                    "echo " + msg + " | nc -u -n -w 1 " + serverIp + " " + port);
            }
            if (!server.awaitOutput(msg, Duration.ofSeconds(2)))
            {
                fail("UDP " + clientNs + " -> " + serverIp + ":" + port + " did not arrive\nclient: " + last +
                    "\nserver: " + server + "\n" + host.logTail());
            }
        }
        finally
        {
            server.kill();
        }
    }

    // ------------------------------------------------------------------------------------------- capture

    /**
     * Starts {@code tcpdump -l -n -e -i eth0 FILTER…} in NS and waits until it listens. Its output (one line
     * per frame, with MACs) is then in {@link BerthHost.Spawned#output()}.
     */
    public static BerthHost.Spawned capture(BerthHost host, String ns, String... filter)
    {
        final List<String> cmd = new ArrayList<>(List.of("tcpdump", "-l", "-n", "-e", "-i", "eth0"));
        cmd.addAll(List.of(filter));
        final BerthHost.Spawned t = host.spawn(ns, cmd.toArray(String[]::new));
        if (!t.awaitOutput("listening on", Duration.ofSeconds(10)))
        {
            fail("tcpdump did not start in " + ns + "\n" + t);
        }
        return t;
    }

    // ------------------------------------------------------------------------------------------ interfaces

    /** {@code ip -j addr} in NS. */
    public static JsonNode addrs(String ns)
    {
        return ipJson(ns, "-j", "addr");
    }

    /** {@code ip -j -4 route} in NS (main table). */
    public static JsonNode routes(String ns)
    {
        return ipJson(ns, "-j", "-4", "route");
    }

    public static JsonNode ipJson(String ns, String... args)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        final Result r = inNs(ns, cmd.toArray(String[]::new));
        if (!r.ok())
        {
            fail("ip in " + ns + " failed\n" + r);
        }
        return parse(r);
    }

    public static JsonNode parse(Result r)
    {
        try
        {
            final String s = r.out().trim();
            return BerthHost.JSON.readTree(s.isEmpty() ? "[]" : s);
        }
        catch (IOException e)
        {
            throw new AssertionError("not JSON: " + e.getMessage() + "\n" + r, e);
        }
    }

    public static JsonNode link(JsonNode addrs, String ifname)
    {
        for (JsonNode l : addrs)
        {
            if (ifname.equals(l.path("ifname").asText()))
            {
                return l;
            }
        }
        return null;
    }

    public static List<String> ifnames(JsonNode addrs)
    {
        final List<String> names = new ArrayList<>();
        addrs.forEach(l -> names.add(l.path("ifname").asText()));
        return names;
    }

    /** "a.b.c.d/len" of each IPv4 address of the interface. */
    public static List<String> ipv4(JsonNode link)
    {
        final List<String> out = new ArrayList<>();
        if (link != null)
        {
            for (JsonNode a : link.path("addr_info"))
            {
                if ("inet".equals(a.path("family").asText()))
                {
                    out.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
                }
            }
        }
        return out;
    }

    public static boolean isUp(JsonNode link)
    {
        if (link == null)
        {
            return false;
        }
        for (JsonNode f : link.path("flags"))
        {
            if ("UP".equals(f.asText()))
            {
                return true;
            }
        }
        return false;
    }

    /** The default route's gateway in NS, or null. */
    public static String defaultGateway(String ns)
    {
        for (JsonNode r : routes(ns))
        {
            if ("default".equals(r.path("dst").asText()))
            {
                return r.path("gateway").asText(null);
            }
        }
        return null;
    }

    /** Interfaces, addresses, routes and neighbours of NS, for failure messages. */
    public static String diag(String ns)
    {
        return "--- " + ns + " ---\n" + inNs(ns, "ip", "addr").out() + inNs(ns, "ip", "route").out() +
            inNs(ns, "ip", "neigh").out();
    }

    /** The MAC berth derives from an IPv4 address: 02:42 and the four bytes. */
    public static String macFor(String ip)
    {
        final String[] b = ip.split("\\.");
        return String.format("02:42:%02x:%02x:%02x:%02x", Integer.parseInt(b[0]), Integer.parseInt(b[1]),
            Integer.parseInt(b[2]), Integer.parseInt(b[3]));
    }
}
