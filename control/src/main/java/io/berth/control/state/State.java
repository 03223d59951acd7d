package io.berth.control.state;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.ipam.Ipam;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.LocalIpam;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.model.ProcessRecord;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Networks and containers as the journal describes them. Changed only through {@link #apply(Event)}, by replay or
 * after a change succeeded, so what is journaled and what is in memory cannot drift apart. Owned by the control
 * thread.
 */
public final class State
{
    private final Ipam ipam;
    private final DockerBook docker = new DockerBook();
    private final Map<String, Network> networksById = new LinkedHashMap<>();
    private final Map<String, Container> containersById = new LinkedHashMap<>();
    /** {@code berth run}s journaled as intent and not yet completed or abandoned. */
    private final Map<String, Event.ContainerIntent> pendingRuns = new LinkedHashMap<>();

    public State()
    {
        this(new LocalIpam());
    }

    /** @param ipam where each network's address book comes from. */
    public State(final Ipam ipam)
    {
        this.ipam = ipam;
    }

    public Ipam ipam()
    {
        return ipam;
    }

    /** What the Docker plugin holds for Docker. */
    public DockerBook docker()
    {
        return docker;
    }

    public void apply(final Event event)
    {
        if (event instanceof Event.NetworkCreated created)
        {
            networksById.put(created.id(), new Network(created, ipam));
        }
        else if (event instanceof Event.NetworkRemoved removed)
        {
            networksById.remove(removed.id());
        }
        else if (event instanceof Event.ContainerIntent intent)
        {
            pendingRuns.put(intent.id(), intent);
        }
        else if (event instanceof Event.ContainerAbandoned abandoned)
        {
            pendingRuns.remove(abandoned.id());
        }
        else if (event instanceof Event.ContainerCreated created)
        {
            pendingRuns.remove(created.id());
            containersById.put(created.id(), new Container(created));
        }
        else if (event instanceof Event.ContainerRemoved removed)
        {
            final Container container = containersById.remove(removed.id());
            if (container != null && !container.addressesHeldElsewhere())
            {
                for (final Endpoint endpoint : container.endpoints())
                {
                    releaseAddress(endpoint);
                }
            }
        }
        else if (event instanceof Event.EndpointAttached attached)
        {
            final Endpoint endpoint = new Endpoint(attached.network(), attached.ifName(),
                Ipv4.parse(attached.ip(), "ip"), parseMac(attached.mac()), attached.device(), attached.aliases());
            requireContainer(attached.container()).addEndpoint(endpoint);
            final Network network = networksById.get(attached.network());
            if (network != null && network.hasAddresses())
            {
                network.addressesFor(endpoint.ip()).take(endpoint.ip());
            }
        }
        else if (event instanceof Event.EndpointDetached detached)
        {
            final Container container = requireContainer(detached.container());
            final Endpoint endpoint = container.removeEndpoint(detached.network());
            if (endpoint != null && !container.addressesHeldElsewhere())
            {
                releaseAddress(endpoint);
            }
        }
        else if (event instanceof Event.ProcessStarted started)
        {
            requireContainer(started.container()).process(
                new ProcessRecord(started.pid(), started.startTime(), List.copyOf(started.cmd()), started.log()));
        }
        else if (event instanceof Event.PortsPublished published)
        {
            requireContainer(published.container()).ports(published.ports());
        }
        else if (event instanceof Event.DockerAddress address)
        {
            docker.apply(address);
            final Network network = networksById.get(address.network());
            if (network != null && network.hasAddresses())
            {
                final int ip = Ipv4.parse(address.ip(), "ip");
                if (address.taken())
                {
                    network.addressesFor(ip).take(ip);
                }
                else
                {
                    network.addressesFor(ip).release(ip);
                }
            }
        }
        else if (event instanceof Event.DockerPool || event instanceof Event.DockerPoolReleased ||
            event instanceof Event.DockerNetwork || event instanceof Event.DockerEndpoint)
        {
            docker.apply(event);
        }
    }

    /** Runs that were journaled as intent and neither completed nor taken back (a crash cut them short). */
    public Collection<Event.ContainerIntent> pendingRuns()
    {
        return Collections.unmodifiableCollection(new ArrayList<>(pendingRuns.values()));
    }

    public Collection<Network> networks()
    {
        return Collections.unmodifiableCollection(networksById.values());
    }

    public Collection<Container> containers()
    {
        return Collections.unmodifiableCollection(containersById.values());
    }

    public Network networkById(final String id)
    {
        return networksById.get(id);
    }

    /**
     * The name of the network with {@code id}, for display; a network this host no longer has (a global network
     * the store lost, say) shows as its short id, so a view never fails on it.
     */
    public String networkName(final String id)
    {
        final Network network = networksById.get(id);
        return network != null ? network.name() : "(unknown network " + id.substring(0, Math.min(12, id.length())) + ")";
    }

    public Container containerById(final String id)
    {
        return containersById.get(id);
    }

    /** Shortest id prefix accepted: the 12 characters {@code ls} and {@code ps} show. Shorter would let a
     * mistyped name such as "db" silently pick whichever container's id starts with it. */
    public static final int MIN_ID_PREFIX = 12;
    /** A "not found" message names at most this many of what exists: it must not grow with the host. */
    static final int KNOWN_NAMES_SHOWN = 10;

    /** By name, full id or unique id prefix (at least {@link #MIN_ID_PREFIX} characters), as Docker does. */
    public Network findNetwork(final String nameOrId)
    {
        return find(networksById.values(), nameOrId, Network::name, Network::id, "network");
    }

    public Network network(final String nameOrId)
    {
        final Network network = findNetwork(nameOrId);
        if (network == null)
        {
            throw new BerthException("network " + nameOrId + " not found" + knownNames(networksById.values(),
                Network::name));
        }
        return network;
    }

    public Container findContainer(final String nameOrId)
    {
        return find(containersById.values(), nameOrId, Container::name, Container::id, "container");
    }

    public Container container(final String nameOrId)
    {
        final Container container = findContainer(nameOrId);
        if (container == null)
        {
            throw new BerthException("no such container: " + nameOrId + knownNames(containersById.values(),
                Container::name));
        }
        return container;
    }

    /** The containers attached to a network, in creation order. */
    public List<Container> containersOn(final String networkId)
    {
        final List<Container> attached = new ArrayList<>();
        for (final Container container : containersById.values())
        {
            if (container.endpointOn(networkId) != null)
            {
                attached.add(container);
            }
        }
        return attached;
    }

    /** Containers started with --network container:ID. */
    public List<Container> containersJoining(final String containerId)
    {
        final List<Container> joining = new ArrayList<>();
        for (final Container container : containersById.values())
        {
            if (container.mode() == NetworkMode.CONTAINER && containerId.equals(container.modeTarget()))
            {
                joining.add(container);
            }
        }
        return joining;
    }

    private void releaseAddress(final Endpoint endpoint)
    {
        final Network network = networksById.get(endpoint.networkId());
        if (network != null && network.hasAddresses())
        {
            network.addressesFor(endpoint.ip()).release(endpoint.ip());
        }
    }

    private Container requireContainer(final String id)
    {
        final Container container = containersById.get(id);
        if (container == null)
        {
            throw new IllegalStateException("journal refers to unknown container " + id);
        }
        return container;
    }

    private static <T> T find(final Collection<T> all, final String key, final Function<T, String> name,
        final Function<T, String> id, final String what)
    {
        if (key == null || key.isEmpty())
        {
            return null;
        }
        for (final T item : all)
        {
            if (name.apply(item).equals(key) || id.apply(item).equals(key))
            {
                return item;
            }
        }
        if (key.length() < MIN_ID_PREFIX)
        {
            return null;
        }
        T match = null;
        for (final T item : all)
        {
            if (id.apply(item).startsWith(key))
            {
                if (match != null)
                {
                    throw new BerthException(what + " id prefix " + key + " is ambiguous; give more characters");
                }
                match = item;
            }
        }
        return match;
    }

    private static <T> String knownNames(final Collection<T> all, final Function<T, String> name)
    {
        if (all.isEmpty())
        {
            return " (there are none)";
        }
        final List<String> names = new ArrayList<>();
        for (final T item : all)
        {
            if (names.size() == KNOWN_NAMES_SHOWN)
            {
                return " (known: " + String.join(", ", names) + " and " + (all.size() - KNOWN_NAMES_SHOWN) + " more)";
            }
            names.add(name.apply(item));
        }
        return " (known: " + String.join(", ", names) + ")";
    }

    static long parseMac(final String text)
    {
        return Long.parseLong(text.replace(":", ""), 16);
    }
}
