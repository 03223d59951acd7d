package io.berth.control.state;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.event.Event;
import io.berth.control.event.Scope;
import io.berth.control.event.Store;
import io.berth.control.ipam.DefaultSubnets;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.sandbox.Sandboxes;
import io.berth.control.service.Services;
import io.berth.control.store.Stores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A start of berthd: the state from the stores, every network set up again, every container's endpoints
 * re-attached and its ports published, and what a crash left (interrupted runs, stray TAPs) taken back.
 * Control thread.
 */
final class Restore
{
    private final State state;
    private final Stores stores;
    private final Dataplane dataplane;
    private final DriverRegistry drivers;
    private final Services services;
    private final Sandboxes sandboxes;
    private final Path containersDir;
    private final Ids ids;
    private final ControlCore core;
    private final PortPublishing publishing;
    private final NetworkController networks;
    private final CniController cni;

    Restore(final ControlCore core, final PortPublishing publishing, final NetworkController networks, final CniController cni)
    {
        this.state = core.state;
        this.stores = core.stores;
        this.dataplane = core.dataplane;
        this.drivers = core.drivers;
        this.services = core.services;
        this.sandboxes = core.sandboxes;
        this.containersDir = core.containersDir;
        this.ids = core.ids;
        this.core = core;
        this.publishing = publishing;
        this.networks = networks;
        this.cni = cni;
    }

    // ------------------------------------------------------------------------------------------------- restore

    /**
     * Rebuilds the state from the stores (the journal first), creates the predefined networks on the first start,
     * then has each network's driver set it up again and re-attach its endpoints (recreating a sandbox namespace
     * that vanished), and tells the services.
     * Problems with single containers are reported and skipped so one broken sandbox does not keep berthd down.
     *
     * @return one line per problem met.
     */
    public List<String> restore()
    {
        for (final Store store : stores.all())
        {
            // the journal is ours; what the global store holds anyone who reaches etcd may have written
            store.replay(store.scope() == Scope.GLOBAL ? networks::admitReplayed : state::apply);
        }
        final List<String> problems = new ArrayList<>();
        if (state.networks().stream().noneMatch(n -> n.name().equals(ControlService.DEFAULT_NETWORK)))
        {
            final NetworkDriver bridge = drivers.get(ControlService.DEFAULT_NETWORK_DRIVER);
            core.commit(new Event.NetworkCreated(ids.newId(), ControlService.DEFAULT_NETWORK, bridge.name(), bridge.scope().text(),
                new Event.IpamConfig(state.ipam().name(), DefaultSubnets.BRIDGE.toString(), null,
                    Ipv4.format(DefaultSubnets.BRIDGE.firstHost())), bridge.parseOptions(List.of()), false, true,
                Map.of(), core.now()));
        }
        networks.predefine("host", ControlService.HOST_DRIVER);
        networks.predefine("none", ControlService.NULL_DRIVER);
        for (final Network network : state.networks())
        {
            try
            {
                core.driverOf(network).createNetwork(network);
            }
            catch (final RuntimeException ex)
            {
                problems.add("network " + network.name() + ": " + ex.getMessage());
            }
        }
        takeBackInterruptedRuns(problems);
        for (final Container container : List.copyOf(state.containers()))
        {
            if (container.docker() != null && !Files.exists(Path.of(container.docker().sandboxKey())) &&
                !container.endpoints().isEmpty() && !dataplane.hasDevice(container.endpoints().iterator().next().device()))
            {
                // stopped or removed while berthd was down: Docker's Leave never came; the address stays Docker's
                core.commit(new Event.ContainerRemoved(container.id(), container.name()));
                problems.add("container " + container.name() + ": Docker's sandbox " + container.docker().sandboxKey() +
                    " is gone (the container stopped while berthd was down); its interface is forgotten, its address " +
                    "stays with Docker's endpoint until Docker releases it");
                continue;
            }
            if (container.cni() != null && !sandboxes.exists(container.sandbox()))
            {
                cni.forgetCniContainer(container);
                problems.add("container " + container.name() + ": its CNI namespace " + container.cni().netnsPath() +
                    " is gone (removed by its runtime while berthd was down); its addresses and ports are freed");
                continue;
            }
            try
            {
                if (container.sandbox() != null && !sandboxes.exists(container.sandbox()))
                {
                    sandboxes.create(container.sandbox());
                    problems.add("container " + container.name() + ": namespace " + container.sandbox() +
                        " was gone and has been recreated (its processes are not restarted)");
                }
            }
            catch (final IOException ex)
            {
                problems.add("container " + container.name() + ": cannot recreate namespace: " + ex.getMessage());
                continue;
            }
            for (final Endpoint endpoint : container.endpoints())
            {
                try
                {
                    core.attach(container, endpoint, true, ControlCore.portsOf(container, endpoint));
                }
                catch (final IOException | RuntimeException ex)
                {
                    problems.add("container " + container.name() + ": cannot re-attach " + endpoint.ifName() +
                        ": " + ex.getMessage());
                }
            }
            publishing.republish(container, problems);
            if (container.sandbox() != null)
            {
                reportStrayTaps(container.sandbox(), problems);
            }
        }
        reportStrayTaps(null, problems);
        return problems;
    }

    /** A TAP a crash left under its temporary name (made, never renamed) is berth's and nobody's port: removed. */
    private void reportStrayTaps(final String netns, final List<String> problems)
    {
        for (final String device : dataplane.removeStrayTaps(netns))
        {
            problems.add("removed " + device + ", a TAP a crash left unnamed in " +
                (netns == null ? "berthd's namespace" : "namespace " + netns));
        }
    }

    /**
     * A {@code berth run} journaled as intent that never completed was cut short by a crash: what it may have made
     * (its namespace with a TAP inside, a TAP still in berthd's namespace, its log dir) is taken back, reported,
     * and the intent closed, so the name is free again.
     */
    private void takeBackInterruptedRuns(final List<String> problems)
    {
        for (final Event.ContainerIntent intent : state.pendingRuns())
        {
            if (intent.sandbox() != null && sandboxes.exists(intent.sandbox()))
            {
                sandboxes.killAllIn(intent.sandbox());
                core.deleteQuietly(intent.sandbox());
            }
            if (intent.device() != null)
            {
                dataplane.removeLeftoverDevice(intent.device());
            }
            ControlCore.deleteTree(containersDir.resolve(intent.id()));
            for (final Network network : state.networks())
            {
                if (network.hasAddresses())
                {
                    core.driverOf(network).releaseClaimsOf(network, intent.id()); // a cluster IPAM's claim, made first
                }
            }
            core.commit(new Event.ContainerAbandoned(intent.id(), intent.name()));
            problems.add("container " + intent.name() + ": berth run was cut short by a crash; what it had made " +
                (intent.sandbox() == null ? "" : "(namespace " + intent.sandbox() + ") ") + "was removed");
        }
    }
}
