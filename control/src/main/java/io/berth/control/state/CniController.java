package io.berth.control.state;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.dns.Upstreams;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.sandbox.Sandboxes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The CNI plugin's calls (ADD, DEL, GC) for containers a runtime such as podman made: the namespace is the
 * runtime's, the endpoint berth's. Control thread.
 */
public final class CniController
{
    private final State state;
    private final Dataplane dataplane;
    private final Sandboxes sandboxes;
    private final Path containersDir;
    private final Ids ids;
    private final ControlCore core;
    private final PortPublishing publishing;
    private final ContainerController containers;

    CniController(final ControlCore core, final PortPublishing publishing, final ContainerController containers)
    {
        this.state = core.state;
        this.dataplane = core.dataplane;
        this.sandboxes = core.sandboxes;
        this.containersDir = core.containersDir;
        this.ids = core.ids;
        this.core = core;
        this.publishing = publishing;
        this.containers = containers;
    }

    // ---------------------------------------------------------------------------------------------- CNI

    /**
     * What a CNI {@code ADD} asks for. {@code netns} is the namespace's name under /run/netns; {@code name} the
     * runtime's container name (podman's K8S_POD_NAME), or null; {@code ip} and {@code mac} the pinned ones, or
     * null and 0; {@code publish} in {@code berth run -p} syntax.
     */
    public record CniAdd(String containerId, String netns, String netnsPath, String ifName, String network,
        String name, String ip, long mac, List<String> publish, List<String> aliases)
    {
    }

    /** The container a CNI runtime attached under {@code containerId}, or null. */
    public Container cniContainer(final String containerId)
    {
        return state.containers().stream()
            .filter(c -> c.cni() != null && c.cni().containerId().equals(containerId))
            .findFirst().orElse(null);
    }

    /** The endpoint of a CNI container inside its namespace as {@code ifName}, or null. */
    public static Endpoint endpointNamed(final Container container, final String ifName)
    {
        return container.endpoints().stream().filter(e -> e.ifName().equals(ifName)).findFirst().orElse(null);
    }

    /**
     * CNI {@code ADD}: the first interface makes the container (its name, eth0's address, its published ports),
     * a further one (the runtime's second network) connects it. The same container and interface again is
     * answered with what it already has, as long as it is on the same network.
     */
    public Container cniAdd(final CniAdd add)
    {
        final Network network = state.network(add.network());
        if (core.driverOf(network).attachment() != NetworkDriver.Attachment.ENDPOINT)
        {
            throw new BerthException("network " + network.name() + " (driver " + network.driver() + ") gives " +
                "containers no interface of their own; a CNI network needs one that does (bridge, overlay, macvlan, " +
                "ipvlan)");
        }
        final List<String> aliases = network.isPredefined() ? List.of() :
            Upstreams.aliases(add.aliases(), "aliases");
        final Container existing = cniContainer(add.containerId());
        if (existing != null)
        {
            final Endpoint same = endpointNamed(existing, add.ifName());
            if (same != null)
            {
                if (!same.networkId().equals(network.id()))
                {
                    throw new BerthException("container " + add.containerId() + " already has " + add.ifName() +
                        " on network " + state.networkName(same.networkId()) + "; DEL it first");
                }
                return existing;
            }
            if (existing.endpointOn(network.id()) != null)
            {
                throw new BerthException("container " + existing.name() + " is already on network " +
                    network.name() + " as " + existing.endpointOn(network.id()).ifName());
            }
            final int ip = core.driverOf(network).allocateAddress(network, add.ip(), existing.id());
            final Endpoint endpoint = core.newEndpoint(network, ip, add.ifName(), aliases, add.mac());
            try
            {
                core.attach(existing, endpoint, false, List.of());
            }
            catch (final IOException | RuntimeException ex)
            {
                core.releaseQuietly(network, ip);
                throw ex instanceof BerthException be ? be : new BerthException("cannot attach " + add.ifName() +
                    " of " + existing.name() + " to network " + network.name() + ": " + ex.getMessage(), ex);
            }
            core.commit(core.attachedEvent(existing.id(), endpoint));
            return existing;
        }
        if (!sandboxes.exists(add.netns()))
        {
            throw new BerthException("CNI_NETNS " + add.netnsPath() + " is no network namespace (no nsfs mount " +
                "at /run/netns/" + add.netns() + ")");
        }
        final String name = cniName(add);
        final List<Event.PortMapping> ports = publishing.parsePorts(add.publish());
        if (!ports.isEmpty() && !core.driverOf(network).externalConnectivity())
        {
            throw new BerthException("cannot publish ports (" + String.join(", ", add.publish()) + ") on network " +
                network.name() + ": it has no way out (internal, or a LAN network)");
        }
        publishing.checkPortsFree(ports);
        final String id = ids.newId();
        final int ip = core.driverOf(network).allocateAddress(network, add.ip(), id);
        final Rollback undo = new Rollback();
        undo.add(() -> core.releaseQuietly(network, ip));
        final Event.ContainerCreated created = new Event.ContainerCreated(id, name, NetworkMode.NETWORK.journalName(),
            network.name(), add.netns(), core.now(), Event.DnsSettings.NONE,
            new Event.CniAttachment(add.containerId(), add.netnsPath()));
        final Endpoint endpoint = core.newEndpoint(network, ip, add.ifName(), aliases, add.mac());
        try
        {
            // no namespace in the intent: the runtime's, which a crash must not take away
            core.commit(new Event.ContainerIntent(id, name, null, endpoint.device(), core.now()));
        }
        catch (final RuntimeException ex)
        {
            undo.undo();
            throw ex;
        }
        try
        {
            final Container draft = new Container(created);
            for (final Event.PortMapping mapping : ports)
            {
                publishing.publishDnat(name, mapping, network.ipv4() ? ip : 0, network.ipv6AddressOf(ip), undo);
            }
            core.attach(draft, endpoint, false, ports);
        }
        catch (final IOException | RuntimeException ex)
        {
            undo.undo();
            core.commit(new Event.ContainerAbandoned(id, name));
            throw ex instanceof BerthException be ? be :
                new BerthException("cannot attach " + add.ifName() + " in " + add.netnsPath() + ": " + ex.getMessage(),
                    ex);
        }
        core.commit(created);
        core.commit(core.attachedEvent(id, endpoint));
        if (!ports.isEmpty())
        {
            core.commit(new Event.PortsPublished(id, ports));
        }
        return state.containerById(id);
    }

    /**
     * CNI {@code DEL}: takes the interface away, and the container with its last one (addresses and ports freed).
     * Idempotent: an unknown container or interface is no error.
     *
     * @return whether there was something to delete.
     */
    public boolean cniDel(final String containerId, final String ifName)
    {
        final Container container = cniContainer(containerId);
        if (container == null)
        {
            return false;
        }
        final Endpoint endpoint = endpointNamed(container, ifName);
        if (endpoint == null)
        {
            return false;
        }
        if (container.endpoints().size() == 1)
        {
            containers.remove(container.id(), true);
            return true;
        }
        final Network network = state.networkById(endpoint.networkId());
        if (network != null)
        {
            core.driverOf(network).releaseAddress(network, endpoint.ip());
        }
        core.detach(container, endpoint, ControlCore.portsOf(container, endpoint));
        core.commit(new Event.EndpointDetached(container.id(), endpoint.networkId()));
        return true;
    }

    /**
     * CNI {@code GC}: deletes the attachments to {@code networkName} that the runtime no longer lists (keys
     * {@code CONTAINERID/IFNAME}).
     *
     * @return the container names whose attachments were deleted.
     */
    public List<String> cniGc(final String networkName, final Set<String> valid)
    {
        final Network network = state.network(networkName);
        final List<String> deleted = new ArrayList<>();
        for (final Container container : List.copyOf(state.containers()))
        {
            final Endpoint endpoint = container.cni() == null ? null : container.endpointOn(network.id());
            if (endpoint != null && !valid.contains(container.cni().containerId() + "/" + endpoint.ifName()))
            {
                deleted.add(container.name());
                cniDel(container.cni().containerId(), endpoint.ifName());
            }
        }
        return deleted;
    }

    /** The runtime's name when it is free and fits, else cni-ID (12 hex of the runtime's id). */
    private String cniName(final CniAdd add)
    {
        final String asked = add.name();
        if (asked != null && ControlCore.NAME.matcher(asked).matches() &&
            state.containers().stream().noneMatch(c -> c.name().equals(asked)))
        {
            return asked;
        }
        final String id = add.containerId();
        final String fallback = "cni-" + (id.length() > 12 ? id.substring(0, 12) : id);
        if (state.containers().stream().anyMatch(c -> c.name().equals(fallback)))
        {
            throw new BerthException("the container names " + asked + " and " + fallback + " are both in use");
        }
        return fallback;
    }

    /** Frees what a CNI container whose namespace vanished still holds, and forgets it. */
    void forgetCniContainer(final Container container)
    {
        for (final Endpoint endpoint : container.endpoints())
        {
            final Network network = state.networkById(endpoint.networkId());
            if (network != null)
            {
                core.releaseQuietly(network, endpoint.ip());
            }
            dataplane.removeLeftoverDevice(endpoint.device());
        }
        ControlCore.deleteTree(containersDir.resolve(container.id()));
        core.commit(new Event.ContainerRemoved(container.id(), container.name()));
    }
}
