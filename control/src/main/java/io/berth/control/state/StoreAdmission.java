package io.berth.control.state;

import io.berth.control.driver.spi.DriverRegistry;
import io.berth.control.driver.spi.NetworkDriver;
import io.berth.control.error.BerthException;
import io.berth.control.event.Event;
import io.berth.control.event.Scope;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Network;
import io.berth.control.store.etcd.EtcdStore;
import io.berth.control.store.etcd.GlobalStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * What a network read from the global store must be before berthd sets it up: anyone who reaches etcd can write
 * there, so a value is checked as strictly as the CLI checks a {@code network create} (name, driver and scope,
 * subnet, range and gateway against the reserved ranges and the uplink, options and VNI range), and against the
 * live networks (name, VNI and subnet each used once). A value that fails is logged once, counted and ignored; one
 * that conflicts with a live network is also reported on that network ({@code berth network inspect}'s
 * {@code StoreConflicts}). An ignored value never reaches the state, so its removal touches nothing. Control
 * thread.
 */
public final class StoreAdmission
{
    private static final System.Logger LOG = System.getLogger(StoreAdmission.class.getName());
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    private final State state;
    private final DriverRegistry drivers;
    /** What was logged already (network id and problem), so a value the watch and each relist meet is logged once. */
    private final Set<String> logged = new HashSet<>();
    /** Live network name -> what in the store conflicts with it now. */
    private final Map<String, Map<String, String>> conflicts = new LinkedHashMap<>();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong conflicting = new AtomicLong();

    /** @param drivers whose global drivers check a stored network's options as they check the CLI's. */
    public StoreAdmission(final State state, final DriverRegistry drivers)
    {
        this.state = state;
        this.drivers = drivers;
    }

    /** @return null when {@code created} may be set up here, else why not (and it is logged, counted, reported). */
    public String refuse(final Event.NetworkCreated created)
    {
        final String invalid = invalid(created);
        if (invalid != null)
        {
            once(created, "ignoring network " + quoted(created.name()) + " from the store: " + invalid, rejected);
            return invalid;
        }
        final Cidr subnet = Cidr.parse(created.ipam().subnet(), "subnet");
        final String vni = created.options().get(GlobalStore.VNI);
        for (final Network live : state.networks())
        {
            if (live.id().equals(created.id()))
            {
                continue;
            }
            final String clash = live.name().equals(created.name()) ? "has its name" :
                live.hasAddresses() && live.subnet().overlaps(subnet) ? "overlaps its subnet " + live.subnet() :
                live.scope() == Scope.GLOBAL && vni.equals(live.options().get(GlobalStore.VNI)) ?
                    "has its VNI " + vni : null;
            if (clash != null)
            {
                final String why = "network " + created.name() + " in the store " + clash + "; ignored, network " +
                    live.name() + " is kept as it is";
                conflicts.computeIfAbsent(live.name(), k -> new LinkedHashMap<>()).put(created.id(), why);
                once(created, why, conflicting);
                return why;
            }
        }
        return null;
    }

    /** A network of the store that is gone: whatever it conflicted with is clear of it. */
    public void forget(final String id)
    {
        conflicts.values().forEach(byId -> byId.remove(id));
        conflicts.values().removeIf(Map::isEmpty);
    }

    /** Reports a conflict on a live network that is not a store value's (a network the store forgot, say). */
    public void report(final String liveNetwork, final String key, final String why)
    {
        conflicts.computeIfAbsent(liveNetwork, k -> new LinkedHashMap<>()).put(key, why);
        if (logged.add(key + "|" + why))
        {
            conflicting.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, why);
        }
    }

    public void clear(final String liveNetwork, final String key)
    {
        final Map<String, String> byKey = conflicts.get(liveNetwork);
        if (byKey != null && byKey.remove(key) != null && byKey.isEmpty())
        {
            conflicts.remove(liveNetwork);
        }
    }

    /** What conflicts with {@code liveNetwork} in the store now, for {@code network inspect}. */
    public List<String> conflictsWith(final String liveNetwork)
    {
        return List.copyOf(conflicts.getOrDefault(liveNetwork, Map.of()).values());
    }

    public Map<String, Object> counters()
    {
        final Map<String, Object> counters = new LinkedHashMap<>();
        counters.put("values_rejected", rejected.get());
        counters.put("conflicts", conflicting.get());
        return counters;
    }

    private String invalid(final Event.NetworkCreated created)
    {
        if (created.name() == null || !NAME.matcher(created.name()).matches())
        {
            return "the name is not a network name (a letter or digit, then letters, digits, '_', '.' or '-')";
        }
        final NetworkDriver driver = created.driver() == null ? null : drivers.all().stream()
            .filter(d -> d.name().equals(created.driver())).findFirst().orElse(null);
        if (driver == null || driver.scope() != Scope.GLOBAL || !Scope.GLOBAL.text().equals(created.scope()))
        {
            return "driver " + quoted(created.driver()) + " with scope " + quoted(created.scope()) + " (the store " +
                "holds networks of a global driver only)";
        }
        if (created.id() == null || !created.id().matches("[0-9a-f]{64}"))
        {
            return "id " + quoted(created.id()) + " is not 64 hex digits";
        }
        if (created.ipam() == null || created.ipam().subnet() == null)
        {
            return "it has no subnet";
        }
        try
        {
            final Cidr subnet = Cidr.parse(created.ipam().subnet(), "subnet");
            if (subnet.prefixLength() > 30 || subnet.prefixLength() < 8)
            {
                return "subnet " + subnet + " is not /8../30";
            }
            for (final Map.Entry<Cidr, String> reserved : state.ipam().reservedRanges().entrySet())
            {
                if (reserved.getKey().overlaps(subnet))
                {
                    return "subnet " + subnet + " overlaps " + reserved.getKey() + " (" + reserved.getValue() + ")";
                }
            }
            if (created.ipam().ipRange() != null && !subnet.contains(Cidr.parse(created.ipam().ipRange(), "ip-range")))
            {
                return "ip-range " + created.ipam().ipRange() + " is not inside subnet " + subnet;
            }
            final int gateway = Ipv4.parse(created.ipam().gateway(), "gateway");
            if (!subnet.contains(gateway) || gateway == subnet.network() || gateway == subnet.last())
            {
                return "gateway " + created.ipam().gateway() + " is not a host address of subnet " + subnet;
            }
            final String vni = created.options().get(GlobalStore.VNI);
            if (vni == null || !vni.matches("[0-9]{1,8}") || Integer.parseInt(vni) < 1 ||
                Integer.parseInt(vni) > EtcdStore.MAX_VNI)
            {
                return "VNI " + quoted(vni) + " is not 1.." + EtcdStore.MAX_VNI;
            }
            final List<String> options = new ArrayList<>();
            created.options().forEach((key, value) -> options.add(key + "=" + value));
            driver.parseOptions(options); // the driver's own checks, as for network create -o
        }
        catch (final BerthException | IllegalArgumentException | NullPointerException ex)
        {
            return ex.getMessage();
        }
        return null;
    }

    private void once(final Event.NetworkCreated created, final String why, final AtomicLong counter)
    {
        if (logged.add(created.id() + "|" + created.name() + "|" + why))
        {
            counter.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, why);
        }
    }

    private static String quoted(final String text)
    {
        return text == null ? "(none)" : "\"" + text + "\"";
    }
}
