package io.berth.control.proxy;

import io.berth.control.dataplane.InSandbox;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.PortSpec;
import io.berth.control.service.EndpointEvent;
import io.berth.control.service.EndpointService;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The endpoint service behind {@code -p} on this host's loopback (docker-proxy's job): when an endpoint that
 * published ports joins, every port published on 0.0.0.0 or 127.0.0.1 gets a userland forward from 127.0.0.1 to
 * the endpoint's address; when it leaves, they go. (Published ports on the uplink address are DNAT entries in
 * the dataplane, not forwards.) Control thread.
 */
public final class LoopbackPublishing implements EndpointService
{
    private final Forwarders forwarders;

    public LoopbackPublishing(final Forwarders forwarders)
    {
        this.forwarders = forwarders;
    }

    @Override
    public String name()
    {
        return "loopback-publishing";
    }

    @Override
    public void joined(final EndpointEvent endpoint) throws IOException
    {
        final List<Forward> opened = new ArrayList<>();
        for (final Event.PortMapping mapping : endpoint.ports())
        {
            final Forward forward = forwardOf(mapping, endpoint.ip(), namespaceOf(endpoint));
            if (forward == null)
            {
                continue;
            }
            try
            {
                forwarders.open(forward);
                opened.add(forward);
            }
            catch (final IOException ex)
            {
                opened.forEach(forwarders::close);
                throw new BerthException("cannot publish " + forward.listen() + ":" + mapping.hostPort() + "/" +
                    mapping.protocol() + " for container " + endpoint.container() + ": " + ex.getMessage() +
                    " (is another program using that port on this host?)", ex);
            }
        }
    }

    @Override
    public void left(final EndpointEvent endpoint)
    {
        for (final Event.PortMapping mapping : endpoint.ports())
        {
            final Forward forward = forwardOf(mapping, endpoint.ip(), namespaceOf(endpoint));
            if (forward != null)
            {
                forwarders.close(forward);
            }
        }
    }

    @Override
    public void published(final EndpointEvent endpoint) throws IOException
    {
        joined(endpoint);
    }

    @Override
    public void unpublished(final EndpointEvent endpoint)
    {
        left(endpoint);
    }

    /** Whether a published port has the 127.0.0.1 proxy in berthd's namespace (published on 0.0.0.0 or 127.0.0.1). */
    public static boolean onLoopback(final Event.PortMapping mapping)
    {
        return forwardOf(mapping, 0, null) != null;
    }

    /**
     * Where the proxy connects from: the container's own namespace, so a connection from the host's 127.0.0.1 goes
     * over the container's loopback (pasta's way: the kernel's, no TAP crossed twice, the bytes spliced); a
     * sandbox berth does not name (Docker's) is reached through berth0 and the dataplane.
     */
    static String namespaceOf(final EndpointEvent endpoint)
    {
        return endpoint.sandbox() == null ? null : InSandbox.pathOf(endpoint.sandbox());
    }

    /**
     * The forward on this host's loopback: on 127.0.0.1 for ports published on 0.0.0.0 and on 127.0.0.1, on [::1]
     * for those published on [::] and [::1] (issue 27); none for the uplink's addresses (DNAT in the dataplane).
     */
    static Forward forwardOf(final Event.PortMapping mapping, final int containerIp, final String namespace)
    {
        final boolean ipv6 = mapping.hostIp().equals(PortSpec.ALL6) || mapping.hostIp().equals(PortSpec.LOOPBACK6);
        if (containerIp == 0 && namespace != null)
        {
            return null; // an IPv6-only endpoint: no IPv4 address for the proxy to reach (its ports: DNAT66 only)
        }
        if (!ipv6 && !mapping.hostIp().isEmpty() && !mapping.hostIp().equals(PortSpec.LOOPBACK))
        {
            return null;
        }
        return new Forward(mapping.protocol(), Ipv4.parse(PortSpec.LOOPBACK, "loopback"), mapping.hostPort(),
            containerIp, mapping.containerPort(), mapping.protocol().equals("tcp") ? namespace : null, ipv6);
    }
}
