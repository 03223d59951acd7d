package io.berth.control.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.model.PortSpec;
import io.berth.control.state.Container;
import io.berth.control.state.ControlService;
import io.berth.control.state.NetworkMode;
import io.berth.control.state.State;
import io.berth.control.wire.Json;

/**
 * The JSON shapes users and scripts see, modelled on Docker's: {@code network ls}, {@code network inspect},
 * {@code ps}, {@code inspect}. Built on the control thread from the current state.
 */
public final class Views
{
    private final ControlService service;

    public Views(final ControlService service)
    {
        this.service = service;
    }

    /** One row of {@code network ls}: Id, Name, Driver, Scope. */
    public ObjectNode networkRow(final Network network)
    {
        final ObjectNode row = Json.WIRE.createObjectNode();
        row.put("Id", network.id());
        row.put("Name", network.name());
        row.put("Driver", network.driver());
        row.put("Scope", network.scope().text());
        return row;
    }

    /**
     * {@code network inspect}: Name, Id, Created, Scope, Driver, Internal, IPAM.Config[{Subnet, IPRange?, Gateway}],
     * Options (the driver's), Containers {name: {Name, EndpointID, MacAddress, IPv4Address "a.b.c.d/len"}}.
     */
    public ObjectNode networkInspect(final Network network)
    {
        final State state = service.state();
        final ObjectNode node = Json.WIRE.createObjectNode();
        node.put("Name", network.name());
        node.put("Id", network.id());
        node.put("Created", network.createdAt());
        node.put("Scope", network.scope().text());
        node.put("Driver", network.driver());
        node.put("Internal", network.internal());
        final Ipv6Cidr subnet6 = network.ipv6Subnet();
        node.put("EnableIPv6", subnet6 != null);
        final ObjectNode ipam = node.putObject("IPAM");
        ipam.put("Driver", "default");
        final ArrayNode configs = ipam.putArray("Config");
        final ObjectNode options = node.putObject("Options");
        node.put("EnableIPv4", network.ipv4());
        if (network.hasAddresses() && !network.ipv4())
        {
            final long[] gateway6 = network.ipv6Gateway();
            configs.addObject().put("Subnet", subnet6.toString()).put("Gateway", Ipv6Cidr.format(gateway6[0], gateway6[1]));
        }
        else if (network.hasAddresses())
        {
            final ObjectNode config = configs.addObject();
            config.put("Subnet", network.subnet().toString());
            if (network.ipRange() != null)
            {
                config.put("IPRange", network.ipRange().toString());
            }
            config.put("Gateway", Ipv4.format(network.gateway()));
            for (int i = 0; i < network.moreSubnets().size(); i++)
            {
                final ObjectNode extra = configs.addObject().put("Subnet", network.moreSubnets().get(i).toString());
                if (network.moreGateway(i) != 0)
                {
                    extra.put("Gateway", Ipv4.format(network.moreGateway(i)));
                }
            }
            if (subnet6 != null)
            {
                final long[] gateway6 = network.ipv6Gateway();
                configs.addObject().put("Subnet", subnet6.toString())
                    .put("Gateway", Ipv6Cidr.format(gateway6[0], gateway6[1]));
            }
        }
        final NetworkDriver driver = service.driverOf(network);
        driver.shownOptions(network).forEach(options::put);
        final ObjectNode containers = node.putObject("Containers");
        for (final Container container : state.containers())
        {
            final Endpoint endpoint = container.endpointOn(network.id());
            final boolean inPseudoNetwork = switch (driver.attachment())
            {
                case HOST_NAMESPACE -> container.mode() == NetworkMode.HOST;
                case ISOLATED -> container.mode() == NetworkMode.NONE;
                case ENDPOINT -> false;
            };
            if (endpoint == null && !inPseudoNetwork)
            {
                continue;
            }
            final ObjectNode entry = containers.putObject(container.name());
            final String dockerName = container.docker() == null ? null :
                state.docker().nameOf(container.docker().endpointId());
            entry.put("Name", dockerName != null ? dockerName : container.name());
            if (container.docker() != null)
            {
                entry.put("DockerEndpointID", container.docker().endpointId());
            }
            entry.put("Id", container.id());
            entry.put("MacAddress", endpoint == null ? "" : Ipv4.formatMac(endpoint.mac()));
            entry.put("IPv4Address", endpoint == null || !network.ipv4() ? "" :
                Ipv4.format(endpoint.ip()) + "/" + network.subnetOf(endpoint.ip()).prefixLength());
            final long[] address6 = endpoint == null ? null : network.ipv6AddressOf(endpoint.ip());
            entry.put("IPv6Address", address6 == null ? "" : Ipv6Cidr.format(address6[0], address6[1]) + "/" +
                network.ipv6Subnet().prefixLength());
        }
        // a global network: the containers other hosts have on it, and what the driver adds (the overlay's Peers)
        driver.remoteContainers(network).forEach((name, shown) ->
        {
            if (!containers.has(name))
            {
                containers.set(name, Json.WIRE.valueToTree(shown));
            }
        });
        driver.inspectExtras(network).forEach((key, value) -> node.set(key, Json.WIRE.valueToTree(value)));
        return node;
    }

    /** One row of {@code ps}: Id, Name, Networks [names], IPs [addresses], Status, Pid. */
    public ObjectNode containerRow(final Container container)
    {
        final ObjectNode row = Json.WIRE.createObjectNode();
        row.put("Id", container.id());
        row.put("Name", container.name());
        final ArrayNode networks = row.putArray("Networks");
        final ArrayNode ips = row.putArray("IPs");
        if (container.endpoints().isEmpty() && container.mode() != NetworkMode.NETWORK)
        {
            networks.add(service.modeText(container)); // host, none, container:OTHER; not a network it has left
        }
        for (final Endpoint endpoint : container.endpoints())
        {
            networks.add(service.state().networkName(endpoint.networkId()));
            ips.add(Ipv4.format(endpoint.ip()));
        }
        row.put("Status", status(container));
        row.put("Pid", container.process() == null ? 0 : container.process().pid());
        putCni(row, container);
        return row;
    }

    /**
     * {@code inspect}: Name, Id, Created, Path, Args, NetworkMode, State {Status, Running, Pid}, LogPath,
     * HostConfig {PortBindings}, NetworkSettings {SandboxKey, Ports, Networks {net: {Interface, NetworkID, IPAddress, IPPrefixLen, MacAddress,
     * Gateway}}}.
     */
    public ObjectNode containerInspect(final Container container)
    {
        final boolean running = service.isRunning(container);
        final ObjectNode node = Json.WIRE.createObjectNode();
        node.put("Name", container.name());
        node.put("Id", container.id());
        node.put("Created", container.createdAt());
        final ArrayNode args = node.putArray("Args");
        if (container.process() != null)
        {
            node.put("Path", container.process().cmd().get(0));
            container.process().cmd().stream().skip(1).forEach(args::add);
        }
        else
        {
            node.put("Path", "");
        }
        node.put("NetworkMode", service.modeText(container));
        if (container.sandbox() != null)
        {
            node.putObject("Config").put("Hostname", container.dns().hostname() != null ?
                container.dns().hostname() : ControlService.hostnameOf(container));
        }
        final ObjectNode stateNode = node.putObject("State");
        stateNode.put("Status", switch (status(container))
        {
            case "Up" -> "running";
            case "Exited" -> "exited";
            default -> container.cni() != null || container.docker() != null ? "attached" : "created";
        });
        stateNode.put("Running", running);
        stateNode.put("Pid", running ? container.process().pid() : 0);
        node.put("LogPath", container.process() == null ? "" : container.process().log());
        putCni(node, container);
        final ObjectNode hostConfig = node.putObject("HostConfig");
        final ObjectNode bindings = hostConfig.putObject("PortBindings");
        final Event.DnsSettings dns = container.dns();
        dns.servers().forEach(hostConfig.putArray("Dns")::add);
        dns.search().forEach(hostConfig.putArray("DnsSearch")::add);
        dns.options().forEach(hostConfig.putArray("DnsOptions")::add);
        dns.links().forEach(hostConfig.putArray("Links")::add);
        final ObjectNode settings = node.putObject("NetworkSettings");
        final String namespace = namespaceOrNull(container);
        settings.put("SandboxKey", namespace == null ? "" : "/run/netns/" + namespace);
        final ObjectNode ports = settings.putObject("Ports");
        for (final Event.PortMapping mapping : container.ports())
        {
            final String key = mapping.containerPort() + "/" + mapping.protocol();
            final ArrayNode given = bindings.has(key) ? (ArrayNode)bindings.get(key) : bindings.putArray(key);
            given.addObject().put("HostIp", mapping.hostIp()).put("HostPort", Integer.toString(mapping.hostPort()));
            final ArrayNode actual = ports.has(key) ? (ArrayNode)ports.get(key) : ports.putArray(key);
            actual.addObject().put("HostIp", PortSpec.shownHostIp(mapping))
                .put("HostPort", Integer.toString(mapping.hostPort()));
        }
        final ObjectNode networks = settings.putObject("Networks");
        for (final Endpoint endpoint : container.endpoints())
        {
            final Network network = service.state().networkById(endpoint.networkId());
            if (network == null)
            {
                // a global network this host lost (shown, never a failed command)
                final ObjectNode entry = networks.putObject(service.state().networkName(endpoint.networkId()));
                entry.put("Interface", endpoint.ifName());
                entry.put("NetworkID", endpoint.networkId());
                entry.put("IPAddress", Ipv4.format(endpoint.ip()));
                entry.put("MacAddress", Ipv4.formatMac(endpoint.mac()));
                continue;
            }
            final ObjectNode entry = networks.putObject(network.name());
            entry.put("Interface", endpoint.ifName());
            entry.put("NetworkID", network.id());
            final boolean ipv4 = network.ipv4(); // an IPv6-only network's IPv4 addresses are not the container's
            entry.put("IPAddress", ipv4 ? Ipv4.format(endpoint.ip()) : "");
            entry.put("IPPrefixLen", ipv4 ? network.subnetOf(endpoint.ip()).prefixLength() : 0);
            entry.put("MacAddress", Ipv4.formatMac(endpoint.mac()));
            entry.put("Gateway", ipv4 ? Ipv4.format(network.gatewayOf(endpoint.ip())) : "");
            final long[] ip6 = network.ipv6AddressOf(endpoint.ip());
            final long[] gateway6 = network.ipv6Gateway();
            entry.put("GlobalIPv6Address", ip6 == null ? "" : Ipv6Cidr.format(ip6[0], ip6[1]));
            entry.put("GlobalIPv6PrefixLen", ip6 == null ? 0 : network.ipv6Subnet().prefixLength());
            entry.put("IPv6Gateway", gateway6 == null ? "" : Ipv6Cidr.format(gateway6[0], gateway6[1]));
            final ArrayNode aliases = entry.putArray("Aliases");
            endpoint.aliases().forEach(aliases::add);
        }
        if (container.endpoints().isEmpty() && (container.mode().name().equals("HOST") ||
            container.mode().name().equals("NONE")))
        {
            networks.putObject(service.modeText(container));
        }
        return node;
    }

    /** Up (command running), Exited (command ended) or Created (a sandbox without command, like a pause container). */
    public String status(final Container container)
    {
        if (container.cni() != null)
        {
            // the runtime runs its processes; berth holds its interfaces
            return "Attached (cni " + shortId(container.cni().containerId()) + " in " + container.cni().netnsPath() +
                ")";
        }
        if (container.docker() != null)
        {
            // Docker runs its processes; berth holds its interface
            return "Attached (docker endpoint " + shortId(container.docker().endpointId()) + ")";
        }
        if (container.process() == null)
        {
            return "Created";
        }
        return service.isRunning(container) ? "Up" : "Exited";
    }

    /** A CNI container's runtime side: Cni {ContainerID, Netns}; a Docker endpoint's: Docker {EndpointID, ...}. */
    private static void putCni(final ObjectNode node, final Container container)
    {
        if (container.docker() != null)
        {
            node.putObject("Docker").put("EndpointID", container.docker().endpointId())
                .put("NetworkID", container.docker().networkId())
                .put("SandboxKey", container.docker().sandboxKey())
                .put("Device", container.endpoints().isEmpty() ? "" : container.endpoints().iterator().next().device());
        }
        if (container.cni() != null)
        {
            node.putObject("Cni").put("ContainerID", container.cni().containerId())
                .put("Netns", container.cni().netnsPath());
        }
    }

    private static String shortId(final String id)
    {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    private String namespaceOrNull(final Container container)
    {
        try
        {
            return service.namespaceOf(container);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }
}
