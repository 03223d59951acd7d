package io.berth.control.dataplane;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.wire.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns the steps of traced packets into what each node did: the L2 lookup (a port, the gateway, a flood), the
 * conntrack classification and entry, a NAT rewrite before and after, the route's next hop and egress, and the
 * end (sent, dropped with its reason, delivered). What a node did is read from the packet as the node got it and
 * as the next one did, so it is what the dataplane did, not a second model of it. Stateless.
 */
public final class TraceReport
{
    private TraceReport()
    {
    }

    /** {"packets":[{"packet":1,"synthetic":…,"packetSeen":"tcp …","steps":[{"node","action"}…],"verdict":…}]} */
    public static ObjectNode build(final List<TraceEvent> events, final boolean synthetic)
    {
        final Map<Integer, List<TraceEvent>> byPacket = new TreeMap<>();
        for (final TraceEvent e : events)
        {
            byPacket.computeIfAbsent(e.packet(), k -> new ArrayList<>()).add(e);
        }
        final ObjectNode report = Json.WIRE.createObjectNode();
        final ArrayNode packets = report.putArray("packets");
        for (final Map.Entry<Integer, List<TraceEvent>> packet : byPacket.entrySet())
        {
            packets.add(packet(packet.getKey(), packet.getValue(), synthetic));
        }
        return report;
    }

    private static ObjectNode packet(final int number, final List<TraceEvent> steps, final boolean synthetic)
    {
        final ObjectNode p = Json.WIRE.createObjectNode();
        p.put("packet", number).put("synthetic", synthetic);
        final TraceEvent first = steps.get(0);
        p.put("packetSeen", TraceFrames.describe(first.frame())).put("inPort", first.inPort())
            .put("source", TraceFrames.sourceIp(first.frame()));
        final ArrayNode out = p.putArray("steps");
        String verdict = "still in the dataplane when the trace ended (parked for ARP?)";
        p.put("outcome", "pending").put("egress", "");
        for (int i = 0; i < steps.size(); i++)
        {
            final TraceEvent step = steps.get(i);
            if (!step.kind().equals("enter"))
            {
                verdict = end(step, synthetic, lastFrame(steps, i));
                p.put("outcome", step.kind()).put("egress", step.kind().equals("tx") ? step.egress() : "")
                    .put("endNode", step.node());
                if (step.reason() != null)
                {
                    p.put("reason", step.reason());
                }
                continue;
            }
            final TraceEvent next = i + 1 < steps.size() ? steps.get(i + 1) : null;
            final ObjectNode s = out.addObject();
            s.put("node", step.node());
            s.put("action", action(step, next, synthetic));
            if (next != null && "enter".equals(next.kind()) && next.ctClass() != null && step.node().equals("conntrack"))
            {
                s.put("ctState", next.ctClass());
                if (next.ctEntry() != null)
                {
                    s.put("ctEntry", next.ctEntry());
                }
            }
            final String before = TraceFrames.tuple(step.frame());
            final String after = next == null ? null : "enter".equals(next.kind()) ? TraceFrames.tuple(next.frame()) : null;
            if (before != null && after != null && !before.equals(after))
            {
                s.put("before", before).put("after", after);
            }
        }
        p.put("verdict", verdict);
        return p;
    }

    private static byte[] lastFrame(final List<TraceEvent> steps, final int end)
    {
        for (int i = end - 1; i >= 0; i--)
        {
            if (steps.get(i).frame() != null)
            {
                return steps.get(i).frame();
            }
        }
        return null;
    }

    private static String end(final TraceEvent step, final boolean synthetic, final byte[] last)
    {
        final String what = TraceFrames.describe(last);
        return switch (step.kind())
        {
            case "tx" -> (synthetic ? "would leave on " : "left on ") + egress(step.egress()) + " as " + what
                + (synthetic ? " (synthetic: not sent)" : "");
            case "drop" -> "dropped at " + step.node() + ": " + step.reason();
            case "delivered" -> "delivered to berthd at " + step.node() + " (a local service took it)";
            default -> "merged at " + step.node() + " into a reassembled datagram";
        };
    }

    private static String egress(final String egress)
    {
        return egress.isEmpty() ? "no port" : egress.equals("flood") ? "every port of the network (flooded)" : egress;
    }

    private static String action(final TraceEvent step, final TraceEvent next, final boolean synthetic)
    {
        if (next == null)
        {
            return "held (parked, e.g. waiting for ARP)";
        }
        if (next.kind().equals("drop"))
        {
            return "DROP " + next.reason();
        }
        final String to = next.kind().equals("enter") ? next.node() : null;
        final byte[] f = step.frame();
        final byte[] g = next.frame();
        return switch (step.node())
        {
            case "parse" -> TraceFrames.describe(f) + ", received on " + step.inPort();
            case "port-security" -> "allowed: source MAC " + TraceFrames.sourceMac(f) + " and address are the port's own";
            case "l2-forward" -> switch (to == null ? "" : to)
            {
                case "tx" -> next.egress().equals("flood") ? "dst MAC " + TraceFrames.destinationMac(f)
                    + " unknown or broadcast: flood to the network's ports" : "dst MAC " + TraceFrames.destinationMac(f)
                    + " is on port " + egress(next.egress());
                case "gateway" -> "dst MAC " + TraceFrames.destinationMac(f) + " is the network's gateway: to the router";
                case "routed-port" -> "to berthd's routed port";
                default -> "on to " + to;
            };
            case "gateway" -> "tx".equals(to) ? "answered by the gateway (ARP or ping)" : "IPv4 through the gateway: on to routing";
            case "local-delivery" -> "not for a local service: on to " + to;
            case "defrag" -> "reassembly: on to " + to;
            case "conntrack" -> conntrack(next);
            case "dnat" -> rewrite("DNAT", f, g, "no published port matched: destination unchanged");
            case "route" -> "route: next hop MAC " + TraceFrames.destinationMac(g) + " from " + TraceFrames.sourceMac(g)
                + ", egress " + egress(next.egress()) + "; isolation: allowed"
                + (TraceFrames.describe(f).equals(TraceFrames.describe(g)) ? "" : "; now " + TraceFrames.describe(g));
            case "snat" -> rewrite("SNAT (masquerade)", f, g, "no source translation");
            case "ip-fragment" -> g != null && next.frameLength() != step.frameLength() ? "fragmented" : "fits the egress MTU";
            case "tx" -> "transmit";
            default -> "on to " + to;
        };
    }

    private static String conntrack(final TraceEvent next)
    {
        if (next.ctClass() == null || next.ctClass().equals("untracked"))
        {
            return "untracked (not TCP, UDP or ICMP echo/error, or a fragment)";
        }
        return next.ctClass() + (next.ctDirection() == null ? "" : " (" + next.ctDirection() + " direction)")
            + (next.ctEntry() == null ? "" : ": " + next.ctEntry());
    }

    private static String rewrite(final String what, final byte[] before, final byte[] after, final String none)
    {
        final String a = TraceFrames.tuple(before);
        final String b = TraceFrames.tuple(after);
        return a == null || b == null || a.equals(b) ? none : what + " " + a + " -> " + b;
    }

    /** The report as text: one block per packet, a line per node. */
    public static String text(final ObjectNode report)
    {
        final StringBuilder b = new StringBuilder();
        for (final JsonNode p : report.path("packets"))
        {
            b.append("packet ").append(p.path("packet").asInt()).append(p.path("synthetic").asBoolean()
                ? " (synthetic, never sent)" : "").append(": ").append(p.path("packetSeen").asText()).append(" from ")
                .append(p.path("inPort").asText()).append('\n');
            for (final JsonNode s : p.path("steps"))
            {
                b.append(String.format("  %-15s %s%n", s.path("node").asText(), s.path("action").asText()));
            }
            b.append("  => ").append(p.path("verdict").asText()).append('\n');
        }
        if (report.path("packets").isEmpty())
        {
            b.append("no packet matched before the trace ended\n");
        }
        return b.toString();
    }
}
