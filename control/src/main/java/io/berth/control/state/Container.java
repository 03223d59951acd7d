package io.berth.control.state;

import io.berth.control.event.Event;
import io.berth.control.model.Endpoint;
import io.berth.control.model.ProcessRecord;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A container: its sandbox, its endpoints by network id, and its process. Owned by the control thread. */
public final class Container
{
    private final Event.ContainerCreated created;
    private final NetworkMode mode;
    private final Map<String, Endpoint> endpointsByNetwork = new LinkedHashMap<>();
    private ProcessRecord process;
    private List<Event.PortMapping> ports = List.of();

    Container(final Event.ContainerCreated created)
    {
        this.created = created;
        this.mode = NetworkMode.fromJournal(created.mode());
    }

    public String id()
    {
        return created.id();
    }

    public String name()
    {
        return created.name();
    }

    public NetworkMode mode()
    {
        return mode;
    }

    /** The network name given to --network (NETWORK mode), or the joined container's id (CONTAINER mode). */
    public String modeTarget()
    {
        return created.modeTarget();
    }

    /** The namespace it owns (NETWORK and NONE modes), else null. */
    public String sandbox()
    {
        return created.sandbox();
    }

    /** Its --link, --dns, --dns-search and --dns-option settings. */
    public Event.DnsSettings dns()
    {
        return created.dns();
    }

    /** The CNI runtime's container this is, or null for berth's own. */
    public Event.CniAttachment cni()
    {
        return created.cni();
    }

    /** The Docker endpoint this is, or null. */
    public Event.DockerAttachment docker()
    {
        return created.docker();
    }

    /** Whether its addresses are someone else's to free (Docker's IPAM), not the container's. */
    public boolean addressesHeldElsewhere()
    {
        return created.docker() != null;
    }

    public String createdAt()
    {
        return created.created();
    }

    public Collection<Endpoint> endpoints()
    {
        return Collections.unmodifiableCollection(endpointsByNetwork.values());
    }

    public Endpoint endpointOn(final String networkId)
    {
        return endpointsByNetwork.get(networkId);
    }

    public ProcessRecord process()
    {
        return process;
    }

    void addEndpoint(final Endpoint endpoint)
    {
        endpointsByNetwork.put(endpoint.networkId(), endpoint);
    }

    Endpoint removeEndpoint(final String networkId)
    {
        return endpointsByNetwork.remove(networkId);
    }

    void process(final ProcessRecord process)
    {
        this.process = process;
    }

    /** Its published ports, one per port (ranges expanded), in the order given. */
    public List<Event.PortMapping> ports()
    {
        return ports;
    }

    void ports(final List<Event.PortMapping> ports)
    {
        this.ports = List.copyOf(ports);
    }

    /** The address its ports are published on: eth0's (the first endpoint's), 0 when it has none. */
    public int publishAddress()
    {
        return endpointsByNetwork.isEmpty() ? 0 : endpointsByNetwork.values().iterator().next().ip();
    }
}
