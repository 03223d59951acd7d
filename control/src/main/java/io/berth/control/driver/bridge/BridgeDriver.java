package io.berth.control.driver.bridge;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.EndpointSpec;
import io.berth.control.dataplane.SegmentSpec;
import io.berth.control.driver.spi.Capabilities;
import io.berth.control.driver.spi.DualStack;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.driver.spi.SegmentIds;
import io.berth.control.event.Scope;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's bridge driver without a kernel bridge: a network is a dataplane segment (a bridge domain whose gateway
 * berthd answers, and a routed subnet), an endpoint a TAP device in the sandbox on that segment. Its networks are
 * local, have addresses, and reach the outside (published ports, masquerade) unless internal. Which segment id a
 * network has is this driver's run-time business, chosen afresh at every start. Control thread.
 */
public final class BridgeDriver implements NetworkDriver
{
    public static final String NAME = "bridge";
    private static final Capabilities CAPABILITIES = new Capabilities(NAME, Scope.LOCAL, Attachment.ENDPOINT, true,
        true, false);

    private final Dataplane dataplane;
    /** Network id -> segment (bridge-domain) id. */
    private final Map<String, Integer> segments = new HashMap<>();

    private final SegmentIds segmentIds;

    public BridgeDriver(final Dataplane dataplane)
    {
        this(dataplane, new SegmentIds());
    }

    /** @param segmentIds shared with the other drivers that make segments. */
    public BridgeDriver(final Dataplane dataplane, final SegmentIds segmentIds)
    {
        this.dataplane = dataplane;
        this.segmentIds = segmentIds;
    }

    @Override
    public Capabilities capabilities()
    {
        return CAPABILITIES;
    }

    @Override
    public Map<String, String> parseOptions(final List<String> options)
    {
        return BridgeOptions.parse(options).toMap();
    }

    @Override
    public void createNetwork(final Network network)
    {
        final int segment = segmentIds.allocate();
        final BridgeOptions options = BridgeOptions.of(network.options());
        try
        {
            dataplane.addSegment(new SegmentSpec(segment, network.name(), network.subnet().network(),
                network.subnet().prefixLength(), network.gateway(), Ipv4.macFor(network.gateway()), options.icc(),
                network.internal(), options.mtu()));
            DualStack.segment(dataplane, segment, network, options.routerAdvertisements(), options.masquerade6());
        }
        catch (final RuntimeException e)
        {
            dataplane.removeSegment(segment);
            segmentIds.free(segment);
            throw e;
        }
        segments.put(network.id(), segment);
    }

    @Override
    public void deleteNetwork(final Network network)
    {
        final Integer segment = segments.remove(network.id());
        if (segment != null)
        {
            dataplane.removeSegment(segment);
            segmentIds.free(segment);
        }
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
        final BridgeOptions options = BridgeOptions.of(network.options());
        final EndpointSpec.Ipv6 ipv6 = DualStack.endpoint(network, endpoint.ip(), options.routerAdvertisements());
        final EndpointSpec spec = new EndpointSpec(segment, sandbox, endpoint.ifName(), endpoint.device(),
            endpoint.mac(), endpoint.ip(), network.subnet().prefixLength(), network.gateway(), defaultRoute,
            options.mtu(), options.port(), ipv6);
        return dataplane.attachTap(spec, restore);
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
        dataplane.defaultRouteVia(sandbox, endpoint.ifName(), network.gateway());
    }
}
