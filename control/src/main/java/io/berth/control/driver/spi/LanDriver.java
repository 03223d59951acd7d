package io.berth.control.driver.spi;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.dataplane.LanSegmentSpec;
import io.berth.control.error.BerthException;
import io.berth.control.event.Scope;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the macvlan and ipvlan drivers share: a network is a LAN segment of the dataplane on its parent interface
 * (none when internal or no parent is given: Docker's dummy parent, a network of its own containers only), an
 * endpoint a TAP on it. Containers' default route goes to the network's gateway, a router on the LAN; the host
 * reaches them through berth0. Local scope; no published ports, no masquerade: they are on the LAN themselves.
 * Control thread.
 */
public abstract class LanDriver implements NetworkDriver
{
    /** The journaled option holding the parent, as given ({@code IFACE[.VID]}); absent when there is none. */
    public static final String PARENT = "parent";

    protected final Dataplane dataplane;
    private final SegmentIds segmentIds;
    /** Network id -> segment id. */
    private final Map<String, Integer> segments = new HashMap<>();

    private final Capabilities capabilities;

    /** @param name the driver's {@code -d NAME}; its networks are local, on the host's LAN, never masqueraded. */
    protected LanDriver(final String name, final Dataplane dataplane, final SegmentIds segmentIds)
    {
        this.capabilities = new Capabilities(name, Scope.LOCAL, Attachment.ENDPOINT, true, false, true);
        this.dataplane = dataplane;
        this.segmentIds = segmentIds;
    }

    @Override
    public final Capabilities capabilities()
    {
        return capabilities;
    }

    /** How the driver's containers sit on the LAN. */
    protected abstract LanSegmentSpec.Mode mode(Network network);

    /**
     * {@code -o KEY=VALUE} strings as (key, value) pairs, in the order given, each one kept.
     *
     * @param valid what the driver takes, for the message about an option without '='.
     */
    protected static List<Map.Entry<String, String>> keyValues(final List<String> options,
        final String valid)
    {
        final List<Map.Entry<String, String>> values = new ArrayList<>();
        for (final String option : options == null ? List.<String>of() : options)
        {
            final int equals = option.indexOf('=');
            if (equals <= 0)
            {
                throw new BerthException("invalid option \"" + option + "\": expected KEY=VALUE; " +
                    valid);
            }
            values.add(Map.entry(option.substring(0, equals), option.substring(equals + 1)));
        }
        return values;
    }

    /** ipvlan L3: berth's address on the parent's LAN as {address, prefix length}; null when not routed. */
    protected int[] routerAddress(final Network network)
    {
        return null;
    }

    private boolean routed(final Network network)
    {
        return mode(network) == LanSegmentSpec.Mode.IPVLAN_L3;
    }

    /** False when the network's containers may not talk to each other (ipvlan private). */
    protected boolean interContainer(final Network network)
    {
        return true;
    }

    /** The parent the network is on, or null: internal, or none given. */
    protected static ParentInterface parentOf(final Network network)
    {
        final String parent = network.options().get(PARENT);
        return network.internal() || parent == null ? null : ParentInterface.parse(parent);
    }

    @Override
    public void createNetwork(final Network network)
    {
        final int segment = segmentIds.allocate();
        final ParentInterface parent = parentOf(network);
        try
        {
            final int[] more = new int[network.moreSubnets().size() * 2];
            for (int i = 0; i < network.moreSubnets().size(); i++)
            {
                more[2 * i] = network.moreSubnets().get(i).network();
                more[2 * i + 1] = network.moreSubnets().get(i).prefixLength();
            }
            final int[] router = routerAddress(network);
            dataplane.addLanSegment(new LanSegmentSpec(segment, network.name(), network.subnet().network(),
                network.subnet().prefixLength(), parent == null ? null : parent.iface(), parent == null ? 0 : parent.vid(),
                mode(network), interContainer(network), mtu(network), more, router == null ? 0 : router[0],
                router == null ? 0 : router[1]));
        }
        catch (final RuntimeException e)
        {
            segmentIds.free(segment);
            throw e;
        }
        segments.put(network.id(), segment);
        final Ipv6Cidr subnet6 = network.ipv6Subnet();
        if (subnet6 != null && mode(network) == LanSegmentSpec.Mode.IPVLAN_L2)
        {
            // ipvlan delivers by address: the switch maps an IPv6 destination to its container's IPv4 address
            dataplane.lanSegmentIpv6(segment, subnet6, network.subnet().network());
        }
    }

    /** The parent's MTU (a container's frames go out on it as they are), 1500 without one. */
    private int mtu(final Network network)
    {
        final ParentInterface parent = parentOf(network);
        return parent == null ? 1500 : dataplane.interfaceMtu(parent.iface());
    }

    @Override
    public void deleteNetwork(final Network network)
    {
        final Integer segment = segments.remove(network.id());
        if (segment != null)
        {
            dataplane.removeLanSegment(segment);
            segmentIds.free(segment);
        }
    }

    /** The segment of a network set up here. */
    protected final int segmentOf(final Network network)
    {
        final Integer segment = segments.get(network.id());
        if (segment == null)
        {
            throw new IllegalStateException("network " + network.name() + " has no segment in the dataplane");
        }
        return segment;
    }

    @Override
    public int join(final Network network, final String sandbox, final Endpoint endpoint, final boolean defaultRoute,
        final boolean restore) throws IOException
    {
        final Integer segment = segments.get(network.id());
        if (segment == null)
        {
            throw new IOException("network " + network.name() + " has no segment in the dataplane");
        }
        // no LAN, no router: the containers have only each other (and the host); an L3 network's router is berth
        final boolean withRouter = parentOf(network) != null || routed(network);
        // a dual-stack macvlan or ipvlan L2 network (issue 27): the container's IPv6 address on the LAN, its default
        // IPv6 route via the LAN's router; berth only switches it (and holds the port to its addresses). ipvlan's
        // containers share the parent's MAC, whose EUI-64 would be every one's link-local address: each gets
        // fe80:: with its IPv4 address instead, by which berth also delivers to it
        final EndpointSpec.Ipv6 dualStack = routed(network) ? null : DualStack.endpoint(network, endpoint.ip(), false);
        final EndpointSpec.Ipv6 ipv6 = dualStack == null || mode(network) == LanSegmentSpec.Mode.MACVLAN ? dualStack
            : dualStack.withLinkLocal(endpoint.ip() & 0xFFFF_FFFFL);
        return dataplane.attachTap(new EndpointSpec(segment, sandbox, endpoint.ifName(), endpoint.device(),
            endpoint.mac(), endpoint.ip(), network.subnetOf(endpoint.ip()).prefixLength(),
            routed(network) ? 0 : network.gatewayOf(endpoint.ip()),
            defaultRoute && withRouter && (routed(network) || network.gatewayOf(endpoint.ip()) != 0), mtu(network),
            null, ipv6), restore);
    }

    @Override
    public void leave(final Network network, final Endpoint endpoint, final int handle)
    {
        dataplane.detachPort(handle);
    }

    @Override
    public void takeDefaultRoute(final Network network, final String sandbox, final Endpoint endpoint)
        throws IOException
    {
        if (routed(network))
        {
            dataplane.defaultRouteVia(sandbox, endpoint.ifName(), 0); // straight on the link: berth routes it
        }
        else if (parentOf(network) != null && network.gatewayOf(endpoint.ip()) != 0)
        {
            dataplane.defaultRouteVia(sandbox, endpoint.ifName(), network.gatewayOf(endpoint.ip()));
        }
    }
}
