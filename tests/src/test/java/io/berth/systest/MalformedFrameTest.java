package io.berth.systest;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.berth.systest.BerthHost.inNs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.List;

/** Malformed and truncated frames written into a container's eth0 are counted as drops; switching goes on. */
class MalformedFrameTest extends SystemTestBase
{
    /**
     * Writes broken frames with a raw AF_PACKET socket on eth0. argv: gateway MAC, own MAC, own IP, gateway IP.
     * Every frame has a whole Ethernet header (the kernel pads shorter writes), the damage is above it.
     */
    private static final String INJECT = String.join("\n",
        "import socket, struct, sys",
        "gw = bytes.fromhex(sys.argv[1].replace(':', ''))",
        "me = bytes.fromhex(sys.argv[2].replace(':', ''))",
        "myip = socket.inet_aton(sys.argv[3]); gwip = socket.inet_aton(sys.argv[4])",
        "bc = b'\\xff' * 6",
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
        "s.bind(('eth0', 0))",
        "frames = [",
        "  bc + me + b'\\x08\\x00',                                   # IPv4 ethertype, no IPv4 header at all",
        "  bc + me + b'\\x08\\x06' + b'\\x00\\x01\\x08\\x00\\x06\\x04',     # ARP cut after 6 bytes",
        "  gw + me + b'\\x08\\x00' + b'\\x45\\x00\\x03\\xe8' + b'\\x00' * 6,  # IPv4: total length 1000, 10 bytes there",
        "  gw + me + b'\\x08\\x00' + b'\\x43' + b'\\x00' * 19 + b'\\x00' * 8,  # IPv4 with IHL 3 (< 5)",
        "  gw + me + b'\\x08\\x00' + bytes([0x45,0,0,22,0,1,0,0,64,1,0,0]) + myip + gwip + b'\\x08\\x00',  # ICMP cut to 2 bytes",
        "  bc + b'\\x01\\x00\\x5e\\x00\\x00\\x01' + b'\\x08\\x00' + b'\\x00' * 46,  # multicast source MAC",
        "]",
        "n = 0",
        "for rep in range(5):",
        "  for f in frames:",
        "    n += 1 if s.send(f) > 0 else 0",
        "print('sent', n)");

    @Test
    void malformedFramesAreCountedAsDropsAndSwitchingGoesOn()
    {
        host.createNetwork("mal", "--subnet", "10.91.0.0/24");
        final String a = host.run("a", "--network", "mal");
        final String b = host.run("b", "--network", "mal");
        Net.assertPings(a, "10.91.0.3", host);
        Net.assertPings(a, "10.91.0.1", host);
        final String neigh = inNs(a, "ip", "-j", "neigh", "show", "10.91.0.1").out();
        final JsonNode n = Net.parse(new Result(List.of("ip", "neigh"), 0, neigh, ""));
        final String gwMac = n.path(0).path("lladdr").asText("ff:ff:ff:ff:ff:ff");

        final Map<String, Long> before = drops(host.berthOk("counters").out());
        final Result inject = inNs(a, "python3", "-c", INJECT, gwMac, "02:42:0a:5b:00:02", "10.91.0.2", "10.91.0.1");
        assertEquals(0, inject.exit(), inject::toString);
        BerthHost.sleep(500);
        final String countersAfter = host.berthOk("counters").out();
        final Map<String, Long> after = drops(countersAfter);

        final long sumBefore = before.values().stream().mapToLong(Long::longValue).sum();
        final long sumAfter = after.values().stream().mapToLong(Long::longValue).sum();
        final Map<String, Long> increased = new TreeMap<>();
        after.forEach((k, v) ->
        {
            if (v > before.getOrDefault(k, 0L))
            {
                increased.put(k, v - before.getOrDefault(k, 0L));
            }
        });
        System.out.println("drop counters that increased: " + increased);
        assertTrue(sumAfter > sumBefore && !increased.isEmpty(),
            () -> "no drop counter increased after " + inject.out() + " malformed frames\nbefore: " + before +
                "\nafter: " + after + "\nberth counters:\n" + countersAfter);

        // berthd keeps switching
        Net.assertPings(a, "10.91.0.3", host);
        Net.assertPings(b, "10.91.0.2", host);
        Net.assertPings(b, "10.91.0.1", host);
        Net.assertTcpEcho(host, b, a, "10.91.0.3", 7201);
        if (!host.running())
        {
            fail("berthd died\n" + host.logTail());
        }
    }

    /**
     * The drop counters in {@code berth counters}: from JSON, every number under a key that mentions "drop"
     * (e.g. {"drops": {"truncated": 3}}); from the table, the rows of the table whose header mentions DROP.
     */
    static Map<String, Long> drops(String counters)
    {
        final Map<String, Long> out = new TreeMap<>();
        try
        {
            final JsonNode root = BerthHost.JSON.readTree(counters);
            if (root != null && root.isContainerNode())
            {
                collect(root, "", false, out);
                return out;
            }
        }
        catch (IOException ignored)
        {
            // not JSON: read it as text
        }
        // tables separated by blank lines; in a table whose header mentions DROP (e.g. "DROP REASON  COUNT")
        // every row is "reason ... count"; elsewhere a line "something_drop…: N" counts too
        final Pattern kv = Pattern.compile("([A-Za-z][\\w./-]*drop[\\w./-]*)\\s*[:=]?\\s*(\\d+)", Pattern.CASE_INSENSITIVE);
        boolean dropTable = false;
        boolean header = true;
        for (String line : counters.split("\n"))
        {
            if (line.isBlank())
            {
                header = true;
                dropTable = false;
                continue;
            }
            if (header)
            {
                header = false;
                dropTable = line.toLowerCase().contains("drop");
                continue;
            }
            final String[] cols = line.trim().split("\\s+");
            if (dropTable && cols.length >= 2 && cols[cols.length - 1].matches("\\d+"))
            {
                out.merge(cols[0], Long.parseLong(cols[cols.length - 1]), Long::sum);
                continue;
            }
            final Matcher m = kv.matcher(line);
            while (m.find())
            {
                out.merge(m.group(1), Long.parseLong(m.group(2)), Long::sum);
            }
        }
        return out;
    }

    private static void collect(JsonNode node, String path, boolean underDrop, Map<String, Long> out)
    {
        if (node.isNumber())
        {
            if (underDrop)
            {
                out.put(path, node.asLong());
            }
            return;
        }
        if (node.isObject())
        {
            final Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext())
            {
                final Map.Entry<String, JsonNode> e = it.next();
                collect(e.getValue(), path + "/" + e.getKey(), underDrop || e.getKey().toLowerCase().contains("drop"), out);
            }
        }
        else if (node.isArray())
        {
            for (int i = 0; i < node.size(); i++)
            {
                collect(node.get(i), path + "[" + i + "]", underDrop, out);
            }
        }
    }
}
