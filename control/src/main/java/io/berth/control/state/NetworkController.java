package io.berth.control.state;

import io.berth.control.dataplane.Dataplane;
import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.event.Scope;
import io.berth.control.event.Store;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Subnets;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;
import io.berth.control.store.Stores;
import io.berth.control.store.etcd.GlobalStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Networks: create and remove, the pre-defined ones, and the global store's networks as they come and go (each
 * admitted by {@link StoreAdmission}; a store that lost data gets this host's back). Control thread.
 */
public final class NetworkController
{
    private static final System.Logger LOG = System.getLogger("io.berth.control");
    private final State state;
    private final Stores stores;
    private final Dataplane dataplane;
    private final DriverRegistry drivers;
    private final Ids ids;
    private final ControlCore core;
    private final StoreAdmission admission;

    NetworkController(final ControlCore core)
    {
        this.state = core.state;
        this.stores = core.stores;
        this.dataplane = core.dataplane;
        this.drivers = core.drivers;
        this.ids = core.ids;
        this.core = core;
        this.admission = new StoreAdmission(core.state, core.drivers);
    }

    /** What the global store's values must be to be set up here, and what conflicts were met. */
    public StoreAdmission admission()
    {
        return admission;
    }

    /** The pre-defined pseudo-networks host and none, made on the first start. */
    void predefine(final String name, final String driverName)
    {
        if (state.networks().stream().noneMatch(n -> n.name().equals(name)))
        {
            final NetworkDriver driver = drivers.get(driverName);
            core.commit(new Event.NetworkCreated(ids.newId(), name, driver.name(), driver.scope().text(), null, Map.of(),
                false, true, Map.of(), core.now()));
        }
    }

    // ------------------------------------------------------------------------------------------------ networks

    /**
     * {@code --ip6}: on a dual-stack network a container's IPv6 address is the prefix with its IPv4 host part, so
     * pinning one pins both; returns the IPv4 address to pin ({@code ip} when no IPv6 one is asked for).
     */
    public String pinnedIp(final String networkName, final String ip, final String ip6)
    {
        if (ip6 == null || ip6.isEmpty())
        {
            return ip;
        }
        final Network network = state.network(networkName == null || networkName.isEmpty() ? "bridge" : networkName);
        final Ipv6Cidr subnet6 = network.ipv6Subnet();
        if (subnet6 == null)
        {
            throw new BerthException("--ip6 " + ip6 + ": network " + network.name() + " has no IPv6 subnet (create " +
                "it with --ipv6)");
        }
        final long[] address = Ipv6Cidr.parseAddress(ip6, "--ip6");
        final long hosts = 1L << (32 - network.subnet().prefixLength());
        final long offset = address[1] - subnet6.lo();
        if (!subnet6.contains(address[0], address[1]) || address[0] != subnet6.hi() || offset < 0 || offset >= hosts)
        {
            throw new BerthException("--ip6 " + ip6 + " is not a container address of network " + network.name() +
                ": give " + subnet6 + "'s prefix with a host part below " + hosts + " (" +
                Ipv6Cidr.format(subnet6.hi(), subnet6.lo() + 2) + " .. " +
                Ipv6Cidr.format(subnet6.hi(), subnet6.lo() + hosts - 2) + ")");
        }
        final String ip4 = Ipv4.format(network.subnet().network() + (int)offset);
        if (ip != null && !ip.isEmpty() && !ip.equals(ip4))
        {
            throw new BerthException("--ip " + ip + " and --ip6 " + ip6 + " disagree: on " + network.name() + " the " +
                "IPv6 address " + ip6 + " goes with " + ip4);
        }
        return ip4;
    }

    /** A dual-stack network's IPv6 subnet and gateway (issue 27): bridge networks so far. */
    private Map<String, String> ipv6Options(final NetworkRequest request, final NetworkDriver driver,
        final Event.IpamConfig pool, final Map<String, String> options)
    {
        if (driver.name().equals("ipvlan") && "l3".equals(options.get("ipvlan_mode")))
        {
            throw new BerthException("--ipv6 is for ipvlan_mode=l2 so far: an L3 network is routed by berth's " +
                "address on the parent's LAN, which is IPv4 only (issue 27)");
        }
        if (!(driver.name().equals(ControlService.DEFAULT_NETWORK_DRIVER) || driver.name().equals("overlay")
            || driver.name().equals("macvlan") || driver.name().equals("ipvlan")) || pool == null)
        {
            throw new BerthException("--ipv6 is for bridge, overlay, macvlan and ipvlan networks, not " +
                driver.name() + " (issue 27)");
        }

        // -o ipv6.subnet=... (the store's form) is checked as --subnet would be
        final String subnet6 = request.subnet6() != null ? request.subnet6() : options.get(Ipv6Subnets.SUBNET);
        final String gateway6 = request.gateway6() != null ? request.gateway6() : options.get(Ipv6Subnets.GATEWAY);
        final Map<Ipv6Cidr, String> inUse = new LinkedHashMap<>();
        for (final Network other : state.networks())
        {
            final Ipv6Cidr theirs = other.ipv6Subnet();
            if (theirs != null)
            {
                inUse.put(theirs, other.name());
            }
        }
        return Ipv6Subnets.plan(subnet6, gateway6, Cidr.parse(pool.subnet(), "subnet"),
            Ipv4.parse(pool.gateway(), "gateway"), inUse, state.ipam().ipv6Pool());
    }

    /**
     * {@code --ipv4=false} (issue 27): an IPv6-only bridge network. Its containers still have a place in an IPv4
     * subnet of berth's pools, never configured in them nor shown: berth's endpoint tables and address
     * allocation are per IPv4 address, and a container's IPv6 address is its prefix with that host part.
     */
    private static void checkIpv6Only(final NetworkRequest request, final NetworkDriver driver)
    {
        if (!request.ipv6() && request.subnet6() == null)
        {
            throw new BerthException("--ipv4=false needs --ipv6 (or an IPv6 --subnet): a network needs one " +
                "address family");
        }
        if (!driver.name().equals(ControlService.DEFAULT_NETWORK_DRIVER))
        {
            throw new BerthException("--ipv4=false is for bridge networks so far, not " + driver.name());
        }
        if (request.subnet() != null || request.gateway() != null || request.ipRange() != null)
        {
            throw new BerthException("--ipv4=false takes no IPv4 --subnet, --gateway or --ip-range (given: " +
                (request.subnet() != null ? request.subnet() : request.gateway() != null ? request.gateway()
                    : request.ipRange()) + ")");
        }
    }

    public Network createNetwork(final NetworkRequest request)
    {
        final String name = ControlCore.checkName(request.name(), "network");
        if (state.networks().stream().anyMatch(n -> n.name().equals(name)))
        {
            throw new BerthException("network with name " + name + " already exists");
        }
        final NetworkDriver driver = drivers.forCreate(request.driver() == null || request.driver().isEmpty() ?
            ControlService.DEFAULT_NETWORK_DRIVER : request.driver());
        if (!request.ipv4())
        {
            checkIpv6Only(request, driver);
        }
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
            final Map<Cidr, String> inUse = core.subnetsInUse();
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
        if (request.ipv6() || request.subnet6() != null || request.gateway6() != null
            || options.containsKey(Ipv6Subnets.SUBNET))
        {
            options.putAll(ipv6Options(request, driver, pool, options));
        }
        else if ("true".equals(options.get("ipv6.ra")) || options.containsKey("ipv6.masquerade"))
        {
            throw new BerthException("option " + (options.containsKey("ipv6.masquerade") ? "ipv6.masquerade=" +
                options.get("ipv6.masquerade") : "ipv6.ra=true") + " is for a dual-stack network: add --ipv6");
        }
        if (!request.ipv4())
        {
            options.put(Network.IPV4, "false");
        }
        final Event.NetworkCreated created = new Event.NetworkCreated(ids.newId(), name, driver.name(),
            driver.scope().text(), pool, options, request.internal(), false, Map.of(), core.now());
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
                core.commit(store, created);
            }
            catch (final RuntimeException ex)
            {
                driver.deleteNetwork(draft);
                throw ex;
            }
            return state.networkById(created.id());
        }
        // a global store first: it decides what only it can (the VNI) and refuses what another host holds
        core.commit(store, created);
        final Network network = state.networkById(created.id());
        try
        {
            driver.createNetwork(network);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                core.commit(store, new Event.NetworkRemoved(created.id(), name));
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
            throw new BerthException("network " + network.name() + " has active endpoints: " + ControlCore.names(attached) +
                "; remove those containers or disconnect them (berth network disconnect " + network.name() + " " +
                attached.get(0).name() + ") first");
        }
        // the store first: a global store refuses while another host still has containers on the network
        core.commit(stores.forScope(network.scope()), new Event.NetworkRemoved(network.id(), network.name()));
        core.driverOf(network).deleteNetwork(network);
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
                core.driverOf(state.networkById(created.id())).createNetwork(state.networkById(created.id()));
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
                    "from the store while containers here are on it (" + ControlCore.names(state.containersOn(network.id())) +
                    "); kept, and published again");
                publishAgain(network);
                return;
            }
            core.driverOf(network).deleteNetwork(network);
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
            core.driverOf(network).claimAgain(network, owners);
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
    void admitReplayed(final Event event)
    {
        if (!(event instanceof Event.NetworkCreated created) || admission.refuse(created) == null)
        {
            state.apply(event);
        }
    }
}
