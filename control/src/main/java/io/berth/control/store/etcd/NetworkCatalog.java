package io.berth.control.store.etcd;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Cidr;
import io.berth.control.wire.Json;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

import static io.berth.control.store.etcd.EtcdCalls.bs;
import static io.berth.control.store.etcd.EtcdCalls.key;
import static io.berth.control.store.etcd.EtcdCalls.string;

/**
 * The store's catalog of global networks: names, VNIs and subnets, unique across the cluster because every
 * create and delete is one transaction on the catalog key (see {@link EtcdStore} for the keys). Creation also
 * checks the epoch marker this host expects, so a store that lost its data hands out nothing it forgot.
 * Thread-safe; called from the control thread.
 */
final class NetworkCatalog
{
    private static final System.Logger LOG = System.getLogger(NetworkCatalog.class.getName());
    /** The lowest VNI handed out when none is pinned, as Docker's overlay starts its pool. */
    static final int FIRST_AUTO_VNI = 4096;
    static final int MAX_VNI = 0xFFFFFF;

    private final EtcdCalls calls;
    /** The epoch marker this host expects ({@link StoreIntegrity}); null before the first is known. */
    private volatile String expectedEpoch;

    NetworkCatalog(final EtcdCalls calls)
    {
        this.calls = calls;
    }

    void expectEpoch(final String epoch)
    {
        expectedEpoch = epoch;
    }

    /**
     * Creates a global network, refusing (and changing nothing) when the name or VNI is taken or the subnet
     * overlaps another global network's; the message names the other network. {@code vni} 0 takes the lowest free
     * one from {@link #FIRST_AUTO_VNI}, chosen at the same revision the transaction checks.
     *
     * @param json the network's JSON for the VNI it gets.
     * @return the VNI.
     */
    int createNetwork(final String name, final int vni, final Cidr subnet,
        final IntFunction<String> json)
    {
        return createNetwork(name, vni, subnet, Set.of(), json);
    }

    /** @param vnisInUse VNIs this host's live networks have, never handed out whatever the store says. */
    int createNetwork(final String name, final int vni, final Cidr subnet,
        final Set<Integer> vnisInUse, final IntFunction<String> json)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            final GetResponse catalog = calls.await(calls.kv.get(key("catalog")));
            final long catalogRevision = catalog.getKvs().isEmpty() ? 0 : catalog.getKvs().get(0).getModRevision();
            final long revision = catalog.getHeader().getRevision();
            if (!calls.get(key("networks/" + name), revision).isEmpty())
            {
                throw new BerthException("network with name " + name + " already exists in the store");
            }
            final Set<Integer> taken = new HashSet<>();
            final String vniPrefix = key("vnis/").toString(StandardCharsets.UTF_8);
            for (final KeyValue held : calls.getPrefix(key("vnis/"), revision))
            {
                try
                {
                    taken.add(Integer.parseInt(string(held.getKey()).substring(vniPrefix.length())));
                }
                catch (final NumberFormatException ex)
                {
                    LOG.log(System.Logger.Level.WARNING, "ignoring key " + string(held.getKey()) + " in the store: " +
                        "not a VNI");
                }
            }

            int chosen = vni;
            if (chosen == 0)
            {
                chosen = FIRST_AUTO_VNI;
                while (taken.contains(chosen) || vnisInUse.contains(chosen))
                {
                    chosen++;
                }
            }
            else if (taken.contains(chosen))
            {
                final List<KeyValue> vniOwner = calls.get(key("vnis/" + chosen), revision);
                throw new BerthException("VNI " + chosen + " is taken by network " +
                    (vniOwner.isEmpty() ? "?" : string(vniOwner.get(0).getValue())) + "; give another -o vni=1.." +
                    MAX_VNI + " or leave it out to get a free one");
            }
            else if (vnisInUse.contains(chosen))
            {
                // the store forgot it (a loss this host has not noticed yet), but a network here has it
                throw new BerthException("VNI " + chosen + " is in use by a network on this host; give another -o " +
                    "vni=1.." + MAX_VNI + " or leave it out to get a free one");
            }
            for (final KeyValue other : calls.getPrefix(key("subnets/"), revision))
            {
                final Cidr theirs = parseSubnet(string(other.getValue()));
                if (theirs != null && theirs.overlaps(subnet))
                {
                    throw new BerthException("subnet " + subnet + " overlaps subnet " + theirs + " of network "
                        + string(other.getKey()).substring(key("subnets/").toString(StandardCharsets.UTF_8).length())
                        + " in the store");
                }
            }
            final String epoch = expectedEpoch;
            final List<Cmp> conditions = new ArrayList<>(List.of(
                new Cmp(key("catalog"), Cmp.Op.EQUAL, CmpTarget.modRevision(catalogRevision))));
            if (epoch != null)
            {
                // a store that lost its data since this host last looked gives out no VNI or subnet it forgot
                conditions.add(new Cmp(key("epoch"), Cmp.Op.EQUAL, CmpTarget.value(bs(epoch))));
            }
            final boolean committed = calls.await(calls.kv.txn()
                .If(conditions.toArray(new Cmp[0]))
                .Then(putNetwork(name, json.apply(chosen), chosen, subnet, revision))
                .commit()).isSucceeded();
            if (committed)
            {
                return chosen;
            }
            if (epoch != null)
            {
                final List<KeyValue> marker = calls.get(key("epoch"), 0);
                if (marker.isEmpty() || !string(marker.get(0).getValue()).equals(epoch))
                {
                    throw new BerthException("the store (etcd) lost data since this host last read it (its epoch " +
                        "marker is " + (marker.isEmpty() ? "gone" : "another") + "); every host is publishing its " +
                        "networks again: try again in a few seconds");
                }
            }
            // another host changed the catalog between our read and our write: read again
        }
        throw new BerthException("the store is too busy to create network " + name + ": try again");
    }

    /** Every global network's subnet: name -> subnet. */
    Map<String, Cidr> subnets()
    {
        final Map<String, Cidr> result = new TreeMap<>();
        final String prefix = key("subnets/").toString(StandardCharsets.UTF_8);
        for (final KeyValue held : calls.getPrefix(key("subnets/"), 0))
        {
            final Cidr subnet = parseSubnet(string(held.getValue()));
            if (subnet != null)
            {
                result.put(string(held.getKey()).substring(prefix.length()), subnet);
            }
        }
        return result;
    }

    /** Every global network: name -> its JSON. */
    Map<String, String> networks()
    {
        final Map<String, String> result = new TreeMap<>();
        final String prefix = key("networks/").toString(StandardCharsets.UTF_8);
        for (final KeyValue kvPair : calls.getPrefix(key("networks/"), 0))
        {
            result.put(string(kvPair.getKey()).substring(prefix.length()), string(kvPair.getValue()));
        }
        return result;
    }

    /**
     * Removes a global network and everything it kept in the store, refused while any host still has an endpoint
     * on it (the message names the hosts).
     */
    void deleteNetwork(final String name, final int vni)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            final GetResponse members = calls.await(calls.kv.get(key("members/" + name)));
            final long membersRevision = members.getKvs().isEmpty() ? 0 : members.getKvs().get(0).getModRevision();
            final long revision = members.getHeader().getRevision();
            if (calls.get(key("networks/" + name), revision).isEmpty())
            {
                throw new BerthException("no such global network: " + name);
            }
            final List<String> hosts = new ArrayList<>();
            for (final KeyValue endpoint : calls.getPrefix(key("endpoints/" + name + "/"), revision))
            {
                final String host = nodeOf(string(endpoint.getValue()));
                if (!hosts.contains(host))
                {
                    hosts.add(host);
                }
            }
            if (!hosts.isEmpty())
            {
                throw new BerthException("network " + name + " is in use: containers on " + String.join(", ", hosts)
                    + " are still connected");
            }
            final GetResponse catalog = calls.await(calls.kv.get(key("catalog")));
            final long catalogRevision = catalog.getKvs().isEmpty() ? 0 : catalog.getKvs().get(0).getModRevision();
            final boolean committed = calls.await(calls.kv.txn()
                .If(new Cmp(key("members/" + name), Cmp.Op.EQUAL, CmpTarget.modRevision(membersRevision)),
                    new Cmp(key("catalog"), Cmp.Op.EQUAL, CmpTarget.modRevision(catalogRevision)))
                .Then(Op.delete(key("networks/" + name), DeleteOption.DEFAULT),
                    Op.delete(key("vnis/" + vni), DeleteOption.DEFAULT),
                    Op.delete(key("subnets/" + name), DeleteOption.DEFAULT),
                    Op.delete(key("members/" + name), DeleteOption.DEFAULT),
                    Op.delete(key("ipam/" + name + "/"), DeleteOption.builder().isPrefix(true).build()),
                    Op.put(key("catalog"), bs(Long.toString(revision)), PutOption.DEFAULT))
                .commit()).isSucceeded();
            if (committed)
            {
                return;
            }
        }
        throw new BerthException("the store is too busy to remove network " + name + ": try again");
    }

    /**
     * Puts a network this host has containers on back into a store that forgot it, with its own VNI and subnet,
     * unless another network took its name, VNI or subnet meanwhile.
     *
     * @return null when the store has it now (put, or there already with the same id), else what holds it.
     */
    String republishNetwork(final String name, final String id, final int vni, final Cidr subnet,
        final String json)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            final GetResponse catalog = calls.await(calls.kv.get(key("catalog")));
            final long catalogRevision = catalog.getKvs().isEmpty() ? 0 : catalog.getKvs().get(0).getModRevision();
            final long revision = catalog.getHeader().getRevision();
            final List<KeyValue> same = calls.get(key("networks/" + name), revision);
            if (!same.isEmpty())
            {
                return string(same.get(0).getValue()).contains(id) ? null :
                    "another network named " + name + " is in the store now";
            }
            final List<KeyValue> vniOwner = calls.get(key("vnis/" + vni), revision);
            if (!vniOwner.isEmpty() && !string(vniOwner.get(0).getValue()).equals(name))
            {
                return "its VNI " + vni + " was taken by network " + string(vniOwner.get(0).getValue());
            }
            final String subnetPrefix = key("subnets/").toString(StandardCharsets.UTF_8);
            for (final KeyValue other : calls.getPrefix(key("subnets/"), revision))
            {
                final String owner = string(other.getKey()).substring(subnetPrefix.length());
                final Cidr theirs = parseSubnet(string(other.getValue()));
                if (theirs != null && !owner.equals(name) && theirs.overlaps(subnet))
                {
                    return "its subnet " + subnet + " overlaps subnet " + theirs + " of network " + owner;
                }
            }
            final boolean committed = calls.await(calls.kv.txn()
                .If(new Cmp(key("catalog"), Cmp.Op.EQUAL, CmpTarget.modRevision(catalogRevision)))
                .Then(putNetwork(name, json, vni, subnet, revision))
                .commit()).isSucceeded();
            if (committed)
            {
                return null;
            }
        }
        return "the store was too busy";
    }

    /** A network in the store: its definition, its VNI and subnet held, the catalog bumped to {@code revision}. */
    private static Op[] putNetwork(final String name, final String json, final int vni, final Cidr subnet,
        final long revision)
    {
        return new Op[] {
            Op.put(key("networks/" + name), bs(json), PutOption.DEFAULT),
            Op.put(key("vnis/" + vni), bs(name), PutOption.DEFAULT),
            Op.put(key("subnets/" + name), bs(subnet.toString()), PutOption.DEFAULT),
            Op.put(key("catalog"), bs(Long.toString(revision)), PutOption.DEFAULT)};
    }

    /** A subnet value from the store, or null (logged) when it is none. */
    private static Cidr parseSubnet(final String text)
    {
        try
        {
            return Cidr.parse(text, "subnet");
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "ignoring subnet \"" + text + "\" in the store: " + ex.getMessage());
            return null;
        }
    }

    /** The host an endpoint's JSON names. */
    private static String nodeOf(final String json)
    {
        try
        {
            return Json.WIRE.readTree(json).path("node").asText("?");
        }
        catch (final IOException e)
        {
            return "?";
        }
    }
}
