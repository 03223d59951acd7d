package io.berth.control.state;

import io.berth.control.dns.Upstreams;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.model.ProcessRecord;
import io.berth.control.sandbox.Sandboxes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Containers: run, remove, connect to and disconnect from networks, their logs. Each request validates fully,
 * acts with a {@link Rollback} for every step, then commits. Control thread.
 */
public final class ContainerController
{
    private static final System.Logger LOG = System.getLogger("io.berth.control");
    private final State state;
    private final Sandboxes sandboxes;
    private final Path containersDir;
    private final Ids ids;
    private final ControlCore core;
    private final PortPublishing publishing;

    ContainerController(final ControlCore core, final PortPublishing publishing)
    {
        this.state = core.state;
        this.sandboxes = core.sandboxes;
        this.containersDir = core.containersDir;
        this.ids = core.ids;
        this.core = core;
        this.publishing = publishing;
    }

    public Endpoint connect(final String networkName, final String containerName, final String pinnedIp)
    {
        return connect(networkName, containerName, pinnedIp, List.of());
    }

    /** {@code berth network connect [--alias A ...]}. */
    public Endpoint connect(final String networkName, final String containerName, final String pinnedIp,
        final List<String> aliasArgs)
    {
        final Network network = state.network(networkName);
        final List<String> aliases = Upstreams.aliases(aliasArgs, "--alias");
        if (!aliases.isEmpty() && network.isPredefined())
        {
            throw new BerthException("network-scoped aliases (--alias " + String.join(", ", aliases) + ") are " +
                "supported on user-defined networks only, not on " + network.name());
        }
        final Container container = state.container(containerName);
        if (core.driverOf(network).attachment() != NetworkDriver.Attachment.ENDPOINT)
        {
            throw new BerthException("cannot connect a container to the " + network.name() + " network; connect " +
                "it to a bridge network");
        }
        if (container.mode() != NetworkMode.NETWORK)
        {
            throw new BerthException("container " + container.name() + " uses --network " + core.modeText(container) +
                " and cannot be connected to a network");
        }
        if (container.endpointOn(network.id()) != null)
        {
            throw new BerthException("container " + container.name() + " is already connected to network " +
                network.name());
        }
        final NetworkDriver driver = core.driverOf(network);
        final int ip = driver.allocateAddress(network, pinnedIp, container.id());
        try
        {
            return core.attachNew(container, network, ip, ControlCore.lowestFreeInterface(container), aliases);
        }
        catch (final RuntimeException ex)
        {
            core.releaseQuietly(network, ip);
            throw ex;
        }
    }

    public void disconnect(final String networkName, final String containerName)
    {
        final Network network = state.network(networkName);
        final Container container = state.container(containerName);
        final Endpoint endpoint = container.endpointOn(network.id());
        if (endpoint == null)
        {
            throw new BerthException("container " + container.name() + " is not connected to network " +
                network.name());
        }
        if (!container.ports().isEmpty() && endpoint.ip() == container.publishAddress())
        {
            throw new BerthException("container " + container.name() + " publishes ports on its address " +
                Ipv4.format(endpoint.ip()) + " on network " + network.name() + "; it cannot be disconnected from " +
                "it (remove the container to unpublish them)");
        }
        final boolean hadDefaultRoute = container.endpoints().iterator().next().equals(endpoint);
        core.driverOf(network).releaseAddress(network, endpoint.ip()); // first: refused while a global store is away
        core.detach(container, endpoint, List.of());
        core.commit(new Event.EndpointDetached(container.id(), network.id()));
        if (hadDefaultRoute && !container.endpoints().isEmpty())
        {
            // as Docker: the default route moves to a network the container is still on (the next to restore it)
            final Endpoint next = container.endpoints().iterator().next();
            final Network nextNetwork = state.networkById(next.networkId());
            try
            {
                core.driverOf(nextNetwork).takeDefaultRoute(nextNetwork, container.sandbox(), next);
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "container " + container.name() + " has no default route " +
                    "after leaving " + network.name() + ": " + ex.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- containers

    /**
     * {@code berth run}: makes the sandbox, attaches eth0, starts the command. Undoes each done step when a later
     * one fails; journals only once all succeeded.
     */
    public Container run(final String nameArg, final String networkArg, final String pinnedIp, final List<String> cmd)
    {
        return run(nameArg, networkArg, pinnedIp, cmd, List.of());
    }

    /**
     * {@code berth run} with {@code -p} specs: publishes them after attaching eth0 and before starting the
     * command; a malformed spec, a host port already published or a proxy port that cannot be bound refuses the
     * whole run.
     */
    public Container run(final String nameArg, final String networkArg, final String pinnedIp, final List<String> cmd,
        final List<String> publish)
    {
        return run(nameArg, networkArg, pinnedIp, cmd, publish, List.of(), Event.DnsSettings.NONE);
    }

    /**
     * {@code berth run} with its name-service flags: {@code --network-alias} (eth0's aliases), {@code --link},
     * {@code --dns}, {@code --dns-search} and {@code --dns-option}; each checked before anything is made.
     */
    public Container run(final String nameArg, final String networkArg, final String pinnedIp, final List<String> cmd,
        final List<String> publish, final List<String> aliasArgs, final Event.DnsSettings dnsArgs)
    {
        final String name = ControlCore.checkName(nameArg, "container");
        final List<String> aliases = Upstreams.aliases(aliasArgs, "--network-alias");
        final Event.DnsSettings dns = core.checkDns(dnsArgs);
        if (state.containers().stream().anyMatch(c -> c.name().equals(name)))
        {
            throw new BerthException("the container name " + name + " is already in use; remove that container " +
                "(berth rm -f " + name + ") or pick another name");
        }
        final String networkText = networkArg == null || networkArg.isEmpty() ? ControlService.DEFAULT_NETWORK : networkArg;
        NetworkMode mode;
        Network network = null;
        Container joined = null;
        if (networkText.startsWith("container:"))
        {
            mode = NetworkMode.CONTAINER;
            joined = state.container(networkText.substring("container:".length()));
        }
        else
        {
            network = state.network(networkText);
            mode = switch (core.driverOf(network).attachment())
            {
                case HOST_NAMESPACE -> NetworkMode.HOST;
                case ISOLATED -> NetworkMode.NONE;
                case ENDPOINT -> NetworkMode.NETWORK;
            };
        }
        if (!aliases.isEmpty() && (mode != NetworkMode.NETWORK || network.isPredefined()))
        {
            throw new BerthException("network-scoped aliases (--network-alias " + String.join(", ", aliases) + ") " +
                "are supported on user-defined networks only, not on --network " + networkText);
        }
        if (pinnedIp != null && !pinnedIp.isEmpty())
        {
            if (mode != NetworkMode.NETWORK)
            {
                throw new BerthException("--ip " + pinnedIp + " needs a bridge network; --network " + networkText +
                    " has no addresses of its own");
            }
            if (network.isPredefined())
            {
                throw new BerthException("user specified IP address (--ip " + pinnedIp + ") is supported on " +
                    "user defined networks only, not on the default network " + network.name());
            }
        }
        final boolean hasCommand = cmd != null && !cmd.isEmpty();
        if (hasCommand)
        {
            sandboxes.checkExecutable(cmd.get(0));
        }
        final String sandbox = mode.ownsSandbox() ? name : null;
        if (dns.hostname() != null && sandbox == null)
        {
            throw new BerthException("--hostname " + dns.hostname() + " needs a sandbox of its own; --network " +
                networkText + " shares " + (mode == NetworkMode.HOST ? "the host's" : "another container's") +
                " (and its host name)");
        }
        if (sandbox != null && sandboxes.exists(sandbox))
        {
            throw new BerthException("a network namespace named " + sandbox + " already exists (ip netns list); " +
                "delete it or pick another container name");
        }
        final List<Event.PortMapping> ports = publishing.parsePorts(publish == null ? List.of() : publish);
        if (!ports.isEmpty() && (mode != NetworkMode.NETWORK || !core.driverOf(network).externalConnectivity()))
        {
            throw new BerthException("cannot publish ports (-p " + String.join(", -p ", publish) + ") with " +
                "--network " + networkText + ": publishing needs a bridge network (the container's address on it " +
                "is what a published port leads to)");
        }
        publishing.checkPortsFree(ports);
        final String id = ids.newId();
        final Network eth0Network = network;
        final int ip = mode == NetworkMode.NETWORK ? core.driverOf(network).allocateAddress(network, pinnedIp, id) : 0;
        final String processNetns = core.processNamespace(mode, sandbox, joined);

        // act, undoing on failure
        final Rollback undo = new Rollback();
        if (ip != 0)
        {
            undo.add(() -> core.releaseQuietly(eth0Network, ip));
        }
        final Event.ContainerCreated created = new Event.ContainerCreated(id, name, mode.journalName(),
            mode == NetworkMode.NETWORK ? network.name() : mode == NetworkMode.CONTAINER ? joined.id() : null,
            sandbox, core.now(), dns, null);
        Event.EndpointAttached attached = null;
        Event.ProcessStarted started = null;
        final Endpoint eth0 = mode == NetworkMode.NETWORK ? core.newEndpoint(network, ip, "eth0", aliases) : null;
        // the intent first: a crash from here on leaves a record of what to take back at the next start
        try
        {
            core.commit(new Event.ContainerIntent(id, name, sandbox, eth0 == null ? null : eth0.device(), core.now()));
        }
        catch (final RuntimeException ex)
        {
            undo.undo();
            throw ex;
        }
        try
        {
            if (sandbox != null)
            {
                sandboxes.create(sandbox);
                undo.add(() -> core.deleteQuietly(sandbox));
            }
            if (mode == NetworkMode.NETWORK)
            {
                final Endpoint endpoint = eth0;
                final Container draft = new Container(created);
                for (final Event.PortMapping mapping : ports)
                {
                    publishing.publishDnat(name, mapping, network.ipv4() ? ip : 0, network.ipv6AddressOf(ip), undo);
                }
                core.attach(draft, endpoint, false, ports);
                undo.add(() -> core.detach(draft, endpoint, ports));
                attached = core.attachedEvent(id, endpoint);
            }
            if (hasCommand)
            {
                final Path log = containersDir.resolve(id).resolve("output.log");
                final ProcessRecord process = sandboxes.start(processNetns, sandbox == null ? null :
                    dns.hostname() != null ? dns.hostname() : hostnameOf(name, id), cmd, log);
                started = new Event.ProcessStarted(id, process.pid(), process.startTime(), process.cmd(),
                    process.log());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            undo.undo();
            ControlCore.deleteTree(containersDir.resolve(id));
            core.commit(new Event.ContainerAbandoned(id, name));
            if (ex instanceof RuntimeException && !(ex instanceof BerthException))
            {
                // not a refusal but a fault: its message may say little, its stack says where
                LOG.log(System.Logger.Level.WARNING, "creating container " + name + " failed", ex);
            }
            throw ex instanceof BerthException be ? be :
                new BerthException("cannot create container " + name + ": " + ex, ex);
        }
        core.commit(created);
        if (attached != null)
        {
            core.commit(attached);
        }
        if (!ports.isEmpty())
        {
            core.commit(new Event.PortsPublished(id, ports));
        }
        if (started != null)
        {
            core.commit(started);
        }
        return state.containerById(id);
    }

    public void remove(final String nameOrId, final boolean force)
    {
        final Container container = state.container(nameOrId);
        if (container.cni() != null && !force)
        {
            throw new BerthException("container " + container.name() + " was attached by a CNI runtime (container " +
                "id " + container.cni().containerId() + "); remove it there (podman rm " + container.name() + "), " +
                "or use berth rm -f " + container.name() + " to take its interfaces away");
        }
        if (container.docker() != null && !force)
        {
            throw new BerthException("container " + container.name() + " is Docker's endpoint " +
                DockerController.shortId(container.docker().endpointId()) + "; remove it there (docker rm, docker " +
                "network disconnect), or use berth rm -f " + container.name() + " to take its interface away");
        }
        final List<Container> joining = state.containersJoining(container.id());
        if (!joining.isEmpty() && !force)
        {
            throw new BerthException("cannot remove container " + container.name() + ": its network namespace " +
                "is used by " + ControlCore.names(joining) + " (--network container:" + container.name() + "); remove " +
                "those first or use -f");
        }
        final boolean running = core.isRunning(container);
        if (running && !force)
        {
            throw new BerthException("cannot remove container " + container.name() + ": it is running; use " +
                "berth rm -f " + container.name() + " to kill and remove it");
        }
        for (final Endpoint endpoint : container.endpoints())
        {
            // first: a global store that is away refuses, and nothing has been taken down yet
            final Network network = state.networkById(endpoint.networkId());
            if (network != null && !container.addressesHeldElsewhere())
            {
                core.driverOf(network).releaseAddress(network, endpoint.ip());
            }
        }
        if (container.sandbox() != null && container.cni() == null)
        {
            sandboxes.killAllIn(container.sandbox());
        }
        if (container.process() != null)
        {
            sandboxes.killGroup(container.process());
        }
        for (final Endpoint endpoint : container.endpoints())
        {
            core.detach(container, endpoint, ControlCore.portsOf(container, endpoint));
        }
        publishing.unpublishAll(container);
        if (container.sandbox() != null && container.cni() == null)
        {
            try
            {
                sandboxes.delete(container.sandbox());
            }
            catch (final IOException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "cannot delete namespace " + container.sandbox() + ": " +
                    ex.getMessage());
            }
        }
        ControlCore.deleteTree(containersDir.resolve(container.id()));
        core.commit(new Event.ContainerRemoved(container.id(), container.name()));
    }

    public String logs(final String nameOrId)
    {
        final Container container = state.container(nameOrId);
        if (container.process() == null)
        {
            return "";
        }
        try
        {
            final Path log = Path.of(container.process().log());
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        }
        catch (final IOException ex)
        {
            throw new BerthException("cannot read the log of " + container.name() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * The host name a container with its own sandbox gets, as in Docker: its name when that is a valid host name
     * (RFC 1123: letters, digits and hyphens, at most 63), else the first 12 characters of its id. Both are in the
     * sandbox's /etc/hosts.
     */
    static String hostnameOf(final String name, final String id)
    {
        return name.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?") ? name : id.substring(0, 12);
    }
}
