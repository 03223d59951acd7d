package io.berth.control.service;

import io.berth.control.event.Event;

import java.util.List;

/**
 * One endpoint as services see it.
 *
 * @param container    the container's name.
 * @param containerId  its id.
 * @param network      the network's name.
 * @param networkId    its id.
 * @param sandbox      the network namespace the endpoint lives in.
 * @param ifName       eth0, eth1, ...
 * @param ip           its address.
 * @param ports        the container's published ports when this endpoint is the address they lead to, else empty.
 * @param restore      true when berthd is restoring what it had, not a new join.
 * @param aliases      the endpoint's extra DNS names on the network.
 * @param dns          the container's --link and --dns settings.
 * @param userDefined  the network is user-defined (embedded DNS), not the default bridge.
 * @param internal     the network is --internal (names on it are never forwarded upstream).
 * @param ip6          on a dual-stack network, the endpoint's IPv6 address (16 bytes); else null.
 */
public record EndpointEvent(String container, String containerId, String network, String networkId, String sandbox,
    String ifName, int ip, List<Event.PortMapping> ports, boolean restore, List<String> aliases,
    Event.DnsSettings dns, boolean userDefined, boolean internal, byte[] ip6)
{
    /** On an IPv4-only network. */
    public EndpointEvent(final String container, final String containerId, final String network,
        final String networkId, final String sandbox, final String ifName, final int ip,
        final List<Event.PortMapping> ports, final boolean restore, final List<String> aliases,
        final Event.DnsSettings dns, final boolean userDefined, final boolean internal)
    {
        this(container, containerId, network, networkId, sandbox, ifName, ip, ports, restore, aliases, dns,
            userDefined, internal, null);
    }

    public EndpointEvent
    {
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        dns = dns == null ? Event.DnsSettings.NONE : dns;
    }

    /** The fields the port proxy needs; no DNS settings, a user-defined network that is not internal. */
    public EndpointEvent(final String container, final String containerId, final String network,
        final String networkId, final String sandbox, final String ifName, final int ip,
        final List<Event.PortMapping> ports, final boolean restore)
    {
        this(container, containerId, network, networkId, sandbox, ifName, ip, ports, restore, List.of(),
            Event.DnsSettings.NONE, true, false);
    }
}
