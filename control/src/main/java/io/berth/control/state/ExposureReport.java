package io.berth.control.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.dataplane.TraceEvent;
import io.berth.control.dataplane.TraceFrames;
import io.berth.control.dataplane.TraceReport;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.PortSpec;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.proxy.LoopbackPublishing;
import io.berth.control.wire.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code berth exposure}: who can reach what. Every answer is a synthetic packet sent through the dataplane's own
 * graph ({@code berth trace}), never sent out: from each other container, from this host (over berth0) and from
 * the LAN (to the uplink), to each published port and to each container's listening ports (read with {@code ss}
 * in its namespace) and addresses. So the report is what the tables enforce today (icc, internal, isolation
 * between networks, published ports, connected containers), not a second model of them.
 * <p>
 * Built on the caller's thread; state is read on the control thread through {@code onControl}.
 */
public final class ExposureReport
{
    /** Runs a piece of the report on the control thread. */
    public interface OnControl
    {
        <T> T call(Callable<T> work) throws Exception;
    }

    private record Target(String container, String sandbox, String network, String ifName, int ip)
    {
        String port()
        {
            return sandbox + "/" + ifName;
        }
    }

    private record Listener(String protocol, String address, int port)
    {
    }

    private record View(String name, String sandbox, List<Target> endpoints, List<Event.PortMapping> ports, int publishIp)
    {
    }

    private record NetworkView(String name, String driver, boolean icc, boolean internal)
    {
    }

    private static final long TRACE_TIMEOUT_MS = 1000;

    private final ControlService service;
    private final OnControl onControl;

    public ExposureReport(final ControlService service, final OnControl onControl)
    {
        this.service = service;
        this.onControl = onControl;
    }

    public ObjectNode build() throws Exception
    {
        final List<View> views = onControl.call(this::containers);
        final List<NetworkView> networks = onControl.call(this::networks);
        final int uplinkIp = service.uplinkIp();
        final ObjectNode report = Json.WIRE.createObjectNode();
        report.put("uplink", uplinkIp == 0 ? "" : Ipv4.format(uplinkIp));

        final ArrayNode published = report.putArray("published");
        for (final View target : views)
        {
            for (final Event.PortMapping m : target.ports())
            {
                published.add(publishedRow(target, m, views, uplinkIp));
            }
        }

        final ArrayNode networkRows = report.putArray("networks");
        for (final NetworkView network : networks)
        {
            final ObjectNode n = networkRows.addObject();
            n.put("network", network.name()).put("driver", network.driver()).put("icc", network.icc())
                .put("internal", network.internal());
            final ArrayNode members = n.putArray("containers");
            final ArrayNode from = n.putArray("from");
            for (final View target : views)
            {
                for (final Target endpoint : target.endpoints())
                {
                    if (!endpoint.network().equals(network.name()))
                    {
                        continue;
                    }
                    members.add(target.name());
                    for (final View source : views)
                    {
                        if (source != target && !source.endpoints().isEmpty())
                        {
                            final JsonNode packet = fromContainer(source, endpoint, TraceFrames.ICMP, 0);
                            from.add(row("container " + source.name(), source.name(), endpoint, "icmp", 0, packet)
                                .put("sourceNetwork", packet.path("sourceNetwork").asText()));
                        }
                    }
                    from.add(row("host", "", endpoint, "icmp", 0, fromOutside(false, TraceFrames.ICMP, endpoint.ip(), 0)));
                    if (uplinkIp != 0)
                    {
                        from.add(row("outside", "", endpoint, "icmp", 0, fromOutside(true, TraceFrames.ICMP,
                            endpoint.ip(), 0)));
                    }
                }
            }
            summarise(n, from);
        }

        final ArrayNode containerRows = report.putArray("containers");
        for (final View target : views)
        {
            final ObjectNode c = containerRows.addObject();
            c.put("container", target.name());
            final ArrayNode listening = c.putArray("listening");
            for (final Listener l : listeners(target.sandbox()))
            {
                final ObjectNode row = listening.addObject();
                row.put("protocol", l.protocol()).put("address", l.address()).put("port", l.port());
                final ArrayNode publishedAs = row.putArray("publishedAs");
                for (final Event.PortMapping m : target.ports())
                {
                    if (m.containerPort() == l.port() && m.protocol().equals(l.protocol()))
                    {
                        publishedAs.add((m.hostIp().isEmpty() ? "0.0.0.0" : m.hostIp()) + ":" + m.hostPort());
                    }
                }
                if (l.address().startsWith("127."))
                {
                    row.put("scope", "loopback: only inside the container");
                    continue;
                }
                row.put("scope", publishedAs.isEmpty() ? "inside its networks only (not published)" : "published");
                final int protocol = l.protocol().equals("udp") ? TraceFrames.UDP : TraceFrames.TCP;
                final ArrayNode from = row.putArray("from");
                for (final Target endpoint : target.endpoints())
                {
                    if (!l.address().equals("0.0.0.0") && !l.address().equals("*")
                        && !l.address().equals(Ipv4.format(endpoint.ip())))
                    {
                        continue;
                    }
                    for (final View source : views)
                    {
                        if (source != target && !source.endpoints().isEmpty())
                        {
                            from.add(row("container " + source.name(), source.name(), endpoint, l.protocol(), l.port(),
                                fromContainer(source, endpoint, protocol, l.port())));
                        }
                    }
                    from.add(row("host", "", endpoint, l.protocol(), l.port(), fromOutside(false, protocol,
                        endpoint.ip(), l.port())));
                    if (uplinkIp != 0)
                    {
                        from.add(row("outside", "", endpoint, l.protocol(), l.port(), fromOutside(true, protocol,
                            endpoint.ip(), l.port())));
                    }
                }
            }
        }
        return report;
    }

    /**
     * The network's answer in short: the networks from which at least one of its containers is reached (the
     * network of the interface the packet left its source by), and whether the host and the LAN reach one.
     */
    private static void summarise(final ObjectNode network, final ArrayNode rows)
    {
        final Set<String> networks = new TreeSet<>();
        boolean host = false;
        boolean outside = false;
        for (final JsonNode row : rows)
        {
            if (!row.path("reachable").asBoolean())
            {
                continue;
            }
            switch (row.path("from").asText())
            {
                case "host" -> host = true;
                case "outside" -> outside = true;
                default -> networks.add(row.path("sourceNetwork").asText());
            }
        }
        final ObjectNode summary = network.putObject("reachableFrom");
        networks.forEach(summary.putArray("networks")::add);
        summary.put("host", host).put("outside", outside);
    }

    private ObjectNode publishedRow(final View target, final Event.PortMapping m, final List<View> views,
        final int uplinkIp) throws Exception
    {
        final ObjectNode p = Json.WIRE.createObjectNode();
        p.put("container", target.name()).put("protocol", m.protocol())
            .put("hostIp", m.hostIp().isEmpty() ? "0.0.0.0" : m.hostIp()).put("hostPort", m.hostPort())
            .put("containerPort", m.containerPort());
        final Target endpoint = target.endpoints().stream().filter(e -> e.ip() == target.publishIp()).findFirst()
            .orElse(null);
        final ArrayNode from = p.putArray("from");
        if (endpoint == null)
        {
            return p.put("note", "the container has no address its ports lead to");
        }
        final long[] uplink6 = service.observe().uplinkIpv6();
        if (PortSpec.onUplink6(m) && uplink6 != null)
        {
            // issue 27: the IPv6 side, a DNAT on the uplink's IPv6 address, traced as the IPv4 side is
            final ObjectNode outside6 = from.addObject().put("from", "outside (IPv6)").put("target", "[" +
                Ipv6Cidr.format(uplink6[0], uplink6[1]) + "]:" + m.hostPort());
            verdict(outside6, endpoint, report(service.observe().traceFromIpv6(m.protocol().equals("udp")
                ? TraceFrames.UDP : TraceFrames.TCP, uplink6, m.hostPort(), TRACE_TIMEOUT_MS)));
        }
        final int protocol = m.protocol().equals("udp") ? TraceFrames.UDP : TraceFrames.TCP;
        final boolean onUplink = uplinkIp != 0 && (m.hostIp().isEmpty() || m.hostIp().equals(Ipv4.format(uplinkIp)));
        if (uplinkIp != 0)
        {
            final ObjectNode outside = from.addObject().put("from", "outside").put("target", Ipv4.format(uplinkIp)
                + ":" + m.hostPort());
            if (onUplink)
            {
                verdict(outside, endpoint, fromOutside(true, protocol, uplinkIp, m.hostPort()));
            }
            else
            {
                outside.put("reachable", false).put("why", "published on " + m.hostIp() + " only");
            }
        }
        final boolean loopback6 = m.hostIp().equals(PortSpec.ALL6) || m.hostIp().equals(PortSpec.LOOPBACK6);
        final ObjectNode host = from.addObject().put("from", "host").put("target", (loopback6 ? "[::1]:" : "127.0.0.1:")
            + m.hostPort());
        if (LoopbackPublishing.onLoopback(m) && protocol == TraceFrames.TCP && target.sandbox() != null)
        {
            // the proxy connects from inside the container's namespace: its loopback, no packet in the dataplane
            host.put("reachable", true).put("why", "the proxy connects to " + Ipv4.format(endpoint.ip()) + ":" +
                m.containerPort() + " inside " + target.name() + "'s namespace");
            host.put("via", "berthd's " + (loopback6 ? "[::1]" : "127.0.0.1") + " proxy, spliced, then the container's "
                + "loopback");
        }
        else if (LoopbackPublishing.onLoopback(m))
        {
            // berthd's 127.0.0.1 proxy connects over berth0 to the container's port
            verdict(host, endpoint, fromOutside(false, protocol, endpoint.ip(), m.containerPort()));
            host.put("via", "berthd's 127.0.0.1 proxy, then berth0");
        }
        else
        {
            host.put("reachable", false).put("why", "published on " + m.hostIp() + " only: no 127.0.0.1 proxy");
        }
        for (final View source : views)
        {
            if (source == target || source.endpoints().isEmpty())
            {
                continue;
            }
            final ObjectNode hairpin = from.addObject().put("from", "container " + source.name())
                .put("source", source.name());
            if (!onUplink)
            {
                hairpin.put("reachable", false).put("why", uplinkIp == 0 ? "no uplink address to publish on"
                    : "published on " + m.hostIp() + " only");
                continue;
            }
            hairpin.put("target", Ipv4.format(uplinkIp) + ":" + m.hostPort());
            final ObserveController.TracePlan plan = onControl.call(() -> service.observe().planTrace(source.name(),
                Ipv4.format(uplinkIp) + ":" + m.hostPort() + "/" + m.protocol()));
            verdict(hairpin, endpoint, report(service.observe().trace(plan, 0, TRACE_TIMEOUT_MS)));
        }
        return p;
    }

    private JsonNode fromContainer(final View source, final Target target, final int protocol, final int port)
        throws Exception
    {
        final String to = Ipv4.format(target.ip()) + (protocol == TraceFrames.ICMP ? "/icmp"
            : ":" + port + (protocol == TraceFrames.UDP ? "/udp" : "/tcp"));
        final ObserveController.TracePlan plan = onControl.call(() -> service.observe().planTrace(source.name(), to));
        final JsonNode packet = report(service.observe().trace(plan, 0, TRACE_TIMEOUT_MS));
        return ((ObjectNode)packet).put("sourceNetwork", plan.network()); // the interface it left the source by
    }

    private JsonNode fromOutside(final boolean uplink, final int protocol, final int destination, final int port)
        throws Exception
    {
        return report(service.observe().traceFrom(uplink, protocol, destination, port, TRACE_TIMEOUT_MS));
    }

    private static JsonNode report(final List<TraceEvent> events)
    {
        final JsonNode packets = TraceReport.build(events, true).path("packets");
        return packets.isEmpty() ? Json.WIRE.createObjectNode().put("outcome", "none") : packets.get(0);
    }

    private static ObjectNode row(final String from, final String source, final Target to, final String protocol,
        final int port, final JsonNode packet)
    {
        final ObjectNode row = Json.WIRE.createObjectNode();
        row.put("from", from);
        if (!source.isEmpty())
        {
            row.put("source", source);
        }
        row.put("target", Ipv4.format(to.ip()) + (port > 0 ? ":" + port : "")).put("targetContainer", to.container())
            .put("protocol", protocol);
        return returnPath(verdict(row, to, packet), to, packet);
    }

    private static ObjectNode verdict(final ObjectNode row, final Target to, final JsonNode packet)
    {
        final boolean reached = "tx".equals(packet.path("outcome").asText())
            && to.port().equals(packet.path("egress").asText());
        row.put("reachable", reached);
        row.put("why", reached ? "delivered to " + to.port() : packet.path("verdict").asText("no answer from the dataplane"));
        return row;
    }

    /**
     * A request that arrives is answered only if the container's own route back to the sender leaves by the
     * interface it came in on: otherwise the reply leaves from another port with this address, which berth's port
     * security drops (spoofed_source), as the container's rp_filter does the request. Read from its kernel.
     */
    private static ObjectNode returnPath(final ObjectNode row, final Target to, final JsonNode packet)
    {
        final String source = packet.path("source").asText();
        if (!row.path("reachable").asBoolean() || source.isEmpty())
        {
            return row;
        }
        final String back = routeDevice(to.sandbox(), source);
        if (back != null && !back.equals(to.ifName()))
        {
            row.put("reachable", false).put("why", "arrives on " + to.ifName() + ", but " + to.container()
                + "'s route back to " + source + " leaves by " + back + ": the answer is dropped (port security: "
                + "spoofed_source, and rp_filter)");
        }
        return row;
    }

    /** The interface {@code ip route get DESTINATION} names in the sandbox, or null. */
    private static String routeDevice(final String sandbox, final String destination)
    {
        try
        {
            final Process ip = new ProcessBuilder("ip", "netns", "exec", sandbox, "ip", "-o", "route", "get",
                destination).redirectErrorStream(true).start();
            final String out = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!ip.waitFor(10, TimeUnit.SECONDS) || ip.exitValue() != 0)
            {
                return null;
            }
            final Matcher dev = Pattern.compile(" dev (\\S+)").matcher(out);
            return dev.find() ? dev.group(1) : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    // ------------------------------------------------------------------ what there is (control thread)

    private List<View> containers()
    {
        final List<View> views = new ArrayList<>();
        for (final Container c : service.state().containers())
        {
            final List<Target> endpoints = new ArrayList<>();
            for (final Endpoint e : c.endpoints())
            {
                endpoints.add(new Target(c.name(), c.sandbox(), service.state().networkName(e.networkId()),
                    e.ifName(), e.ip()));
            }
            views.add(new View(c.name(), c.sandbox(), endpoints, c.ports(), c.publishAddress()));
        }
        return views;
    }

    private List<NetworkView> networks()
    {
        final List<NetworkView> list = new ArrayList<>();
        for (final Network n : service.state().networks())
        {
            if (!n.hasAddresses())
            {
                continue; // host, none
            }
            list.add(new NetworkView(n.name(), n.driver(), !"false".equals(n.options().getOrDefault("icc", "true")),
                n.internal()));
        }
        return list;
    }

    // ------------------------------------------------------------------ listening sockets (ss in the namespace)

    private static List<Listener> listeners(final String sandbox)
    {
        final List<Listener> found = new ArrayList<>();
        try
        {
            final Process ss = new ProcessBuilder("ip", "netns", "exec", sandbox, "ss", "-Hltnu4")
                .redirectErrorStream(true).start();
            final String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!ss.waitFor(10, TimeUnit.SECONDS) || ss.exitValue() != 0)
            {
                throw new BerthException("cannot read the listening sockets of " + sandbox + ": " + out.strip());
            }
            final Map<String, Listener> unique = new LinkedHashMap<>();
            for (final String line : out.split("\n"))
            {
                // udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:*   |   tcp LISTEN 0 5 127.0.0.11:53 0.0.0.0:*
                final String[] f = line.trim().split("\\s+");
                if (f.length < 5)
                {
                    continue;
                }
                final String local = f[4];
                final int colon = local.lastIndexOf(':');
                final String address = local.substring(0, colon).replaceAll("%.*", "");
                final int port = Integer.parseInt(local.substring(colon + 1));
                if (address.equals("127.0.0.11"))
                {
                    continue; // berth's embedded DNS
                }
                final Listener l = new Listener(f[0], address.equals("*") ? "0.0.0.0" : address, port);
                unique.putIfAbsent(l.toString(), l);
            }
            found.addAll(unique.values());
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot run ss in " + sandbox + ": " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return found;
    }
}
