package io.berth.control.state;

import io.berth.control.dataplane.CaptureRing;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.TraceEvent;
import io.berth.control.dataplane.TraceFrames;
import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Observing the dataplane: counters, capture, trace and the tracked connections. It changes no configuration.
 * Control thread, except {@link #trace} and {@link #traceFrom}, which wait on the dataplane in the caller's thread.
 */
public final class ObserveController
{
    private final State state;
    private final Dataplane dataplane;
    private final int uplinkIp;
    private final ControlCore core;

    ObserveController(final ControlCore core)
    {
        this.state = core.state;
        this.dataplane = core.dataplane;
        this.uplinkIp = core.uplinkIp;
        this.core = core;
    }

    private final Map<String, Supplier<Object>> extraCounters = new LinkedHashMap<>();

    public Map<String, Object> counters()
    {
        final Map<String, Object> counters = new LinkedHashMap<>(dataplane.counters());
        extraCounters.forEach((name, supplier) -> counters.put(name, supplier.get()));
        return counters;
    }

    private Supplier<Object> nodes = () ->
    {
        throw new BerthException("berth node ls lists the hosts of a store: start berthd with --store " +
            "etcd://HOST:PORT and --uplink");
    };

    /** {@code berth node ls}: the store's hosts and this host's WireGuard sessions to them. */
    public Object nodes()
    {
        return nodes.get();
    }

    public void nodesFrom(final Supplier<Object> source)
    {
        this.nodes = source;
    }

    /** A section of {@code berth counters} that a service keeps (DNS). */
    public void addCounters(final String name, final Supplier<Object> supplier)
    {
        extraCounters.put(name, supplier);
    }

    /** Capture stage names as the CLI gives them, and the graph node each stands for. */
    public static String stageNode(final String stage)
    {
        return switch (stage == null || stage.isEmpty() ? "rx" : stage)
        {
            case "rx" -> "parse";               // as the ports handed them over
            case "pre-nat" -> "conntrack";      // routed packets, before DNAT and SNAT
            case "post-nat" -> "ip-fragment";   // routed packets, translated, before tx
            case "tx" -> "tx";                  // whatever leaves, on its way to the port
            default -> stage;                   // any graph node by name
        };
    }

    /**
     * {@code berth capture}: arms a capture at {@code stage} on the ports of exactly one target, a container
     * (optionally one interface), a port by name, the uplink, or every local container of a network.
     */
    public CaptureRing.Session capture(final String containerArg, final String port,
        final boolean uplink, final String networkArg, final String stage, final int snaplen)
    {
        final int targets = (containerArg == null ? 0 : 1) + (port == null ? 0 : 1) + (uplink ? 1 : 0)
            + (networkArg == null ? 0 : 1);
        if (targets != 1)
        {
            throw new BerthException("give exactly one capture target: CONTAINER[:IFACE], --port NAME, --uplink or " +
                "--network NET");
        }
        if (snaplen < 1 || snaplen > 262144)
        {
            throw new BerthException("--snaplen " + snaplen + " is out of range: give 1..262144 bytes");
        }
        final List<String> names = new ArrayList<>();
        if (containerArg != null)
        {
            final int colon = containerArg.indexOf(':');
            final Container container = state.container(colon < 0 ? containerArg : containerArg.substring(0, colon));
            final String iface = colon < 0 ? null : containerArg.substring(colon + 1);
            for (final Endpoint endpoint : container.endpoints())
            {
                if (iface == null || iface.equals(endpoint.ifName()))
                {
                    names.add(endpoint.device());
                }
            }
            if (names.isEmpty())
            {
                throw new BerthException("container " + container.name() + (iface == null ? " has no interface "
                    + "berth switches (--network " + core.modeText(container) + ")" : " has no interface " + iface + "; it has "
                    + container.endpoints().stream().map(Endpoint::ifName).toList()));
            }
        }
        else if (networkArg != null)
        {
            final Network network = state.network(networkArg);
            for (final Container container : state.containers())
            {
                final Endpoint endpoint = container.endpointOn(network.id());
                if (endpoint != null)
                {
                    names.add(endpoint.device());
                }
            }
            if (names.isEmpty())
            {
                throw new BerthException("network " + network.name() + " has no containers on this host to capture");
            }
        }
        else if (uplink)
        {
            if (uplinkIp == 0)
            {
                throw new BerthException("berthd has no uplink (start it with --uplink IFACE --uplink-ip CIDR)");
            }
            names.add("uplink");
        }
        else
        {
            names.add(port);
        }
        return dataplane.capture(stageNode(stage), names, snaplen);
    }

    /**
     * What {@code berth trace --from CONTAINER --to IP[:PORT][/tcp|/udp|/icmp]} sends or follows: the container's
     * port on the network that leads to IP (the one whose subnet holds it, else the first), and the packet its
     * kernel would send there (to the destination's MAC on the same network, else to the gateway's).
     */
    public record TracePlan(String container, String portName, String network, int protocol, int source,
        int destination, int sourcePort, int destinationPort, byte[] frame, long[] destination6)
    {
        /** An IPv6 trace: its destination is {@link #destination6}. */
        public boolean ipv6()
        {
            return destination6 != null;
        }
    }

    public TracePlan planTrace(final String from, final String to)
    {
        if (from == null || to == null)
        {
            throw new BerthException("give --from CONTAINER and --to IP[:PORT][/tcp|/udp|/icmp]");
        }
        final Container container = state.container(from);
        if (container.endpoints().isEmpty())
        {
            throw new BerthException("container " + container.name() + " has no interface berth switches (--network "
                + core.modeText(container) + "): nothing to trace");
        }
        String target = to;
        int protocol = 0;
        final int slash = target.indexOf('/');
        if (slash >= 0)
        {
            protocol = switch (target.substring(slash + 1))
            {
                case "tcp" -> TraceFrames.TCP;
                case "udp" -> TraceFrames.UDP;
                case "icmp" -> TraceFrames.ICMP;
                default -> throw new BerthException("--to " + to + ": unknown protocol '" + target.substring(slash + 1)
                    + "': give tcp, udp or icmp");
            };
            target = target.substring(0, slash);
        }
        int port = -1;
        final long[] destination6;
        if (target.startsWith("[") || target.indexOf(':') != target.lastIndexOf(':'))
        {
            // IPv6 (issue 27): [ADDRESS]:PORT, [ADDRESS] or a bare ADDRESS
            final int close = target.indexOf(']');
            if (target.startsWith("[") && (close < 0 || (close + 1 < target.length() && target.charAt(close + 1) != ':')))
            {
                throw new BerthException("--to " + to + ": an IPv6 address is written [ADDRESS] or [ADDRESS]:PORT");
            }
            if (target.startsWith("[") && close + 1 < target.length())
            {
                port = port(to, target.substring(close + 2));
            }
            destination6 = Ipv6Cidr.parseAddress(target.startsWith("[") ? target.substring(1, close) : target, "--to");
            target = null;
        }
        else
        {
            destination6 = null;
        }
        final int colon = target == null ? -1 : target.indexOf(':');
        if (colon >= 0)
        {
            try
            {
                port = Integer.parseInt(target.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                port = -1;
            }
            if (port < 1 || port > 65535)
            {
                throw new BerthException("--to " + to + ": port '" + target.substring(colon + 1) + "' is not 1..65535");
            }
            target = target.substring(0, colon);
        }
        if (protocol == 0)
        {
            protocol = port > 0 ? TraceFrames.TCP : TraceFrames.ICMP;
        }
        if (protocol == TraceFrames.ICMP && port > 0)
        {
            throw new BerthException("--to " + to + ": ICMP has no port; give IP/icmp or IP:PORT/tcp|udp");
        }
        if (protocol != TraceFrames.ICMP && port < 0)
        {
            throw new BerthException("--to " + to + ": TCP and UDP need a port (IP:PORT/tcp)");
        }
        if (destination6 != null)
        {
            return planTrace6(container, to, protocol, port, destination6);
        }
        final int destination = Ipv4.parse(target, "--to");
        Endpoint via = container.endpoints().iterator().next();
        for (final Endpoint endpoint : container.endpoints())
        {
            final Network on = state.networkById(endpoint.networkId());
            if (on != null && on.subnet().contains(destination))
            {
                via = endpoint;
                break;
            }
        }
        final Network network = state.networkById(via.networkId());
        long dstMac = Ipv4.macFor(network.gateway());
        if (network.subnet().contains(destination) && destination != network.gateway())
        {
            dstMac = 0xFFFF_FFFF_FFFFL; // nobody of that address here: what ARP would be for, flooded
            for (final Container other : state.containers())
            {
                final Endpoint theirs = other.endpointOn(network.id());
                if (theirs != null && theirs.ip() == destination)
                {
                    dstMac = theirs.mac();
                }
            }
        }
        final int sourcePort = TraceFrames.ephemeralPort();
        final byte[] frame = TraceFrames.build(dstMac, via.mac(), protocol, via.ip(),
            destination, sourcePort, Math.max(port, 0));
        return new TracePlan(container.name(), via.device(), network.name(), protocol, via.ip(), destination, sourcePort,
            port, frame, null);
    }

    private static int port(final String to, final String text)
    {
        int port;
        try
        {
            port = Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            port = -1;
        }
        if (port < 1 || port > 65535)
        {
            throw new BerthException("--to " + to + ": port '" + text + "' is not 1..65535");
        }
        return port;
    }

    /**
     * An IPv6 trace (issue 27): from the container's endpoint on the dual-stack network whose prefix holds the
     * address, else its first dual-stack one, to that container's MAC or the gateway's.
     */
    private TracePlan planTrace6(final Container container, final String to, final int protocol, final int port,
        final long[] destination)
    {
        Endpoint via = null;
        for (final Endpoint endpoint : container.endpoints())
        {
            final Network on = state.networkById(endpoint.networkId());
            if (on != null && on.ipv6Subnet() != null && (via == null || on.ipv6Subnet().contains(destination[0],
                destination[1])))
            {
                via = endpoint;
            }
        }
        if (via == null)
        {
            throw new BerthException("--to " + to + ": container " + container.name() + " has no IPv6 address (its " +
                "networks are IPv4-only; create one with --ipv6)");
        }
        final Network network = state.networkById(via.networkId());
        long dstMac = Ipv4.macFor(network.gateway());
        final long[] gateway6 = network.ipv6Gateway();
        if (network.ipv6Subnet().contains(destination[0], destination[1])
            && !(destination[0] == gateway6[0] && destination[1] == gateway6[1]))
        {
            dstMac = 0xFFFF_FFFF_FFFFL; // nobody of that address here: what neighbour discovery would ask for
            for (final Container other : state.containers())
            {
                final Endpoint theirs = other.endpointOn(network.id());
                final long[] address = theirs == null ? null : network.ipv6AddressOf(theirs.ip());
                if (address != null && address[0] == destination[0] && address[1] == destination[1])
                {
                    dstMac = theirs.mac();
                }
            }
        }
        final int sourcePort = TraceFrames.ephemeralPort();
        final byte[] frame = TraceFrames.build6(dstMac, via.mac(), protocol, network.ipv6AddressOf(via.ip()),
            destination, sourcePort, Math.max(port, 0));
        return new TracePlan(container.name(), via.device(), network.name(), protocol, via.ip(), 0, sourcePort, port,
            frame, destination);
    }

    /** A synthetic packet from the LAN (to the uplink) or from this host (over berth0); caller's thread. */
    public List<TraceEvent> traceFrom(final boolean uplink, final int protocol,
        final int destination, final int port, final long timeoutMs) throws InterruptedException
    {
        return dataplane.traceFrom(uplink, protocol, destination, port, timeoutMs);
    }

    /** A synthetic IPv6 packet from the LAN to the uplink's IPv6 side (issue 27); caller's thread. */
    public List<TraceEvent> traceFromIpv6(final int protocol, final long[] destination, final int port,
        final long timeoutMs) throws InterruptedException
    {
        return dataplane.traceFromIpv6(protocol, destination, port, timeoutMs);
    }

    /** berthd's uplink IPv6 address ({hi, lo}), or null. */
    public long[] uplinkIpv6()
    {
        return dataplane.uplinkIpv6();
    }

    /** Runs a planned trace (caller's thread: it waits on the dataplane, not the control thread). */
    public List<TraceEvent> trace(final TracePlan plan, final int next,
        final long timeoutMs) throws InterruptedException
    {
        if (next > 0 && plan.ipv6())
        {
            return dataplane.traceIpv6(plan.portName(), plan.destination6(), plan.protocol(),
                plan.protocol() == TraceFrames.ICMP ? -1 : plan.destinationPort(), next, timeoutMs);
        }
        return next > 0
            ? dataplane.trace(plan.portName(), null, plan.destination(), plan.protocol(),
                plan.protocol() == TraceFrames.ICMP ? -1 : plan.destinationPort(), next,
                timeoutMs)
            : dataplane.trace(plan.portName(), plan.frame(), 0, 0, 0, 0, timeoutMs);
    }

    /** The dataplane's tracked connections ({@code berth conntrack ls}). */
    public List<Map<String, Object>> connections()
    {
        return dataplane.connections();
    }

    /** Forgets every tracked connection; returns how many there were. */
    public int flushConnections()
    {
        return dataplane.flushConnections();
    }
}
