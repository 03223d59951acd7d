package io.berth.control.state;

import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Docker's network and IPAM driver calls (libnetwork's remote driver API) on berth's state: a Docker network is a
 * berth network (made for it, or one it attaches to with {@code -o berth.network=NAME}); a Docker endpoint that
 * joins a sandbox is a berth container with one endpoint whose TAP Docker moves into the container; its address is
 * the IPAM pool's, held from {@code RequestAddress} to {@code ReleaseAddress}. Every call is journaled, since
 * Docker never sends any of it again. Errors are {@link BerthException}s whose text Docker shows its user.
 * Control thread.
 */
public final class DockerController
{
    /** The generic option that attaches a Docker network to an existing berth network. */
    public static final String ATTACH_OPTION = "berth.network";
    /** The prefix of the berth networks made for Docker networks (followed by 12 hex of Docker's id). */
    public static final String NETWORK_PREFIX = "docker-";
    private static final String GATEWAY_REQUEST = "com.docker.network.gateway";

    private final State state;
    private final ControlCore core;
    private final NetworkController networks;
    private final PortPublishing publishing;
    private final Ids ids;

    DockerController(final ControlCore core, final NetworkController networks, final PortPublishing publishing)
    {
        this.state = core.state;
        this.core = core;
        this.networks = networks;
        this.publishing = publishing;
        this.ids = core.ids;
    }

    // ---------------------------------------------------------------------------------------------------- IPAM

    /** {@code RequestPool}: the subnet asked for ({@code --subnet}), or one berth's pools choose. */
    public Event.DockerPool requestPool(final String subnet, final String subPool, final Map<String, String> options,
        final boolean v6)
    {
        if (v6)
        {
            throw new BerthException("berth gives no IPv6 pools yet; create the network without --ipv6");
        }
        final String attach = options.get(ATTACH_OPTION);
        if (attach != null)
        {
            final Network network = attachable(attach);
            if (!empty(subnet) && !Cidr.parse(subnet, "subnet").equals(network.subnet()))
            {
                throw new BerthException("--subnet " + subnet + " is not berth network " + network.name() + "'s " +
                    network.subnet() + "; omit --subnet or give that one");
            }
            return commitPool(new Event.DockerPool(ids.newId(), network.subnet().toString(),
                network.ipRange() == null ? null : network.ipRange().toString(), Ipv4.format(network.gateway()),
                network.id()));
        }
        final Event.IpamConfig chosen = state.ipam().requestPool(empty(subnet) ? null : subnet,
            empty(subPool) ? null : subPool, null, core.subnetsInUse());
        return commitPool(new Event.DockerPool(ids.newId(), chosen.subnet(), chosen.ipRange(), null, null));
    }

    /** {@code ReleasePool}; an unknown pool is no error (Docker retries). */
    public void releasePool(final String poolId)
    {
        if (state.docker().pool(poolId) != null)
        {
            core.commit(new Event.DockerPoolReleased(poolId));
        }
    }

    /**
     * {@code RequestAddress}: the gateway (recorded in the pool, or the berth network's), or a container's address
     * (the one asked for with {@code --ip}, else the next free), as {@code ADDRESS/PREFIX}.
     */
    public String requestAddress(final String poolId, final String address, final Map<String, String> options)
    {
        final DockerBook.Pool pool = pool(poolId);
        final Event.DockerPool definition = pool.definition();
        final Cidr subnet = Cidr.parse(definition.subnet(), "subnet");
        final String asked = empty(address) ? null : stripPrefix(address);
        if (GATEWAY_REQUEST.equals(options.get("RequestAddressType")))
        {
            final int gateway = gatewayFor(definition, subnet, asked);
            commitPool(new Event.DockerPool(poolId, definition.subnet(), definition.ipRange(), Ipv4.format(gateway),
                definition.network()));
            return Ipv4.format(gateway) + "/" + subnet.prefixLength();
        }
        if (definition.network() == null)
        {
            // --aux-address, asked before CreateNetwork: Docker keeps it out of its own allocations; so does berth's
            // network, which is made with the pool's range
            if (asked == null || !subnet.contains(Ipv4.parse(asked, "address")))
            {
                throw new BerthException("address " + address + " is not in pool " + subnet);
            }
            return asked + "/" + subnet.prefixLength();
        }
        final Network network = state.networkById(definition.network());
        if (network == null)
        {
            throw new BerthException("pool " + subnet + " belongs to a berth network that is gone");
        }
        final int ip = core.driverOf(network).allocateAddress(network, asked, "docker-" + poolId);
        core.commit(new Event.DockerAddress(poolId, network.id(), Ipv4.format(ip), true));
        return Ipv4.format(ip) + "/" + network.subnetOf(ip).prefixLength();
    }

    /** {@code ReleaseAddress}: the address is free again; one the pool does not hold (a gateway) is no error. */
    public void releaseAddress(final String poolId, final String address)
    {
        final DockerBook.Pool pool = state.docker().pool(poolId);
        final String ip = empty(address) ? null : stripPrefix(address);
        if (pool == null || ip == null || !pool.addresses().contains(ip))
        {
            return;
        }
        final Network network = state.networkById(pool.definition().network());
        if (network != null)
        {
            core.driverOf(network).releaseAddress(network, Ipv4.parse(ip, "address"));
        }
        core.commit(new Event.DockerAddress(poolId, pool.definition().network(), ip, false));
    }

    // -------------------------------------------------------------------------------------------------- networks

    /**
     * {@code CreateNetwork}: binds the pool with {@code subnet} to a berth network, made for it (named
     * docker-ID12) or the one {@code -o berth.network=NAME} names.
     *
     * @param options {@code com.docker.network.generic}: icc, mtu (also Docker's bridge names for them), or
     *                berth.network.
     */
    public Network createNetwork(final String dockerId, final String subnet, final String gateway,
        final Map<String, String> options, final boolean internal)
    {
        if (state.docker().network(dockerId) != null)
        {
            return state.networkById(state.docker().network(dockerId).network()); // Docker retried
        }
        if (empty(subnet))
        {
            throw new BerthException("network " + dockerId + " has no IPv4 pool; create it with --ipam-driver berth");
        }
        final DockerBook.Pool pool = poolWithSubnet(subnet);
        final Event.DockerPool definition = pool.definition();
        final String attach = options.get(ATTACH_OPTION);
        if (attach != null)
        {
            final Network network = attachable(attach);
            // a pool berth chose before it knew: its addresses now come from the berth network's book
            commitPool(new Event.DockerPool(definition.poolId(), network.subnet().toString(),
                network.ipRange() == null ? null : network.ipRange().toString(), Ipv4.format(network.gateway()),
                network.id()));
            core.commit(new Event.DockerNetwork(dockerId, definition.poolId(), network.id(), false, false));
            return network;
        }
        if (definition.network() != null)
        {
            throw new BerthException("pool " + subnet + " is berth network " +
                state.networkName(definition.network()) + "'s; give -o " + ATTACH_OPTION + "=" +
                state.networkName(definition.network()) + " with --ipam-opt " + ATTACH_OPTION);
        }
        final List<String> berthOptions = new ArrayList<>();
        options.forEach((key, value) ->
        {
            switch (key)
            {
                case "com.docker.network.bridge.enable_icc" -> berthOptions.add("icc=" + value);
                case "com.docker.network.driver.mtu" -> berthOptions.add("mtu=" + value);
                default -> berthOptions.add(key + "=" + value);
            }
        });
        final String gatewayText = empty(gateway) ? definition.gateway() : stripPrefix(gateway);
        // the pool stops counting as in use (its own subnet would overlap) while its network is made
        final Network network = core.withPoolFree(definition.poolId(), () -> networks.createNetwork(
            new NetworkRequest(NETWORK_PREFIX + shortId(dockerId), "bridge", definition.subnet(), definition.ipRange(),
                gatewayText, internal, berthOptions)));
        commitPool(new Event.DockerPool(definition.poolId(), definition.subnet(), definition.ipRange(),
            Ipv4.format(network.gateway()), network.id()));
        core.commit(new Event.DockerNetwork(dockerId, definition.poolId(), network.id(), true, false));
        return network;
    }

    /** {@code DeleteNetwork}: the berth network made for it goes; one it attached to stays. */
    public void deleteNetwork(final String dockerId)
    {
        final Event.DockerNetwork docker = state.docker().network(dockerId);
        if (docker == null)
        {
            return;
        }
        if (docker.owned() && state.networkById(docker.network()) != null)
        {
            networks.removeNetwork(docker.network());
        }
        core.commit(new Event.DockerNetwork(dockerId, docker.poolId(), docker.network(), docker.owned(), true));
    }

    // ------------------------------------------------------------------------------------------------- endpoints

    /**
     * {@code CreateEndpoint}: records the address IPAM gave and the MAC (Docker's, or the driver's).
     *
     * @return the MAC berth chose, or null when Docker gave one.
     */
    public String createEndpoint(final String dockerNetworkId, final String endpointId, final String address,
        final String mac)
    {
        final Network network = networkOf(dockerNetworkId);
        if (empty(address))
        {
            throw new BerthException("endpoint " + shortId(endpointId) + " has no IPv4 address; berth's IPAM gives one");
        }
        final int ip = Ipv4.parse(stripPrefix(address), "address");
        final long chosen = empty(mac) ? core.driverOf(network).endpointMac(network, ip) : parseMac(mac);
        core.commit(new Event.DockerEndpoint(endpointId, dockerNetworkId, Ipv4.format(ip), Ipv4.formatMac(chosen),
            false));
        return empty(mac) ? Ipv4.formatMac(chosen) : null;
    }

    /** {@code DeleteEndpoint} (after Leave); unknown is no error. */
    public void deleteEndpoint(final String endpointId)
    {
        final Event.DockerEndpoint endpoint = state.docker().endpoint(endpointId);
        if (endpoint == null)
        {
            return;
        }
        leave(endpointId); // Docker's Leave came first, or it never will
        core.commit(new Event.DockerEndpoint(endpointId, endpoint.dockerNetworkId(), endpoint.ip(), endpoint.mac(),
            true));
    }

    /** What {@code Join} answers: the TAP's name in berthd's namespace and the gateway. */
    public record Joined(String device, String gateway, boolean internal)
    {
    }

    /**
     * {@code Join}: a TAP in berthd's namespace with the endpoint's MAC, bound to port security and the switch,
     * for Docker to move into {@code sandboxKey} and configure. Joining again (Docker retried) answers the same.
     */
    public Joined join(final String dockerNetworkId, final String endpointId, final String sandboxKey)
    {
        final Event.DockerEndpoint recorded = state.docker().endpoint(endpointId);
        if (recorded == null)
        {
            throw new BerthException("no endpoint " + shortId(endpointId) + " (CreateEndpoint first)");
        }
        if (empty(sandboxKey) || !sandboxKey.startsWith("/"))
        {
            throw new BerthException("sandbox key " + sandboxKey + " is no namespace file path");
        }
        final Network network = networkOf(dockerNetworkId);
        final Container existing = containerOf(endpointId);
        if (existing != null)
        {
            return joined(network, existing.endpoints().iterator().next());
        }
        if (core.driverOf(network).attachment() != NetworkDriver.Attachment.ENDPOINT)
        {
            throw new BerthException("berth network " + network.name() + " (driver " + network.driver() + ") gives " +
                "containers no interface of their own");
        }
        final String id = ids.newId();
        final String name = NETWORK_PREFIX + shortId(endpointId);
        final int ip = Ipv4.parse(recorded.ip(), "ip");
        final Endpoint draft = core.newEndpoint(network, ip, "eth", List.of(), parseMac(recorded.mac()));
        // a name of its own ("bd", not "bt"): a TAP waiting in berthd's namespace for Docker is no stray
        final String device = "bd" + draft.device().substring(2);
        final Endpoint endpoint = new Endpoint(network.id(), device, ip, draft.mac(), device, List.of());
        final Event.ContainerCreated created = new Event.ContainerCreated(id, name, NetworkMode.NETWORK.journalName(),
            network.name(), null, core.now(), Event.DnsSettings.NONE, null,
            new Event.DockerAttachment(endpointId, dockerNetworkId, sandboxKey));
        core.commit(new Event.ContainerIntent(id, name, null, device, core.now()));
        try
        {
            core.attach(new Container(created), endpoint, false, List.of());
        }
        catch (final IOException | RuntimeException ex)
        {
            core.commit(new Event.ContainerAbandoned(id, name));
            throw ex instanceof BerthException be ? be :
                new BerthException("cannot make the interface of endpoint " + shortId(endpointId) + ": " +
                    ex.getMessage(), ex);
        }
        core.commit(created);
        core.commit(core.attachedEvent(id, endpoint));
        return joined(network, endpoint);
    }

    private static Joined joined(final Network network, final Endpoint endpoint)
    {
        return new Joined(endpoint.device(), Ipv4.format(network.gatewayOf(endpoint.ip())), network.internal());
    }

    /** {@code Leave}: the TAP (in the container, or moved back) goes with its ports; the address stays Docker's. */
    public void leave(final String endpointId)
    {
        final Container container = containerOf(endpointId);
        if (container == null)
        {
            return;
        }
        for (final Endpoint endpoint : container.endpoints())
        {
            core.detach(container, endpoint, ControlCore.portsOf(container, endpoint));
        }
        publishing.unpublishAll(container);
        core.commit(new Event.ContainerRemoved(container.id(), container.name()));
    }

    /**
     * {@code ProgramExternalConnectivity}: the container's published ports, in {@code berth run -p} syntax
     * ({@code [HOSTIP:]HOSTPORT:PORT/PROTO}; host port 0 for {@code -P}, which berth chooses).
     */
    public List<Event.PortMapping> publish(final String endpointId, final List<String> specs) throws IOException
    {
        final Container container = joinedContainer(endpointId);
        if (!container.ports().isEmpty())
        {
            return container.ports(); // Docker retried
        }
        final Network network = state.networkById(container.endpoints().iterator().next().networkId());
        final List<Event.PortMapping> ports = publishing.parsePorts(specs);
        if (ports.isEmpty())
        {
            return ports;
        }
        if (!core.driverOf(network).externalConnectivity())
        {
            throw new BerthException("cannot publish ports (" + String.join(", ", specs) + ") on berth network " +
                network.name() + ": it has no way out (internal, or a LAN network)");
        }
        publishing.checkPortsFree(ports);
        final Endpoint endpoint = container.endpoints().iterator().next();
        final Rollback undo = new Rollback();
        try
        {
            for (final Event.PortMapping mapping : ports)
            {
                publishing.publishDnat(container.name(), mapping, endpoint.ip(), null, undo); // Docker's: no IPv6
            }
            core.published(container, endpoint, ports);
        }
        catch (final IOException | RuntimeException ex)
        {
            undo.undo();
            throw ex;
        }
        core.commit(new Event.PortsPublished(container.id(), ports));
        return ports;
    }

    /** {@code RevokeExternalConnectivity}: the published ports go, the endpoint stays. */
    public void unpublish(final String endpointId)
    {
        final Container container = containerOf(endpointId);
        if (container == null || container.ports().isEmpty())
        {
            return;
        }
        final Endpoint endpoint = container.endpoints().iterator().next();
        publishing.unpublishAll(container);
        core.unpublished(container, endpoint, container.ports());
        core.commit(new Event.PortsPublished(container.id(), List.of()));
    }

    /** The berth container a joined Docker endpoint is, or null. */
    public Container containerOf(final String endpointId)
    {
        return state.containers().stream()
            .filter(c -> c.docker() != null && c.docker().endpointId().equals(endpointId))
            .findFirst().orElse(null);
    }

    // ------------------------------------------------------------------------------------------------- internals

    private Container joinedContainer(final String endpointId)
    {
        final Container container = containerOf(endpointId);
        if (container == null)
        {
            throw new BerthException("endpoint " + shortId(endpointId) + " has not joined a sandbox");
        }
        return container;
    }

    private Network attachable(final String name)
    {
        final Network network = state.network(name);
        if (!network.hasAddresses() || core.driverOf(network).attachment() != NetworkDriver.Attachment.ENDPOINT)
        {
            throw new BerthException(ATTACH_OPTION + "=" + name + ": berth network " + name + " (driver " +
                network.driver() + ") gives containers no interface of their own; give a bridge, overlay, macvlan " +
                "or ipvlan network");
        }
        return network;
    }

    private Network networkOf(final String dockerNetworkId)
    {
        final Event.DockerNetwork docker = state.docker().network(dockerNetworkId);
        final Network network = docker == null ? null : state.networkById(docker.network());
        if (network == null)
        {
            throw new BerthException("berth has no Docker network " + shortId(dockerNetworkId) +
                (docker == null ? "" : " (its berth network was removed)"));
        }
        return network;
    }

    private DockerBook.Pool pool(final String poolId)
    {
        final DockerBook.Pool pool = state.docker().pool(poolId);
        if (pool == null)
        {
            throw new BerthException("berth's IPAM has no pool " + poolId);
        }
        return pool;
    }

    private DockerBook.Pool poolWithSubnet(final String subnet)
    {
        final Cidr wanted = Cidr.parse(subnet, "subnet");
        for (final DockerBook.Pool pool : state.docker().pools())
        {
            final boolean taken = state.docker().networks().stream()
                .anyMatch(n -> n.poolId().equals(pool.definition().poolId()));
            if (!taken && Cidr.parse(pool.definition().subnet(), "subnet").equals(wanted))
            {
                return pool;
            }
        }
        throw new BerthException("berth's IPAM gave no pool " + subnet + "; create the network with --ipam-driver " +
            "berth");
    }

    private int gatewayFor(final Event.DockerPool pool, final Cidr subnet, final String asked)
    {
        if (pool.network() != null)
        {
            final int gateway = state.networkById(pool.network()).gateway();
            if (asked != null && Ipv4.parse(asked, "gateway") != gateway)
            {
                throw new BerthException("--gateway " + asked + " is not berth network " +
                    state.networkName(pool.network()) + "'s gateway " + Ipv4.format(gateway));
            }
            return gateway;
        }
        final int gateway = asked == null ? subnet.firstHost() : Ipv4.parse(asked, "gateway");
        if (!subnet.contains(gateway))
        {
            throw new BerthException("--gateway " + asked + " is not in subnet " + subnet);
        }
        return gateway;
    }

    private Event.DockerPool commitPool(final Event.DockerPool pool)
    {
        core.commit(pool);
        return pool;
    }

    private static long parseMac(final String mac)
    {
        if (!mac.matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}"))
        {
            throw new BerthException("MAC address " + mac + " is not six hex octets (02:42:ac:11:00:02)");
        }
        return State.parseMac(mac);
    }

    private static String stripPrefix(final String address)
    {
        final int slash = address.indexOf('/');
        return slash < 0 ? address : address.substring(0, slash);
    }

    static String shortId(final String id)
    {
        return id == null ? "?" : id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static boolean empty(final String text)
    {
        return text == null || text.isEmpty();
    }
}
