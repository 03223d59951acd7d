package io.berth.control.state;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.PublishSpec;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.model.PortSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * Published ports ({@code run -p}): parsing and checking the mappings, the dataplane's DNAT entries, and
 * publishing a container's ports again after a restart. Control thread.
 */
final class PortPublishing
{
    private final State state;
    private final Dataplane dataplane;
    private final int uplinkIp;

    PortPublishing(final ControlCore core)
    {
        this.state = core.state;
        this.dataplane = core.dataplane;
        this.uplinkIp = core.uplinkIp;
    }

    void republish(final Container container, final List<String> problems)
    {
        final int containerIp = ipv4Of(container);
        if (container.ports().isEmpty())
        {
            return;
        }
        if (containerIp == 0 && ipv6Of(container) == null)
        {
            problems.add("container " + container.name() + ": has published ports but no address; not published");
            return;
        }
        for (final Event.PortMapping mapping : container.ports())
        {
            if (!mapping.hostIp().isEmpty() && !mapping.hostIp().equals(PortSpec.LOOPBACK) && !PortSpec.isIpv6(mapping)
                && (uplinkIp == 0 || !mapping.hostIp().equals(Ipv4.format(uplinkIp))))
            {
                problems.add("container " + container.name() + ": port " + describe(mapping) + " is published on " +
                    mapping.hostIp() + ", which berthd no longer owns (" + (uplinkIp == 0 ? "no uplink" :
                    "uplink " + Ipv4.format(uplinkIp)) + "); not published");
                continue;
            }
            try
            {
                publishDnat(container.name(), mapping, containerIp, ipv6Of(container), new Rollback());
            }
            catch (final RuntimeException ex)
            {
                problems.add("container " + container.name() + ": cannot publish " + describe(mapping) + ": " +
                    ex.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ published ports

    List<Event.PortMapping> parsePorts(final List<String> specs)
    {
        final List<Event.PortMapping> ports = new ArrayList<>();
        for (final String spec : specs)
        {
            for (final Event.PortMapping mapping : PortSpec.parse(spec, uplinkIp, dataplane.uplinkIpv6()))
            {
                for (final Event.PortMapping earlier : ports)
                {
                    if (PortSpec.overlaps(earlier, mapping))
                    {
                        throw new BerthException("-p " + spec + ": host port " + hostText(mapping) + " is given " +
                            "twice in this run (also for container port " + earlier.containerPort() + "/" +
                            earlier.protocol() + ")");
                    }
                }
                ports.add(mapping);
            }
        }
        return ports;
    }

    /** Refuses a host port (per protocol and address; 0.0.0.0 overlaps every address) another container holds. */
    void checkPortsFree(final List<Event.PortMapping> ports)
    {
        for (final Event.PortMapping mapping : ports)
        {
            for (final Container other : state.containers())
            {
                for (final Event.PortMapping held : other.ports())
                {
                    if (PortSpec.overlaps(held, mapping))
                    {
                        throw new BerthException("host port " + hostText(mapping) + " is already published by " +
                            "container " + other.name() + " (" + hostText(held) + " -> " + held.containerPort() +
                            "/" + held.protocol() + "); pick another host port or remove " + other.name());
                    }
                }
            }
        }
    }

    /**
     * A published port's DNAT entry in the dataplane (for 0.0.0.0 and the uplink address, when there is an uplink);
     * the 127.0.0.1 side is the loopback publishing service's, told when the endpoint joins.
     */
    void publishDnat(final String containerName, final Event.PortMapping mapping, final int containerIp,
        final long[] containerIpv6, final Rollback undo)
    {
        if (containerIp == 0 && (!PortSpec.onUplink6(mapping) || (!mapping.hostIp().isEmpty()
            && !PortSpec.isIpv6(mapping))))
        {
            throw new BerthException("cannot publish " + describe(mapping) + " for " + containerName + ": its " +
                "network is IPv6-only; publish on [::] (or 0.0.0.0), or on the uplink's IPv6 address");
        }
        if (containerIp == 0 && dataplane.uplinkIpv6() == null)
        {
            throw new BerthException("cannot publish " + describe(mapping) + " for " + containerName + ": its " +
                "network is IPv6-only and berthd has no IPv6 uplink address to publish on (berthd --uplink-ip6)");
        }
        publishDnat6(containerName, mapping, containerIpv6, undo);
        final PublishSpec entry = dataplaneEntry(mapping, containerIp);
        if (entry == null)
        {
            return;
        }
        if (!dataplane.publish(entry))
        {
            throw new BerthException("the dataplane already publishes " + hostText(mapping) + "; cannot " +
                "publish it for " + containerName);
        }
        undo.add(() -> dataplane.unpublish(entry));
    }

    /**
     * The IPv6 DNAT entry (issue 27), on the uplink's IPv6 address, for a mapping on 0.0.0.0, [::] or that address
     * of a container with an IPv6 address; one on the uplink's IPv6 address of a container without is refused.
     */
    private void publishDnat6(final String containerName, final Event.PortMapping mapping, final long[] containerIpv6,
        final Rollback undo)
    {
        final long[] uplink6 = dataplane.uplinkIpv6();
        if (uplink6 == null || !PortSpec.onUplink6(mapping))
        {
            return;
        }
        if (containerIpv6 == null)
        {
            if (PortSpec.isIpv6(mapping) && !mapping.hostIp().equals(PortSpec.ALL6))
            {
                throw new BerthException("cannot publish " + describe(mapping) + " for " + containerName + ": its " +
                    "network has no IPv6 (create it with --ipv6), so nothing reaches it over IPv6");
            }
            return; // an IPv4-only container's 0.0.0.0 and [::] ports: IPv4 and the loopback proxy only
        }
        final int protocol = PortSpec.protocolNumber(mapping.protocol());
        if (!dataplane.publish6(protocol, mapping.hostPort(), containerIpv6, mapping.containerPort()))
        {
            throw new BerthException("the dataplane already publishes [" + Ipv6Cidr.format(uplink6[0], uplink6[1]) +
                "]:" + mapping.hostPort() + "/" + mapping.protocol() + "; cannot publish it for " + containerName);
        }
        undo.add(() -> dataplane.unpublish6(protocol, mapping.hostPort()));
    }

    /** The IPv4 address its ports lead to, 0 when its network is IPv6-only (that address is not the container's). */
    int ipv4Of(final Container container)
    {
        if (container.endpoints().isEmpty())
        {
            return 0;
        }
        final Network network = state.networkById(container.endpoints().iterator().next().networkId());
        return network != null && !network.ipv4() ? 0 : container.publishAddress();
    }

    /** The IPv6 address of the container's (first) endpoint, or null on an IPv4-only network. */
    long[] ipv6Of(final Container container)
    {
        if (container.endpoints().isEmpty())
        {
            return null;
        }
        final Endpoint endpoint = container.endpoints().iterator().next();
        final Network network = state.networkById(endpoint.networkId());
        return network == null ? null : network.ipv6AddressOf(endpoint.ip());
    }

    void unpublishAll(final Container container)
    {
        final int containerIp = ipv4Of(container);
        final boolean ipv6 = ipv6Of(container) != null;
        for (final Event.PortMapping mapping : container.ports())
        {
            if (ipv6 && dataplane.uplinkIpv6() != null && PortSpec.onUplink6(mapping))
            {
                dataplane.unpublish6(PortSpec.protocolNumber(mapping.protocol()), mapping.hostPort());
            }
            final PublishSpec entry = dataplaneEntry(mapping, containerIp);
            if (entry != null)
            {
                dataplane.unpublish(entry);
            }
        }
    }

    /** The DNAT entry: for 0.0.0.0 and the uplink address, when there is an uplink; never for 127.0.0.1. */
    private PublishSpec dataplaneEntry(final Event.PortMapping mapping, final int containerIp)
    {
        if (uplinkIp == 0 || containerIp == 0 || mapping.hostIp().equals(PortSpec.LOOPBACK))
        {
            return null;
        }
        if (!mapping.hostIp().isEmpty() && !mapping.hostIp().equals(Ipv4.format(uplinkIp)))
        {
            return null;
        }
        return new PublishSpec(PortSpec.protocolNumber(mapping.protocol()), uplinkIp, mapping.hostPort(),
            containerIp, mapping.containerPort());
    }

    private static String hostText(final Event.PortMapping mapping)
    {
        return PortSpec.shownHostIp(mapping) + ":" + mapping.hostPort() + "/" + mapping.protocol();
    }

    private static String describe(final Event.PortMapping mapping)
    {
        return hostText(mapping) + " -> " + mapping.containerPort() + "/" + mapping.protocol();
    }
}
