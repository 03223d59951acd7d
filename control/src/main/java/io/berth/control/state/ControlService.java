package io.berth.control.state;

import io.berth.control.BerthException;
import io.berth.control.Drivers;
import io.berth.control.dataplane.Dataplane;
import io.berth.control.dataplane.PublishSpec;
import io.berth.control.driver.DriverRegistry;
import io.berth.control.driver.NetworkDriver;
import io.berth.control.driver.Scope;
import io.berth.control.store.etcd.GlobalStore;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.DefaultSubnets;
import io.berth.control.ipam.Ipv4;
import io.berth.control.journal.Event;
import io.berth.control.journal.Journal;
import io.berth.control.proxy.Forwarders;
import io.berth.control.proxy.LoopbackPublishing;
import io.berth.control.sandbox.Sandboxes;
import io.berth.control.service.EndpointEvent;
import io.berth.control.service.Services;
import io.berth.control.store.Store;
import io.berth.control.store.Stores;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import io.berth.control.dataplane.CaptureRing;
import io.berth.control.dataplane.TraceEvent;
import io.berth.control.dataplane.TraceFrames;
import io.berth.control.dns.Upstreams;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The network controller: carries out configuration requests in one fixed order: validate fully against the
 * {@link State} (names, driver, driver options, IPAM), act through the network's driver, the sandboxes and the
 * endpoint services (each step pushing its undo on a {@link Rollback}), then commit the events to the store of the
 * network's scope, which also applies them to the state. A refused request changes nothing. It never asks which
 * driver it talks to: drivers say what their networks offer. Owned by the control thread: one request at a time.
 */
public final class ControlService
{
    public static final String DEFAULT_NETWORK = "bridge";
    /** The drivers of the pre-defined networks bridge, host and none; the default for {@code network create}. */
    public static final String DEFAULT_NETWORK_DRIVER = "bridge";
    static final String HOST_DRIVER = "host";
    static final String NULL_DRIVER = "null";
    private static final System.Logger LOG = System.getLogger("io.berth.control");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");
    private static final String NAME_RULE = "names start with a letter or digit, then letters, digits, '_', '.' " +
        "or '-', at most 128 characters";

    private final State state;
    private final Stores stores;
    private final Dataplane dataplane;
    private final DriverRegistry drivers;
    private final Services services;
    private final Sandboxes sandboxes;
    private final Path containersDir;
    private final Ids ids;
    private final Clock clock;
    /** The driver's handle (a dataplane port) per endpoint device name; runtime only, re-learned on restore. */
    private final Map<String, Integer> portsByDevice = new HashMap<>();
    private final Map<String, Supplier<Object>> extraCounters = new LinkedHashMap<>();
    private final StoreAdmission admission;
    /** berthd's uplink address (a start option, not journaled state), 0 when host-only. */
    private final int uplinkIp;

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
        this.uplinkIp = uplinkIp;
        this.state = state;
        this.stores = stores;
        this.dataplane = dataplane;
        this.drivers = drivers;
        this.services = services;
        this.sandboxes = sandboxes;
        this.containersDir = stateDir.resolve("containers");
        this.ids = ids;
        this.clock = clock;
        this.admission = new StoreAdmission(state, drivers);
    }

    /** What the global store's values must be to be set up here, and what conflicts were met. */
    public StoreAdmission admission()
    {
        return admission;
    }

    public State state()
    {
        return state;
    }

    public DriverRegistry drivers()
    {
        return drivers;
    }

    /** The driver of an existing network. */
    public NetworkDriver driverOf(final Network network)
    {
        return drivers.get(network.driver());
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
            store.replay(store.scope() == Scope.GLOBAL ? this::admitReplayed : state::apply);
        }
        final List<String> problems = new ArrayList<>();
        if (state.networks().stream().noneMatch(n -> n.name().equals(DEFAULT_NETWORK)))
        {
            final NetworkDriver bridge = drivers.get(DEFAULT_NETWORK_DRIVER);
            commit(new Event.NetworkCreated(ids.newId(), DEFAULT_NETWORK, bridge.name(), bridge.scope().text(),
                new Event.IpamConfig(state.ipam().name(), DefaultSubnets.BRIDGE.toString(), null,
                    Ipv4.format(DefaultSubnets.BRIDGE.firstHost())), bridge.parseOptions(List.of()), false, true,
                Map.of(), now()));
        }
        predefine("host", HOST_DRIVER);
        predefine("none", NULL_DRIVER);
        for (final Network network : state.networks())
        {
            try
            {
                driverOf(network).createNetwork(network);
            }
            catch (final RuntimeException ex)
            {
                problems.add("network " + network.name() + ": " + ex.getMessage());
            }
        }
        takeBackInterruptedRuns(problems);
        for (final Container container : List.copyOf(state.containers()))
        {
            if (container.cni() != null && !sandboxes.exists(container.sandbox()))
            {
                forgetCniContainer(container);
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
                    attach(container, endpoint, true, portsOf(container, endpoint));
                }
                catch (final IOException | RuntimeException ex)
                {
                    problems.add("container " + container.name() + ": cannot re-attach " + endpoint.ifName() +
                        ": " + ex.getMessage());
                }
            }
            republish(container, problems);
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
                deleteQuietly(intent.sandbox());
            }
            if (intent.device() != null)
            {
                dataplane.removeLeftoverDevice(intent.device());
            }
            deleteTree(containersDir.resolve(intent.id()));
            for (final Network network : state.networks())
            {
                if (network.hasAddresses())
                {
                    driverOf(network).releaseClaimsOf(network, intent.id()); // a cluster IPAM's claim, made first
                }
            }
            commit(new Event.ContainerAbandoned(intent.id(), intent.name()));
            problems.add("container " + intent.name() + ": berth run was cut short by a crash; what it had made " +
                (intent.sandbox() == null ? "" : "(namespace " + intent.sandbox() + ") ") + "was removed");
        }
    }

    /** The pre-defined pseudo-networks host and none, made on the first start. */
    private void predefine(final String name, final String driverName)
    {
        if (state.networks().stream().noneMatch(n -> n.name().equals(name)))
        {
            final NetworkDriver driver = drivers.get(driverName);
            commit(new Event.NetworkCreated(ids.newId(), name, driver.name(), driver.scope().text(), null, Map.of(),
                false, true, Map.of(), now()));
        }
    }

    private void republish(final Container container, final List<String> problems)
    {
        final int containerIp = container.publishAddress();
        if (container.ports().isEmpty())
        {
            return;
        }
        if (containerIp == 0)
        {
            problems.add("container " + container.name() + ": has published ports but no address; not published");
            return;
        }
        for (final Event.PortMapping mapping : container.ports())
        {
            if (!mapping.hostIp().isEmpty() && !mapping.hostIp().equals(PortSpec.LOOPBACK) &&
                (uplinkIp == 0 || !mapping.hostIp().equals(Ipv4.format(uplinkIp))))
            {
                problems.add("container " + container.name() + ": port " + describe(mapping) + " is published on " +
                    mapping.hostIp() + ", which berthd no longer owns (" + (uplinkIp == 0 ? "no uplink" :
                    "uplink " + Ipv4.format(uplinkIp)) + "); not published");
                continue;
            }
            try
            {
                publishDnat(container.name(), mapping, containerIp, new Rollback());
            }
            catch (final RuntimeException ex)
            {
                problems.add("container " + container.name() + ": cannot publish " + describe(mapping) + ": " +
                    ex.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ networks

    public Network createNetwork(final NetworkRequest request)
    {
        final String name = checkName(request.name(), "network");
        if (state.networks().stream().anyMatch(n -> n.name().equals(name)))
        {
            throw new BerthException("network with name " + name + " already exists");
        }
        final NetworkDriver driver = drivers.forCreate(request.driver() == null || request.driver().isEmpty() ?
            DEFAULT_NETWORK_DRIVER : request.driver());
        final Map<String, String> options = new LinkedHashMap<>(driver.parseOptions(request.options()));
        final List<String> moreSubnets = request.moreSubnets() == null ? List.of() : request.moreSubnets();
        if (!moreSubnets.isEmpty() && !driver.takesSeveralSubnets(options))
        {
            throw new BerthException("network driver " + driver.name() + " takes one --subnet, not " +
                (moreSubnets.size() + 1) + " (ipvlan takes several)");
        }
        final List<String> moreGateways = request.moreGateways() == null ? List.of() : request.moreGateways();
        if (moreGateways.size() > moreSubnets.size())
        {
            throw new BerthException((moreGateways.size() + 1) + " --gateway for " + (moreSubnets.size() + 1) +
                " --subnet: give at most one gateway per subnet, in the same order");
        }
        final Store store = stores.forScope(driver.scope());
        Event.IpamConfig pool = null;
        if (driver.hasAddresses())
        {
            final Map<Cidr, String> inUse = subnetsInUse();
            driver.subnetsElsewhere().forEach(inUse::putIfAbsent);
            String subnet = request.subnet();
            if ((subnet == null || subnet.isEmpty()) && request.ipRange() == null && request.gateway() == null)
            {
                final List<Cidr> taken = new ArrayList<>(inUse.keySet());
                taken.addAll(state.ipam().reservedRanges().keySet());
                final Cidr chosen = driver.defaultSubnet(taken);
                subnet = chosen == null ? subnet : chosen.toString();
            }
            pool = state.ipam().requestPool(subnet, request.ipRange(), request.gateway(), inUse, driver.onHostLan());
            final Cidr first = Cidr.parse(pool.subnet(), "subnet");
            final List<String> more = new ArrayList<>();
            for (int i = 0; i < moreSubnets.size(); i++)
            {
                inUse.put(first, name);
                final String gatewayText = i < moreGateways.size() ? moreGateways.get(i) : null;
                final Event.IpamConfig extra = state.ipam().requestPool(moreSubnets.get(i), null, gatewayText, inUse,
                    driver.onHostLan());
                inUse.put(Cidr.parse(extra.subnet(), "subnet"), name);
                more.add(extra.subnet() + (gatewayText == null ? "" : "=" + extra.gateway()));
            }
            if (!more.isEmpty())
            {
                options.put(Network.MORE_SUBNETS, String.join(",", more));
            }
        }
        final Event.NetworkCreated created = new Event.NetworkCreated(ids.newId(), name, driver.name(),
            driver.scope().text(), pool, options, request.internal(), false, Map.of(), now());
        if (driver.scope() == Scope.LOCAL)
        {
            // the dataplane first, then the journal: a refusal leaves neither changed
            final Network draft = new Network(created, state.ipam());
            try
            {
                driver.createNetwork(draft);
            }
            catch (final RuntimeException ex)
            {
                throw ex instanceof BerthException be ? be :
                    new BerthException("the dataplane could not create network " + name + ": " + ex.getMessage(), ex);
            }
            try
            {
                commit(store, created);
            }
            catch (final RuntimeException ex)
            {
                driver.deleteNetwork(draft);
                throw ex;
            }
            return state.networkById(created.id());
        }
        // a global store first: it decides what only it can (the VNI) and refuses what another host holds
        commit(store, created);
        final Network network = state.networkById(created.id());
        try
        {
            driver.createNetwork(network);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                commit(store, new Event.NetworkRemoved(created.id(), name));
            }
            catch (final RuntimeException undo)
            {
                LOG.log(System.Logger.Level.WARNING, "network " + name + " stays in the store: " + undo.getMessage());
            }
            throw ex instanceof BerthException be ? be :
                new BerthException("the dataplane could not create network " + name + ": " + ex.getMessage(), ex);
        }
        return network;
    }

    public void removeNetwork(final String nameOrId)
    {
        final Network network = state.network(nameOrId);
        if (network.isPredefined())
        {
            throw new BerthException(network.name() + " is a pre-defined network and cannot be removed");
        }
        final List<Container> attached = state.containersOn(network.id());
        if (!attached.isEmpty())
        {
            throw new BerthException("network " + network.name() + " has active endpoints: " + names(attached) +
                "; remove those containers or disconnect them (berth network disconnect " + network.name() + " " +
                attached.get(0).name() + ") first");
        }
        // the store first: a global store refuses while another host still has containers on the network
        commit(stores.forScope(network.scope()), new Event.NetworkRemoved(network.id(), network.name()));
        driverOf(network).deleteNetwork(network);
    }

    /**
     * A change another host made in the global store (the watcher hands it over on the control thread): a
     * network that appeared is set up in the dataplane, one that went away is taken down. What this host made
     * itself is known already and skipped.
     */
    public void applyFromStore(final Event event)
    {
        if (event instanceof Event.NetworkCreated created)
        {
            if (state.networkById(created.id()) != null || admission.refuse(created) != null)
            {
                return;
            }
            state.apply(created);
            try
            {
                driverOf(state.networkById(created.id())).createNetwork(state.networkById(created.id()));
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "global network " + created.name() + " cannot be set up " +
                    "here: " + ex.getMessage());
            }
        }
        else if (event instanceof Event.NetworkRemoved removed)
        {
            admission.forget(removed.id());
            final Network network = state.networkById(removed.id());
            if (network == null)
            {
                return;
            }
            if (!state.containersOn(network.id()).isEmpty())
            {
                // a removal through berth is refused while any host has endpoints: the store forgot it, or a hand
                // deleted it; the network stays while containers here use it, and goes back into the store
                admission.report(network.name(), "forgotten", "global network " + network.name() + " vanished " +
                    "from the store while containers here are on it (" + names(state.containersOn(network.id())) +
                    "); kept, and published again");
                publishAgain(network);
                return;
            }
            driverOf(network).deleteNetwork(network);
            state.apply(removed);
        }
    }

    /**
     * The global store lost data ({@link StoreIntegrity}): every global network this host has containers on goes
     * back into it with its VNI and subnet, and with its containers' address claims. Control thread.
     */
    public void storeLost()
    {
        for (final Network network : List.copyOf(state.networks()))
        {
            if (network.scope() == Scope.GLOBAL && !state.containersOn(network.id()).isEmpty())
            {
                publishAgain(network);
            }
        }
    }

    private void publishAgain(final Network network)
    {
        if (!(stores.forScope(Scope.GLOBAL) instanceof GlobalStore global))
        {
            return;
        }
        try
        {
            final String conflict = global.publishAgain(network.definition());
            if (conflict != null)
            {
                admission.report(network.name(), "republish", "global network " + network.name() + " cannot go " +
                    "back into the store: " + conflict + "; it is kept here as it is");
                return;
            }
            admission.clear(network.name(), "republish");
            admission.clear(network.name(), "forgotten");
            final Map<Integer, String> owners = new TreeMap<>();
            for (final Container container : state.containersOn(network.id()))
            {
                for (final Endpoint endpoint : container.endpoints())
                {
                    if (endpoint.networkId().equals(network.id()))
                    {
                        owners.put(endpoint.ip(), container.id());
                    }
                }
            }
            driverOf(network).claimAgain(network, owners);
            LOG.log(System.Logger.Level.INFO, "global network " + network.name() + " is in the store again, with " +
                owners.size() + " address claim(s) of this host");
        }
        catch (final BerthException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "cannot put global network " + network.name() + " back into the " +
                "store yet: " + ex.getMessage());
        }
    }

    /** The VNIs of the overlay networks this host has: never handed out again, whatever the store says. */
    public Set<Integer> vnisInUse()
    {
        final Set<Integer> vnis = new HashSet<>();
        for (final Network network : state.networks())
        {
            final String vni = network.options().get(GlobalStore.VNI);
            if (network.scope() == Scope.GLOBAL && vni != null)
            {
                try
                {
                    vnis.add(Integer.parseInt(vni));
                }
                catch (final NumberFormatException ignored)
                {
                    // admitted networks have numeric VNIs
                }
            }
        }
        return vnis;
    }

    /** A global network from the store at start, set up only if {@link StoreAdmission} takes it. */
    private void admitReplayed(final Event event)
    {
        if (!(event instanceof Event.NetworkCreated created) || admission.refuse(created) == null)
        {
            state.apply(event);
        }
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
        if (driverOf(network).attachment() != NetworkDriver.Attachment.ENDPOINT)
        {
            throw new BerthException("cannot connect a container to the " + network.name() + " network; connect " +
                "it to a bridge network");
        }
        if (container.mode() != NetworkMode.NETWORK)
        {
            throw new BerthException("container " + container.name() + " uses --network " + modeText(container) +
                " and cannot be connected to a network");
        }
        if (container.endpointOn(network.id()) != null)
        {
            throw new BerthException("container " + container.name() + " is already connected to network " +
                network.name());
        }
        final NetworkDriver driver = driverOf(network);
        final int ip = driver.allocateAddress(network, pinnedIp, container.id());
        try
        {
            return attachNew(container, network, ip, lowestFreeInterface(container), aliases);
        }
        catch (final RuntimeException ex)
        {
            releaseQuietly(network, ip);
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
        driverOf(network).releaseAddress(network, endpoint.ip()); // first: refused while a global store is away
        detach(container, endpoint, List.of());
        commit(new Event.EndpointDetached(container.id(), network.id()));
        if (hadDefaultRoute && !container.endpoints().isEmpty())
        {
            // as Docker: the default route moves to a network the container is still on (the next to restore it)
            final Endpoint next = container.endpoints().iterator().next();
            final Network nextNetwork = state.networkById(next.networkId());
            try
            {
                driverOf(nextNetwork).takeDefaultRoute(nextNetwork, container.sandbox(), next);
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
        final String name = checkName(nameArg, "container");
        final List<String> aliases = Upstreams.aliases(aliasArgs, "--network-alias");
        final Event.DnsSettings dns = checkDns(dnsArgs);
        if (state.containers().stream().anyMatch(c -> c.name().equals(name)))
        {
            throw new BerthException("the container name " + name + " is already in use; remove that container " +
                "(berth rm -f " + name + ") or pick another name");
        }
        final String networkText = networkArg == null || networkArg.isEmpty() ? DEFAULT_NETWORK : networkArg;
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
            mode = switch (driverOf(network).attachment())
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
        if (sandbox != null && sandboxes.exists(sandbox))
        {
            throw new BerthException("a network namespace named " + sandbox + " already exists (ip netns list); " +
                "delete it or pick another container name");
        }
        final List<Event.PortMapping> ports = parsePorts(publish == null ? List.of() : publish);
        if (!ports.isEmpty() && (mode != NetworkMode.NETWORK || !driverOf(network).externalConnectivity()))
        {
            throw new BerthException("cannot publish ports (-p " + String.join(", -p ", publish) + ") with " +
                "--network " + networkText + ": publishing needs a bridge network (the container's address on it " +
                "is what a published port leads to)");
        }
        checkPortsFree(ports);
        final String id = ids.newId();
        final Network eth0Network = network;
        final int ip = mode == NetworkMode.NETWORK ? driverOf(network).allocateAddress(network, pinnedIp, id) : 0;
        final String processNetns = processNamespace(mode, sandbox, joined);

        // act, undoing on failure
        final Rollback undo = new Rollback();
        if (ip != 0)
        {
            undo.add(() -> releaseQuietly(eth0Network, ip));
        }
        final Event.ContainerCreated created = new Event.ContainerCreated(id, name, mode.journalName(),
            mode == NetworkMode.NETWORK ? network.name() : mode == NetworkMode.CONTAINER ? joined.id() : null,
            sandbox, now(), dns, null);
        Event.EndpointAttached attached = null;
        Event.ProcessStarted started = null;
        final Endpoint eth0 = mode == NetworkMode.NETWORK ? newEndpoint(network, ip, "eth0", aliases) : null;
        // the intent first: a crash from here on leaves a record of what to take back at the next start
        try
        {
            commit(new Event.ContainerIntent(id, name, sandbox, eth0 == null ? null : eth0.device(), now()));
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
                undo.add(() -> deleteQuietly(sandbox));
            }
            if (mode == NetworkMode.NETWORK)
            {
                final Endpoint endpoint = eth0;
                final Container draft = new Container(created);
                for (final Event.PortMapping mapping : ports)
                {
                    publishDnat(name, mapping, ip, undo);
                }
                attach(draft, endpoint, false, ports);
                undo.add(() -> detach(draft, endpoint, ports));
                attached = attachedEvent(id, endpoint);
            }
            if (hasCommand)
            {
                final Path log = containersDir.resolve(id).resolve("output.log");
                final ProcessRecord process = sandboxes.start(processNetns, cmd, log);
                started = new Event.ProcessStarted(id, process.pid(), process.startTime(), process.cmd(),
                    process.log());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            undo.undo();
            deleteTree(containersDir.resolve(id));
            commit(new Event.ContainerAbandoned(id, name));
            throw ex instanceof BerthException be ? be :
                new BerthException("cannot create container " + name + ": " + ex.getMessage(), ex);
        }
        commit(created);
        if (attached != null)
        {
            commit(attached);
        }
        if (!ports.isEmpty())
        {
            commit(new Event.PortsPublished(id, ports));
        }
        if (started != null)
        {
            commit(started);
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
        final List<Container> joining = state.containersJoining(container.id());
        if (!joining.isEmpty() && !force)
        {
            throw new BerthException("cannot remove container " + container.name() + ": its network namespace " +
                "is used by " + names(joining) + " (--network container:" + container.name() + "); remove " +
                "those first or use -f");
        }
        final boolean running = isRunning(container);
        if (running && !force)
        {
            throw new BerthException("cannot remove container " + container.name() + ": it is running; use " +
                "berth rm -f " + container.name() + " to kill and remove it");
        }
        for (final Endpoint endpoint : container.endpoints())
        {
            // first: a global store that is away refuses, and nothing has been taken down yet
            final Network network = state.networkById(endpoint.networkId());
            if (network != null)
            {
                driverOf(network).releaseAddress(network, endpoint.ip());
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
            detach(container, endpoint, portsOf(container, endpoint));
        }
        unpublishAll(container);
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
        deleteTree(containersDir.resolve(container.id()));
        commit(new Event.ContainerRemoved(container.id(), container.name()));
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
        if (driverOf(network).attachment() != NetworkDriver.Attachment.ENDPOINT)
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
            final int ip = driverOf(network).allocateAddress(network, add.ip(), existing.id());
            final Endpoint endpoint = newEndpoint(network, ip, add.ifName(), aliases, add.mac());
            try
            {
                attach(existing, endpoint, false, List.of());
            }
            catch (final IOException | RuntimeException ex)
            {
                releaseQuietly(network, ip);
                throw ex instanceof BerthException be ? be : new BerthException("cannot attach " + add.ifName() +
                    " of " + existing.name() + " to network " + network.name() + ": " + ex.getMessage(), ex);
            }
            commit(attachedEvent(existing.id(), endpoint));
            return existing;
        }
        if (!sandboxes.exists(add.netns()))
        {
            throw new BerthException("CNI_NETNS " + add.netnsPath() + " is no network namespace (no nsfs mount " +
                "at /run/netns/" + add.netns() + ")");
        }
        final String name = cniName(add);
        final List<Event.PortMapping> ports = parsePorts(add.publish());
        if (!ports.isEmpty() && !driverOf(network).externalConnectivity())
        {
            throw new BerthException("cannot publish ports (" + String.join(", ", add.publish()) + ") on network " +
                network.name() + ": it has no way out (internal, or a LAN network)");
        }
        checkPortsFree(ports);
        final String id = ids.newId();
        final int ip = driverOf(network).allocateAddress(network, add.ip(), id);
        final Rollback undo = new Rollback();
        undo.add(() -> releaseQuietly(network, ip));
        final Event.ContainerCreated created = new Event.ContainerCreated(id, name, NetworkMode.NETWORK.journalName(),
            network.name(), add.netns(), now(), Event.DnsSettings.NONE,
            new Event.CniAttachment(add.containerId(), add.netnsPath()));
        final Endpoint endpoint = newEndpoint(network, ip, add.ifName(), aliases, add.mac());
        try
        {
            // no namespace in the intent: the runtime's, which a crash must not take away
            commit(new Event.ContainerIntent(id, name, null, endpoint.device(), now()));
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
                publishDnat(name, mapping, ip, undo);
            }
            attach(draft, endpoint, false, ports);
        }
        catch (final IOException | RuntimeException ex)
        {
            undo.undo();
            commit(new Event.ContainerAbandoned(id, name));
            throw ex instanceof BerthException be ? be :
                new BerthException("cannot attach " + add.ifName() + " in " + add.netnsPath() + ": " + ex.getMessage(),
                    ex);
        }
        commit(created);
        commit(attachedEvent(id, endpoint));
        if (!ports.isEmpty())
        {
            commit(new Event.PortsPublished(id, ports));
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
            remove(container.id(), true);
            return true;
        }
        final Network network = state.networkById(endpoint.networkId());
        if (network != null)
        {
            driverOf(network).releaseAddress(network, endpoint.ip());
        }
        detach(container, endpoint, portsOf(container, endpoint));
        commit(new Event.EndpointDetached(container.id(), endpoint.networkId()));
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
        if (asked != null && NAME.matcher(asked).matches() &&
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
    private void forgetCniContainer(final Container container)
    {
        for (final Endpoint endpoint : container.endpoints())
        {
            final Network network = state.networkById(endpoint.networkId());
            if (network != null)
            {
                releaseQuietly(network, endpoint.ip());
            }
            dataplane.removeLeftoverDevice(endpoint.device());
        }
        deleteTree(containersDir.resolve(container.id()));
        commit(new Event.ContainerRemoved(container.id(), container.name()));
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

    public Map<String, Object> counters()
    {
        final Map<String, Object> counters = new LinkedHashMap<>(dataplane.counters());
        extraCounters.forEach((name, supplier) -> counters.put(name, supplier.get()));
        return counters;
    }

    /** A section of {@code berth counters} that a service keeps (DNS). */
    public void addCounters(final String name, final Supplier<Object> supplier)
    {
        extraCounters.put(name, supplier);
    }

    /** Capture stage names as the CLI gives them, and the graph node each stands for. */
    public static String stageNode(final String stage)
    {
        return switch (stage == null || stage.isEmpty() ? "rx" : stage)
        {
            case "rx" -> "parse";               // as the ports handed them over
            case "pre-nat" -> "conntrack";      // routed packets, before DNAT and SNAT
            case "post-nat" -> "ip-fragment";   // routed packets, translated, before tx
            case "tx" -> "tx";                  // whatever leaves, on its way to the port
            default -> stage;                   // any graph node by name
        };
    }

    /**
     * {@code berth capture}: arms a capture at {@code stage} on the ports of exactly one target, a container
     * (optionally one interface), a port by name, the uplink, or every local container of a network.
     */
    public CaptureRing.Session capture(final String containerArg, final String port,
        final boolean uplink, final String networkArg, final String stage, final int snaplen)
    {
        final int targets = (containerArg == null ? 0 : 1) + (port == null ? 0 : 1) + (uplink ? 1 : 0)
            + (networkArg == null ? 0 : 1);
        if (targets != 1)
        {
            throw new BerthException("give exactly one capture target: CONTAINER[:IFACE], --port NAME, --uplink or " +
                "--network NET");
        }
        if (snaplen < 1 || snaplen > 262144)
        {
            throw new BerthException("--snaplen " + snaplen + " is out of range: give 1..262144 bytes");
        }
        final List<String> names = new ArrayList<>();
        if (containerArg != null)
        {
            final int colon = containerArg.indexOf(':');
            final Container container = state.container(colon < 0 ? containerArg : containerArg.substring(0, colon));
            final String iface = colon < 0 ? null : containerArg.substring(colon + 1);
            for (final Endpoint endpoint : container.endpoints())
            {
                if (iface == null || iface.equals(endpoint.ifName()))
                {
                    names.add(endpoint.device());
                }
            }
            if (names.isEmpty())
            {
                throw new BerthException("container " + container.name() + (iface == null ? " has no interface "
                    + "berth switches (--network " + modeText(container) + ")" : " has no interface " + iface + "; it has "
                    + container.endpoints().stream().map(Endpoint::ifName).toList()));
            }
        }
        else if (networkArg != null)
        {
            final Network network = state.network(networkArg);
            for (final Container container : state.containers())
            {
                final Endpoint endpoint = container.endpointOn(network.id());
                if (endpoint != null)
                {
                    names.add(endpoint.device());
                }
            }
            if (names.isEmpty())
            {
                throw new BerthException("network " + network.name() + " has no containers on this host to capture");
            }
        }
        else if (uplink)
        {
            if (uplinkIp == 0)
            {
                throw new BerthException("berthd has no uplink (start it with --uplink IFACE --uplink-ip CIDR)");
            }
            names.add("uplink");
        }
        else
        {
            names.add(port);
        }
        return dataplane.capture(stageNode(stage), names, snaplen);
    }

    /**
     * What {@code berth trace --from CONTAINER --to IP[:PORT][/tcp|/udp|/icmp]} sends or follows: the container's
     * port on the network that leads to IP (the one whose subnet holds it, else the first), and the packet its
     * kernel would send there (to the destination's MAC on the same network, else to the gateway's).
     */
    public record TracePlan(String container, String portName, String network, int protocol, int source,
        int destination, int sourcePort, int destinationPort, byte[] frame)
    {
    }

    public TracePlan planTrace(final String from, final String to)
    {
        if (from == null || to == null)
        {
            throw new BerthException("give --from CONTAINER and --to IP[:PORT][/tcp|/udp|/icmp]");
        }
        final Container container = state.container(from);
        if (container.endpoints().isEmpty())
        {
            throw new BerthException("container " + container.name() + " has no interface berth switches (--network "
                + modeText(container) + "): nothing to trace");
        }
        String target = to;
        int protocol = 0;
        final int slash = target.indexOf('/');
        if (slash >= 0)
        {
            protocol = switch (target.substring(slash + 1))
            {
                case "tcp" -> TraceFrames.TCP;
                case "udp" -> TraceFrames.UDP;
                case "icmp" -> TraceFrames.ICMP;
                default -> throw new BerthException("--to " + to + ": unknown protocol '" + target.substring(slash + 1)
                    + "': give tcp, udp or icmp");
            };
            target = target.substring(0, slash);
        }
        int port = -1;
        final int colon = target.indexOf(':');
        if (colon >= 0)
        {
            try
            {
                port = Integer.parseInt(target.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                port = -1;
            }
            if (port < 1 || port > 65535)
            {
                throw new BerthException("--to " + to + ": port '" + target.substring(colon + 1) + "' is not 1..65535");
            }
            target = target.substring(0, colon);
        }
        final int destination = Ipv4.parse(target, "--to");
        if (protocol == 0)
        {
            protocol = port > 0 ? TraceFrames.TCP : TraceFrames.ICMP;
        }
        if (protocol == TraceFrames.ICMP && port > 0)
        {
            throw new BerthException("--to " + to + ": ICMP has no port; give IP/icmp or IP:PORT/tcp|udp");
        }
        if (protocol != TraceFrames.ICMP && port < 0)
        {
            throw new BerthException("--to " + to + ": TCP and UDP need a port (IP:PORT/tcp)");
        }
        Endpoint via = container.endpoints().iterator().next();
        for (final Endpoint endpoint : container.endpoints())
        {
            final Network on = state.networkById(endpoint.networkId());
            if (on != null && on.subnet().contains(destination))
            {
                via = endpoint;
                break;
            }
        }
        final Network network = state.networkById(via.networkId());
        long dstMac = Ipv4.macFor(network.gateway());
        if (network.subnet().contains(destination) && destination != network.gateway())
        {
            dstMac = 0xFFFF_FFFF_FFFFL; // nobody of that address here: what ARP would be for, flooded
            for (final Container other : state.containers())
            {
                final Endpoint theirs = other.endpointOn(network.id());
                if (theirs != null && theirs.ip() == destination)
                {
                    dstMac = theirs.mac();
                }
            }
        }
        final int sourcePort = TraceFrames.ephemeralPort();
        final byte[] frame = TraceFrames.build(dstMac, via.mac(), protocol, via.ip(),
            destination, sourcePort, Math.max(port, 0));
        return new TracePlan(container.name(), via.device(), network.name(), protocol, via.ip(), destination, sourcePort,
            port, frame);
    }

    /** A synthetic packet from the LAN (to the uplink) or from this host (over berth0); caller's thread. */
    public List<TraceEvent> traceFrom(final boolean uplink, final int protocol,
        final int destination, final int port, final long timeoutMs) throws InterruptedException
    {
        return dataplane.traceFrom(uplink, protocol, destination, port, timeoutMs);
    }

    /** Runs a planned trace (caller's thread: it waits on the dataplane, not the control thread). */
    public List<TraceEvent> trace(final TracePlan plan, final int next,
        final long timeoutMs) throws InterruptedException
    {
        return next > 0
            ? dataplane.trace(plan.portName(), null, plan.destination(), plan.protocol(),
                plan.protocol() == TraceFrames.ICMP ? -1 : plan.destinationPort(), next,
                timeoutMs)
            : dataplane.trace(plan.portName(), plan.frame(), 0, 0, 0, 0, timeoutMs);
    }

    /** The dataplane's tracked connections ({@code berth conntrack ls}). */
    public List<Map<String, Object>> connections()
    {
        return dataplane.connections();
    }

    /** Forgets every tracked connection; returns how many there were. */
    public int flushConnections()
    {
        return dataplane.flushConnections();
    }

    /** berthd's uplink address, 0 when host-only. */
    public int uplinkIp()
    {
        return uplinkIp;
    }

    // ------------------------------------------------------------------------------------------ published ports

    private List<Event.PortMapping> parsePorts(final List<String> specs)
    {
        final List<Event.PortMapping> ports = new ArrayList<>();
        for (final String spec : specs)
        {
            for (final Event.PortMapping mapping : PortSpec.parse(spec, uplinkIp))
            {
                for (final Event.PortMapping earlier : ports)
                {
                    if (PortSpec.overlaps(earlier, mapping))
                    {
                        throw new BerthException("-p " + spec + ": host port " + hostText(mapping) + " is given " +
                            "twice in this run (also for container port " + earlier.containerPort() + "/" +
                            earlier.protocol() + ")");
                    }
                }
                ports.add(mapping);
            }
        }
        return ports;
    }

    /** Refuses a host port (per protocol and address; 0.0.0.0 overlaps every address) another container holds. */
    private void checkPortsFree(final List<Event.PortMapping> ports)
    {
        for (final Event.PortMapping mapping : ports)
        {
            for (final Container other : state.containers())
            {
                for (final Event.PortMapping held : other.ports())
                {
                    if (PortSpec.overlaps(held, mapping))
                    {
                        throw new BerthException("host port " + hostText(mapping) + " is already published by " +
                            "container " + other.name() + " (" + hostText(held) + " -> " + held.containerPort() +
                            "/" + held.protocol() + "); pick another host port or remove " + other.name());
                    }
                }
            }
        }
    }

    /**
     * A published port's DNAT entry in the dataplane (for 0.0.0.0 and the uplink address, when there is an uplink);
     * the 127.0.0.1 side is the loopback publishing service's, told when the endpoint joins.
     */
    private void publishDnat(final String containerName, final Event.PortMapping mapping, final int containerIp,
        final Rollback undo)
    {
        final PublishSpec entry = dataplaneEntry(mapping, containerIp);
        if (entry == null)
        {
            return;
        }
        if (!dataplane.publish(entry))
        {
            throw new BerthException("the dataplane already publishes " + hostText(mapping) + "; cannot " +
                "publish it for " + containerName);
        }
        undo.add(() -> dataplane.unpublish(entry));
    }

    private void unpublishAll(final Container container)
    {
        final int containerIp = container.publishAddress();
        for (final Event.PortMapping mapping : container.ports())
        {
            final PublishSpec entry = dataplaneEntry(mapping, containerIp);
            if (entry != null)
            {
                dataplane.unpublish(entry);
            }
        }
    }

    /** The DNAT entry: for 0.0.0.0 and the uplink address, when there is an uplink; never for 127.0.0.1. */
    private PublishSpec dataplaneEntry(final Event.PortMapping mapping, final int containerIp)
    {
        if (uplinkIp == 0 || mapping.hostIp().equals(PortSpec.LOOPBACK))
        {
            return null;
        }
        if (!mapping.hostIp().isEmpty() && !mapping.hostIp().equals(Ipv4.format(uplinkIp)))
        {
            return null;
        }
        return new PublishSpec(PortSpec.protocolNumber(mapping.protocol()), uplinkIp, mapping.hostPort(),
            containerIp, mapping.containerPort());
    }

    private static String hostText(final Event.PortMapping mapping)
    {
        return PortSpec.shownHostIp(mapping) + ":" + mapping.hostPort() + "/" + mapping.protocol();
    }

    private static String describe(final Event.PortMapping mapping)
    {
        return hostText(mapping) + " -> " + mapping.containerPort() + "/" + mapping.protocol();
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

    private Endpoint attachNew(final Container container, final Network network, final int ip, final String ifName,
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

    private Endpoint newEndpoint(final Network network, final int ip, final String ifName, final List<String> aliases)
    {
        return newEndpoint(network, ip, ifName, aliases, 0);
    }

    /** @param mac the MAC asked for, 0 for the driver's. */
    private Endpoint newEndpoint(final Network network, final int ip, final String ifName, final List<String> aliases,
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
    private void attach(final Container container, final Endpoint endpoint, final boolean restore,
        final List<Event.PortMapping> ports) throws IOException
    {
        final Network network = state.networkById(endpoint.networkId());
        final NetworkDriver driver = driverOf(network);
        final boolean defaultRoute = container.endpoints().isEmpty() ||
            container.endpoints().iterator().next().networkId().equals(endpoint.networkId());
        final int port = driver.join(network, container.sandbox(), endpoint, defaultRoute, restore);
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
    private void detach(final Container container, final Endpoint endpoint, final List<Event.PortMapping> ports)
    {
        final Network network = state.networkById(endpoint.networkId());
        services.left(endpointEvent(container, network, endpoint, ports, false));
        final Integer port = portsByDevice.remove(endpoint.device());
        if (port != null && network != null)
        {
            driverOf(network).leave(network, endpoint, port);
        }
    }

    private static EndpointEvent endpointEvent(final Container container, final Network network,
        final Endpoint endpoint, final List<Event.PortMapping> ports, final boolean restore)
    {
        return new EndpointEvent(container.name(), container.id(), network == null ? "?" : network.name(),
            endpoint.networkId(), container.sandbox(), endpoint.ifName(), endpoint.ip(), ports, restore,
            endpoint.aliases(), container.dns(), network != null && !network.isPredefined(),
            network != null && network.internal());
    }

    /** The published ports that lead to {@code endpoint}: the container's, when it is its publish address. */
    private static List<Event.PortMapping> portsOf(final Container container, final Endpoint endpoint)
    {
        return !container.ports().isEmpty() && endpoint.ip() == container.publishAddress() ? container.ports() :
            List.of();
    }

    private Event.EndpointAttached attachedEvent(final String containerId, final Endpoint endpoint)
    {
        return new Event.EndpointAttached(containerId, endpoint.networkId(), endpoint.ifName(),
            Ipv4.format(endpoint.ip()), Ipv4.formatMac(endpoint.mac()), endpoint.device(), endpoint.aliases());
    }

    /** Container and endpoint events: this host's, so the local store's. */
    private void commit(final Event event)
    {
        commit(stores.local(), event);
    }

    private void commit(final Store store, final Event event)
    {
        state.apply(store.commit(event));
    }

    /** The subnets of every network with addresses, with their names, for the IPAM's overlap check. */
    private Map<Cidr, String> subnetsInUse()
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
        return inUse;
    }

    private void releaseQuietly(final Network network, final int ip)
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

    private static String lowestFreeInterface(final Container container)
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

    private String processNamespace(final NetworkMode mode, final String sandbox, final Container joined)
    {
        return mode == NetworkMode.CONTAINER ? namespaceOf(joined) : sandbox;
    }

    /** Links name existing containers and valid aliases; servers are addresses; search and options are words. */
    private Event.DnsSettings checkDns(final Event.DnsSettings dns)
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
            Upstreams.words(dns.options(), "--dns-option"));
    }

    private static String checkName(final String name, final String what)
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

    private void deleteQuietly(final String sandbox)
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

    private static void deleteTree(final Path dir)
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

    private static String names(final List<Container> containers)
    {
        return containers.stream().map(Container::name).collect(Collectors.joining(", "));
    }

    private String now()
    {
        return Instant.now(clock).toString();
    }
}
