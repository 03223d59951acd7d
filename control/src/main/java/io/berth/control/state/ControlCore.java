package io.berth.control.state;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dns.Upstreams;
import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.event.Store;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.sandbox.Sandboxes;
import io.berth.control.service.EndpointEvent;
import io.berth.control.service.Services;
import io.berth.control.store.Stores;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What every controller shares: the state, the stores, the drivers, the dataplane, the sandboxes and the services,
 * and the steps they all take (attach and detach an endpoint, commit an event, name and address checks). It makes
 * no decision of its own: the controllers do. Control thread.
 */
final class ControlCore
{
    private static final System.Logger LOG = System.getLogger("io.berth.control");
    final State state;
    final Stores stores;
    final Dataplane dataplane;
    final DriverRegistry drivers;
    final Services services;
    final Sandboxes sandboxes;
    final Path containersDir;
    final Ids ids;
    final Clock clock;
    /** The Docker pool whose network is being made ({@link #withPoolFree}), or null. */
    private String poolBeingBound;
    /** The driver's handle (a dataplane port) per endpoint device name; runtime only, re-learned on restore. */
    final Map<String, Integer> portsByDevice = new HashMap<>();
    /** berthd's uplink address (a start option, not journaled state), 0 when host-only. */
    final int uplinkIp;

    ControlCore(final State state, final Stores stores, final Dataplane dataplane, final DriverRegistry drivers,
        final Services services, final Sandboxes sandboxes, final Path stateDir, final Ids ids, final Clock clock,
        final int uplinkIp)
    {
        this.state = state;
        this.stores = stores;
        this.dataplane = dataplane;
        this.drivers = drivers;
        this.services = services;
        this.sandboxes = sandboxes;
        this.ids = ids;
        this.clock = clock;
        this.uplinkIp = uplinkIp;
        this.containersDir = stateDir.resolve("containers");
    }

    static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    private static final String NAME_RULE = "names start with a letter or digit, then letters, digits, '_', '.' " +
        "or '-', at most 128 characters";

    /** The driver of an existing network. */
    public NetworkDriver driverOf(final Network network)
    {
        return drivers.get(network.driver());
    }

    public boolean isRunning(final Container container)
    {
        return container.process() != null && sandboxes.isAlive(container.process());
    }

    /**
     * The network namespace the container's processes live in: a name for {@code ip netns exec}, or null for
     * berthd's own (host mode, or joined to a host-mode container).
     */
    public String namespaceOf(final Container container)
    {
        return switch (container.mode())
        {
            case NETWORK, NONE -> container.sandbox();
            case HOST -> null;
            case CONTAINER ->
            {
                final Container joined = state.containerById(container.modeTarget());
                if (joined == null)
                {
                    throw new BerthException("container " + container.name() + " joined a container that has " +
                        "been removed; its namespace is gone");
                }
                yield namespaceOf(joined);
            }
        };
    }

    /** How {@code --network} reads for a container: the network name, host, none or container:NAME. */
    public String modeText(final Container container)
    {
        return switch (container.mode())
        {
            case NETWORK -> container.modeTarget();
            case NONE -> "none";
            case HOST -> "host";
            case CONTAINER ->
            {
                final Container joined = state.containerById(container.modeTarget());
                yield "container:" + (joined == null ? container.modeTarget() : joined.name());
            }
        };
    }

    // ----------------------------------------------------------------------------------------------- internals

    Endpoint attachNew(final Container container, final Network network, final int ip, final String ifName,
        final List<String> aliases)
    {
        final Endpoint endpoint = newEndpoint(network, ip, ifName, aliases);
        final Rollback rollback = new Rollback();
        try
        {
            attach(container, endpoint, false, List.of());
            rollback.add(() -> detach(container, endpoint, List.of()));
            commit(attachedEvent(container.id(), endpoint));
        }
        catch (final IOException | RuntimeException ex)
        {
            rollback.undo();
            throw ex instanceof BerthException be ? be : new BerthException("cannot attach " + container.name() +
                " to network " + network.name() + ": " + ex.getMessage(), ex);
        }
        return endpoint;
    }

    Endpoint newEndpoint(final Network network, final int ip, final String ifName, final List<String> aliases)
    {
        return newEndpoint(network, ip, ifName, aliases, 0);
    }

    /** @param mac the MAC asked for, 0 for the driver's. */
    Endpoint newEndpoint(final Network network, final int ip, final String ifName, final List<String> aliases,
        final long mac)
    {
        String device = ids.newDeviceName();
        while (portsByDevice.containsKey(device) || deviceInUse(device))
        {
            device = ids.newDeviceName();
        }
        return new Endpoint(network.id(), ifName, ip, mac != 0 ? mac : driverOf(network).endpointMac(network, ip),
            device, aliases);
    }

    private boolean deviceInUse(final String device)
    {
        return state.containers().stream().flatMap(c -> c.endpoints().stream()).anyMatch(e -> e.device().equals(device));
    }

    /**
     * Joins the endpoint through its network's driver, then tells the services (with the ports that lead to it);
     * a service that refuses takes the join back with it.
     */
    void attach(final Container container, final Endpoint endpoint, final boolean restore,
        final List<Event.PortMapping> ports) throws IOException
    {
        final Network network = state.networkById(endpoint.networkId());
        final NetworkDriver driver = driverOf(network);
        final boolean defaultRoute = container.endpoints().isEmpty() ||
            container.endpoints().iterator().next().networkId().equals(endpoint.networkId());
        // Docker's sandbox is its namespace file, which Docker configures; berth's and CNI's a name under /run/netns
        final String sandbox = container.docker() != null ? container.docker().sandboxKey() : container.sandbox();
        final int port = driver.join(network, sandbox, endpoint, defaultRoute, restore);
        portsByDevice.put(endpoint.device(), port);
        try
        {
            services.joined(endpointEvent(container, network, endpoint, ports, restore));
        }
        catch (final IOException | RuntimeException ex)
        {
            portsByDevice.remove(endpoint.device());
            driver.leave(network, endpoint, port);
            throw ex;
        }
    }

    /** Tells the services the endpoint leaves, then has its driver take it down. */
    void detach(final Container container, final Endpoint endpoint, final List<Event.PortMapping> ports)
    {
        final Network network = state.networkById(endpoint.networkId());
        services.left(endpointEvent(container, network, endpoint, ports, false));
        final Integer port = portsByDevice.remove(endpoint.device());
        if (port != null && network != null)
        {
            driverOf(network).leave(network, endpoint, port);
        }
    }

    /** Tells the services that {@code ports} now lead to the (joined) endpoint. */
    void published(final Container container, final Endpoint endpoint, final List<Event.PortMapping> ports)
        throws IOException
    {
        services.published(endpointEvent(container, state.networkById(endpoint.networkId()), endpoint, ports, false));
    }

    /** Tells the services that {@code ports} no longer lead to the endpoint. */
    void unpublished(final Container container, final Endpoint endpoint, final List<Event.PortMapping> ports)
    {
        services.unpublished(endpointEvent(container, state.networkById(endpoint.networkId()), endpoint, ports,
            false));
    }

    private static EndpointEvent endpointEvent(final Container container, final Network network,
        final Endpoint endpoint, final List<Event.PortMapping> ports, final boolean restore)
    {
        final long[] ip6 = network == null ? null : network.ipv6AddressOf(endpoint.ip());
        return new EndpointEvent(container.name(), container.id(), network == null ? "?" : network.name(),
            endpoint.networkId(), container.sandbox(), endpoint.ifName(),
            network == null || network.ipv4() ? endpoint.ip() : 0, ports, restore, // IPv6-only: no IPv4 to offer
            endpoint.aliases(), container.dns(), network != null && !network.isPredefined(),
            network != null && network.internal(),
            ip6 == null ? null : ByteBuffer.allocate(16).putLong(ip6[0]).putLong(ip6[1]).array());
    }

    /** The published ports that lead to {@code endpoint}: the container's, when it is its publish address. */
    static List<Event.PortMapping> portsOf(final Container container, final Endpoint endpoint)
    {
        return !container.ports().isEmpty() && endpoint.ip() == container.publishAddress() ? container.ports() :
            List.of();
    }

    Event.EndpointAttached attachedEvent(final String containerId, final Endpoint endpoint)
    {
        return new Event.EndpointAttached(containerId, endpoint.networkId(), endpoint.ifName(),
            Ipv4.format(endpoint.ip()), Ipv4.formatMac(endpoint.mac()), endpoint.device(), endpoint.aliases());
    }

    /** Container and endpoint events: this host's, so the local store's. */
    void commit(final Event event)
    {
        commit(stores.local(), event);
    }

    void commit(final Store store, final Event event)
    {
        state.apply(store.commit(event));
    }

    /** The subnets of every network with addresses, with their names, for the IPAM's overlap check. */
    /**
     * Runs {@code action} (making the network of Docker's pool {@code poolId}) with that pool not counted as in use:
     * its own subnet would overlap. Transient: nothing is journaled for it.
     */
    <T> T withPoolFree(final String poolId, final Supplier<T> action)
    {
        poolBeingBound = poolId;
        try
        {
            return action.get();
        }
        finally
        {
            poolBeingBound = null;
        }
    }

    Map<Cidr, String> subnetsInUse()
    {
        final Map<Cidr, String> inUse = new LinkedHashMap<>();
        for (final Network network : state.networks())
        {
            if (network.hasAddresses())
            {
                inUse.put(network.subnet(), network.name());
                network.moreSubnets().forEach(extra -> inUse.put(extra, network.name()));
            }
        }
        for (final DockerBook.Pool pool : state.docker().pools())
        {
            if (pool.definition().network() == null && !pool.definition().poolId().equals(poolBeingBound))
            {
                // given to Docker, whose CreateNetwork has not come yet
                inUse.putIfAbsent(Cidr.parse(pool.definition().subnet(), "subnet"),
                    "Docker's pool " + pool.definition().poolId().substring(0, 12));
            }
        }
        return inUse;
    }

    void releaseQuietly(final Network network, final int ip)
    {
        try
        {
            driverOf(network).releaseAddress(network, ip);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "address " + Ipv4.format(ip) + " on " + network.name() +
                " stays claimed: " + ex.getMessage());
        }
    }

    static String lowestFreeInterface(final Container container)
    {
        int index = 0;
        while (true)
        {
            final String candidate = "eth" + index;
            if (container.endpoints().stream().noneMatch(e -> e.ifName().equals(candidate)))
            {
                return candidate;
            }
            index++;
        }
    }

    String processNamespace(final NetworkMode mode, final String sandbox, final Container joined)
    {
        return mode == NetworkMode.CONTAINER ? namespaceOf(joined) : sandbox;
    }

    /** Links name existing containers and valid aliases; servers are addresses; search and options are words. */
    Event.DnsSettings checkDns(final Event.DnsSettings dns)
    {
        final List<String> links = new ArrayList<>();
        for (final String link : dns.links())
        {
            final int colon = link.indexOf(':');
            final String other = colon < 0 ? link : link.substring(0, colon);
            final String alias = colon < 0 ? other : link.substring(colon + 1);
            final Container target = state.containers().stream().filter(c -> c.name().equals(other)).findFirst()
                .orElseThrow(() -> new BerthException("--link " + link + ": no such container: " + other +
                    " (berth ps lists them)"));
            if (!Upstreams.isLabel(alias) && !alias.equals(target.name()))
            {
                throw new BerthException("--link " + link + ": the alias " + alias + " is not a valid DNS label: " +
                    "use letters, digits and inner hyphens (RFC 1123)");
            }
            links.add(target.name() + ":" + alias);
        }
        return new Event.DnsSettings(links, Upstreams.servers(dns.servers()),
            Upstreams.words(dns.search(), "--dns-search"),
            Upstreams.words(dns.options(), "--dns-option"), checkHostname(dns.hostname()));
    }

    /** {@code --hostname}: null or empty for none, else a host name as RFC 1123 has it (labels of at most 63). */
    static String checkHostname(final String hostname)
    {
        if (hostname == null || hostname.isEmpty())
        {
            return null;
        }
        final String label = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
        if (hostname.length() > 253 || !hostname.matches(label + "(\\." + label + ")*"))
        {
            throw new BerthException("--hostname " + hostname + " is not a valid host name: dot-separated labels " +
                "of letters, digits and inner hyphens, each at most 63 characters (RFC 1123)");
        }
        return hostname;
    }

    static String checkName(final String name, final String what)
    {
        if (name == null || name.isEmpty())
        {
            throw new BerthException("a " + what + " name is required");
        }
        if (!NAME.matcher(name).matches())
        {
            throw new BerthException("invalid " + what + " name \"" + name + "\": " + NAME_RULE);
        }
        return name;
    }

    void deleteQuietly(final String sandbox)
    {
        try
        {
            sandboxes.delete(sandbox);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot delete namespace " + sandbox + ": " + ex.getMessage());
        }
    }

    static void deleteTree(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static String names(final List<Container> containers)
    {
        return containers.stream().map(Container::name).collect(Collectors.joining(", "));
    }

    String now()
    {
        return Instant.now(clock).toString();
    }
}
