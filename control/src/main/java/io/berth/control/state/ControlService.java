package io.berth.control.state;

import io.berth.control.dataplane.CaptureRing;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.TraceEvent;
import io.berth.control.driver.Drivers;
import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.event.Event;
import io.berth.control.journal.Journal;
import io.berth.control.model.Network;
import io.berth.control.proxy.Forwarders;
import io.berth.control.proxy.LoopbackPublishing;
import io.berth.control.sandbox.Sandboxes;
import io.berth.control.service.Services;
import io.berth.control.store.Stores;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The control plane's entry: one object the front ends (the API, the served CLI, the CNI plugin) and berthd's
 * start hold. The work is done by controllers by concern, over one {@link ControlCore}: {@link NetworkController},
 * {@link ContainerController}, {@link CniController}, {@link ObserveController}, {@link PortPublishing} and
 * {@link Restore}. Every request follows one order: validate fully against the {@link State}, act through the
 * network's driver, the sandboxes and the endpoint services (each step pushing its undo on a {@link Rollback}), then
 * commit the events to the store of the network's scope. A refused request changes nothing. The methods below
 * hand each request to its controller. Owned by the control thread: one request at a time.
 */
public final class ControlService
{
    public static final String DEFAULT_NETWORK = "bridge";
    /** The drivers of the pre-defined networks bridge, host and none; the default for {@code network create}. */
    public static final String DEFAULT_NETWORK_DRIVER = "bridge";
    static final String HOST_DRIVER = "host";
    static final String NULL_DRIVER = "null";

    private final ControlCore core;
    private final PortPublishing publishing;
    private final NetworkController networks;
    private final ContainerController containers;
    private final CniController cni;
    private final DockerController docker;
    private final ObserveController observe;
    private final Restore restorer;

    public ControlService(final State state, final Journal journal, final Dataplane dataplane,
        final Sandboxes sandboxes, final Path stateDir, final Ids ids, final Clock clock)
    {
        this(state, journal, dataplane, sandboxes, stateDir, ids, clock, 0, Forwarders.NONE);
    }

    /**
     * @param uplinkIp   berthd's uplink address, 0 without an uplink.
     * @param forwarders the userland proxy serving published ports on 127.0.0.1.
     */
    public ControlService(final State state, final Journal journal, final Dataplane dataplane,
        final Sandboxes sandboxes, final Path stateDir, final Ids ids, final Clock clock, final int uplinkIp,
        final Forwarders forwarders)
    {
        this(state, new Stores(journal), dataplane, Drivers.defaults(dataplane),
            new Services().register(new LoopbackPublishing(forwarders)), sandboxes, stateDir, ids, clock, uplinkIp);
    }

    /**
     * @param stores   the local journal, and a global store when berthd has one.
     * @param drivers  every network driver berthd offers.
     * @param services what follows endpoints (the loopback port proxy, ...).
     */
    public ControlService(final State state, final Stores stores, final Dataplane dataplane,
        final DriverRegistry drivers, final Services services, final Sandboxes sandboxes, final Path stateDir,
        final Ids ids, final Clock clock, final int uplinkIp)
    {
        core = new ControlCore(state, stores, dataplane, drivers, services, sandboxes, stateDir, ids, clock, uplinkIp);
        publishing = new PortPublishing(core);
        networks = new NetworkController(core);
        containers = new ContainerController(core, publishing);
        cni = new CniController(core, publishing, containers);
        docker = new DockerController(core, networks, publishing);
        observe = new ObserveController(core);
        restorer = new Restore(core, publishing, networks, cni);
    }

    /** Networks: create, remove, the global store's. */
    public NetworkController networks()
    {
        return networks;
    }

    /** Containers: run, remove, connect, disconnect, logs. */
    public ContainerController containers()
    {
        return containers;
    }

    /** The host name a container with a sandbox of its own has when no --hostname was given. */
    public static String hostnameOf(final Container container)
    {
        return ContainerController.hostnameOf(container.name(), container.id());
    }

    /** The Docker plugin's calls. */
    public DockerController docker()
    {
        return docker;
    }

    /** The CNI plugin's calls. */
    public CniController cni()
    {
        return cni;
    }

    /** Counters, capture, trace, connections. */
    public ObserveController observe()
    {
        return observe;
    }

    public State state()
    {
        return core.state;
    }

    public DriverRegistry drivers()
    {
        return core.drivers;
    }

    /** berthd's uplink address, 0 when host-only. */
    public int uplinkIp()
    {
        return core.uplinkIp;
    }

    public NetworkDriver driverOf(final Network network)
    {
        return core.driverOf(network);
    }

    public boolean isRunning(final Container container)
    {
        return core.isRunning(container);
    }

    public String namespaceOf(final Container container)
    {
        return core.namespaceOf(container);
    }

    public String modeText(final Container container)
    {
        return core.modeText(container);
    }

    public List<String> restore()
    {
        return restorer.restore();
    }
}
