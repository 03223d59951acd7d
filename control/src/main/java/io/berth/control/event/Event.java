package io.berth.control.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One configuration change, as journaled. Containers and networks are referred to by their 64-hex ids, which never
 * change. Addresses are dotted quads and CIDRs as text so the journal reads like the CLI. Immutable.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Event.NetworkCreated.class, name = "network.created"),
    @JsonSubTypes.Type(value = Event.NetworkRemoved.class, name = "network.removed"),
    @JsonSubTypes.Type(value = Event.ContainerIntent.class, name = "container.intent"),
    @JsonSubTypes.Type(value = Event.ContainerAbandoned.class, name = "container.abandoned"),
    @JsonSubTypes.Type(value = Event.ContainerCreated.class, name = "container.created"),
    @JsonSubTypes.Type(value = Event.ContainerRemoved.class, name = "container.removed"),
    @JsonSubTypes.Type(value = Event.EndpointAttached.class, name = "endpoint.attached"),
    @JsonSubTypes.Type(value = Event.EndpointDetached.class, name = "endpoint.detached"),
    @JsonSubTypes.Type(value = Event.ProcessStarted.class, name = "process.started"),
    @JsonSubTypes.Type(value = Event.PortsPublished.class, name = "ports.published"),
    @JsonSubTypes.Type(value = Event.DockerPool.class, name = "docker.pool"),
    @JsonSubTypes.Type(value = Event.DockerPoolReleased.class, name = "docker.pool.released"),
    @JsonSubTypes.Type(value = Event.DockerAddress.class, name = "docker.address"),
    @JsonSubTypes.Type(value = Event.DockerNetwork.class, name = "docker.network"),
    @JsonSubTypes.Type(value = Event.DockerEndpoint.class, name = "docker.endpoint")
})
public sealed interface Event
{
    /**
     * A network was created: driver-neutral fields, the driver's normalised options, and data private to the
     * driver. No dataplane index: those are runtime state, chosen again at every start.
     *
     * @param scope      "local" or "global", as the driver decided.
     * @param ipam       the address pool, null for networks without addresses (host, null).
     * @param predefined bridge, host and none: made at the first start, never removed.
     * @param driverData whatever else the driver needs to keep (none of today's drivers does); never null.
     */
    record NetworkCreated(String id, String name, String driver, String scope, IpamConfig ipam,
        Map<String, String> options, boolean internal, boolean predefined, Map<String, String> driverData,
        String created) implements Event
    {
        public NetworkCreated
        {
            // insertion order kept: inspect shows options in the order the driver gave them
            options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
            driverData = driverData == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(driverData));
        }
    }

    /** A network's address pool: {@code driver} "default" (the local IPAM), CIDRs and gateway as text. */
    record IpamConfig(String driver, String subnet, String ipRange, String gateway)
    {
    }

    record NetworkRemoved(String id, String name) implements Event
    {
    }

    /**
     * A container (sandbox) was created. {@code mode} is "network" (own namespace, interfaces on networks),
     * "none" (own namespace, only lo), "host" or "container"; {@code modeTarget} is the network name given to
     * {@code --network} for "network", the joined container's id for "container", else null. {@code sandbox} is
     * the network namespace name for "network" and "none", else null.
     */
    record ContainerCreated(String id, String name, String mode, String modeTarget, String sandbox, String created,
        DnsSettings dns, CniAttachment cni, DockerAttachment docker) implements Event
    {
        public ContainerCreated
        {
            dns = dns == null ? DnsSettings.NONE : dns; // journals from before embedded DNS have none
        }

        /** berth's own containers and CNI ones: no Docker endpoint. */
        public ContainerCreated(final String id, final String name, final String mode, final String modeTarget,
            final String sandbox, final String created, final DnsSettings dns, final CniAttachment cni)
        {
            this(id, name, mode, modeTarget, sandbox, created, dns, cni, null);
        }
    }

    /**
     * A Docker endpoint that joined a sandbox ({@code NetworkDriver.Join}): Docker's endpoint and network ids and
     * its sandbox key (the namespace file Docker moves the interface into). Docker owns the namespace and configures
     * the interface; berth owns the TAP behind it. Its address is Docker's IPAM's ({@link DockerAddress}), which the
     * container does not free when it goes.
     */
    record DockerAttachment(String endpointId, String networkId, String sandboxKey)
    {
    }

    /**
     * berth's IPAM driver for Docker gave a pool ({@code IpamDriver.RequestPool}), or bound it to a berth network
     * ({@code CreateNetwork}), or recorded its gateway: the whole pool each time.
     *
     * @param ipRange  {@code --ip-range}, or null.
     * @param gateway  the gateway Docker asked for or was given, or null before it asked.
     * @param network  the berth network's id once bound, else null.
     */
    record DockerPool(String poolId, String subnet, String ipRange, String gateway, String network) implements Event
    {
    }

    /** {@code IpamDriver.ReleasePool}. */
    record DockerPoolReleased(String poolId) implements Event
    {
    }

    /**
     * An address of a bound pool that Docker's IPAM holds ({@code RequestAddress}, {@code taken}) or gave back
     * ({@code ReleaseAddress}); held in the berth network's address book like a container's.
     */
    record DockerAddress(String poolId, String network, String ip, boolean taken) implements Event
    {
    }

    /**
     * A Docker network ({@code CreateNetwork}, or {@code DeleteNetwork} when {@code removed}) and the berth network
     * behind it: one berth made for it ({@code owned}) or one it attached to ({@code -o berth.network=NAME}).
     */
    record DockerNetwork(String dockerId, String poolId, String network, boolean owned, boolean removed)
        implements Event
    {
    }

    /**
     * A Docker endpoint ({@code CreateEndpoint}, or {@code DeleteEndpoint} when {@code removed}): its address
     * and the MAC berth gave it (or Docker asked for).
     */
    record DockerEndpoint(String endpointId, String dockerNetworkId, String ip, String mac, boolean removed)
        implements Event
    {
    }

    /**
     * A container a CNI runtime (podman) attached: its {@code CNI_CONTAINERID} and {@code CNI_NETNS}. The runtime
     * owns the namespace (berth neither makes nor deletes it) and the processes; berth owns the interfaces.
     */
    record CniAttachment(String containerId, String netnsPath)
    {
    }

    /**
     * A container's name-service settings, as {@code berth run} took them: {@code --link OTHER[:ALIAS]} (as
     * "OTHER:ALIAS", the alias defaulting to OTHER), {@code --dns}, {@code --dns-search}, {@code --dns-option},
     * and {@code --hostname} (null: the container's name, as Docker names a container's host).
     */
    record DnsSettings(List<String> links, List<String> servers, List<String> search, List<String> options,
        String hostname)
    {
        public static final DnsSettings NONE = new DnsSettings(List.of(), List.of(), List.of(), List.of());

        /** Without --hostname. */
        public DnsSettings(final List<String> links, final List<String> servers, final List<String> search,
            final List<String> options)
        {
            this(links, servers, search, options, null);
        }

        public DnsSettings
        {
            links = links == null ? List.of() : List.copyOf(links);
            servers = servers == null ? List.of() : List.copyOf(servers);
            search = search == null ? List.of() : List.copyOf(search);
            options = options == null ? List.of() : List.copyOf(options);
        }
    }

    /**
     * {@code berth run} is about to make a sandbox: journaled before it acts, so a crash in the middle leaves a
     * record of what to take back. Resolved by the {@code container.created} of the same id, or by
     * {@code container.abandoned}.
     *
     * @param sandbox the namespace it will create, or null (host, container:OTHER).
     * @param device  the TAP it will create in berthd's namespace before moving it in, or null.
     */
    record ContainerIntent(String id, String name, String sandbox, String device, String created) implements Event
    {
    }

    /** A {@code berth run} that failed or was cut short by a crash, and whatever it made was taken back. */
    record ContainerAbandoned(String id, String name) implements Event
    {
    }

    record ContainerRemoved(String id, String name) implements Event
    {
    }

    /**
     * An interface of a container on a network; {@code device} is the TAP's name in berthd's namespace,
     * {@code aliases} the extra DNS names it has on that network.
     */
    record EndpointAttached(String container, String network, String ifName, String ip, String mac, String device,
        List<String> aliases) implements Event
    {
        public EndpointAttached
        {
            aliases = aliases == null ? List.of() : List.copyOf(aliases); // --network-alias / connect --alias
        }
    }

    record EndpointDetached(String container, String network) implements Event
    {
    }

    /** The container's command was started; {@code startTime} (from /proc/PID/stat) tells a reused pid apart. */
    record ProcessStarted(String container, long pid, long startTime, List<String> cmd, String log) implements Event
    {
    }

    /**
     * A container's ports were published (at {@code run}, after its endpoint was attached): one mapping per port,
     * ranges expanded. Applies to the container's address on its first network (eth0).
     */
    record PortsPublished(String container, List<PortMapping> ports) implements Event
    {
    }

    /**
     * One published port. {@code protocol} "tcp" or "udp"; {@code hostIp} "" (every address of berthd: the uplink
     * address and 127.0.0.1), "127.0.0.1" (loopback only) or the uplink address.
     */
    record PortMapping(String protocol, String hostIp, int hostPort, int containerPort)
    {
    }
}
