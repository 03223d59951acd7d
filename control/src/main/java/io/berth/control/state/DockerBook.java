package io.berth.control.state;

import io.berth.control.event.Event;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What berth's Docker plugin holds for Docker, rebuilt from the journal: pools (IPAM), the addresses taken from
 * them, Docker networks and the berth networks behind them, and endpoints. Docker never sends any of it again
 * after a plugin restart, so all of it is journaled. Control thread.
 */
public final class DockerBook
{
    /** A pool and the addresses Docker holds in it (as dotted quads). */
    public record Pool(Event.DockerPool definition, Set<String> addresses)
    {
    }

    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final Map<String, Event.DockerNetwork> networks = new LinkedHashMap<>();
    private final Map<String, Event.DockerEndpoint> endpoints = new LinkedHashMap<>();
    /** Docker's container names by endpoint id, learned from dockerd's API (not journaled: learned again). */
    private final Map<String, String> names = new LinkedHashMap<>();

    void apply(final Event event)
    {
        if (event instanceof Event.DockerPool pool)
        {
            final Pool earlier = pools.get(pool.poolId());
            pools.put(pool.poolId(), new Pool(pool, earlier == null ? new LinkedHashSet<>() : earlier.addresses()));
        }
        else if (event instanceof Event.DockerPoolReleased released)
        {
            pools.remove(released.poolId());
        }
        else if (event instanceof Event.DockerAddress address)
        {
            final Pool pool = pools.get(address.poolId());
            if (pool != null && address.taken())
            {
                pool.addresses().add(address.ip());
            }
            else if (pool != null)
            {
                pool.addresses().remove(address.ip());
            }
        }
        else if (event instanceof Event.DockerNetwork network)
        {
            if (network.removed())
            {
                networks.remove(network.dockerId());
            }
            else
            {
                networks.put(network.dockerId(), network);
            }
        }
        else if (event instanceof Event.DockerEndpoint endpoint)
        {
            if (endpoint.removed())
            {
                endpoints.remove(endpoint.endpointId());
                names.remove(endpoint.endpointId());
            }
            else
            {
                endpoints.put(endpoint.endpointId(), endpoint);
            }
        }
    }

    /** Records the Docker name of the container behind a known endpoint; unknown endpoints are ignored. */
    public void named(final String endpointId, final String name)
    {
        if (endpoints.containsKey(endpointId))
        {
            names.put(endpointId, name.startsWith("/") ? name.substring(1) : name);
        }
    }

    /** The Docker name of the container behind the endpoint, or null while not known. */
    public String nameOf(final String endpointId)
    {
        return names.get(endpointId);
    }

    public Pool pool(final String poolId)
    {
        return pools.get(poolId);
    }

    public Collection<Pool> pools()
    {
        return Collections.unmodifiableCollection(pools.values());
    }

    public Event.DockerNetwork network(final String dockerId)
    {
        return networks.get(dockerId);
    }

    public Collection<Event.DockerNetwork> networks()
    {
        return Collections.unmodifiableCollection(networks.values());
    }

    public Event.DockerEndpoint endpoint(final String endpointId)
    {
        return endpoints.get(endpointId);
    }

    public Collection<Event.DockerEndpoint> endpoints()
    {
        return Collections.unmodifiableCollection(endpoints.values());
    }
}
