package io.berth.control.driver.spi;

import io.berth.control.event.Scope;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.model.Endpoint;
import io.berth.control.model.Network;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A network driver, in the shape of libnetwork's driver API: it owns what is specific to its networks (options and
 * their validation, what an endpoint is, what the dataplane holds for a network and an endpoint) and says what its
 * networks offer. The {@code NetworkController} (ControlService) orchestrates: it validates in a fixed order,
 * allocates addresses, journals, and rolls back; it never asks which driver it is talking to.
 * <p>
 * Called on the control thread only. A driver is registered in the {@link DriverRegistry} under its {@link Capabilities#name()};
 * adding one means adding its package and one registration in berthd's composition root.
 */
public interface NetworkDriver
{
    /** What a container on a network of this driver gets. */
    enum Attachment
    {
        /** Its own namespace with an interface on the network (bridge, overlay, macvlan, ...). */
        ENDPOINT,
        /** berthd's own namespace, no interface of its own (host). */
        HOST_NAMESPACE,
        /** Its own namespace with only {@code lo} (null). */
        ISOLATED
    }

    /** What its networks offer, declared once; the accessors below read it. */
    Capabilities capabilities();

    default String name()
    {
        return capabilities().name();
    }

    default Scope scope()
    {
        return capabilities().scope();
    }

    default Attachment attachment()
    {
        return capabilities().attachment();
    }

    default boolean userCreatable()
    {
        return capabilities().userCreatable();
    }

    default boolean externalConnectivity()
    {
        return capabilities().externalConnectivity();
    }

    /** Whether its networks have a subnet and addresses (IPAM); true exactly for {@link Attachment#ENDPOINT}. */
    default boolean hasAddresses()
    {
        return attachment() == Attachment.ENDPOINT;
    }

    /** Whether a network with these (normalised) options may have more than one subnet (ipvlan L3). */
    default boolean takesSeveralSubnets(final Map<String, String> options)
    {
        return false;
    }

    default boolean onHostLan()
    {
        return capabilities().onHostLan();
    }

    /**
     * Validates {@code -o KEY=VALUE} options and returns them normalised, defaults filled in: what is journaled.
     *
     * @throws io.berth.control.error.BerthException naming the offending option or value and what would be valid.
     */
    Map<String, String> parseOptions(List<String> options);

    /** The options {@code network inspect} shows (Docker shows the driver's options). */
    default Map<String, String> shownOptions(final Network network)
    {
        return network.options();
    }

    /**
     * The subnets of networks that exist beyond this host in this driver's scope (a global store's), with their
     * names: a new network may overlap none. Local drivers: none.
     */
    default Map<Cidr, String> subnetsElsewhere()
    {
        return Map.of();
    }

    /**
     * The subnet a new network gets without {@code --subnet}, overlapping none of {@code taken}; null leaves it to
     * the IPAM's defaults (Docker's 172.17.0.0/16 onwards).
     */
    default Cidr defaultSubnet(final Collection<Cidr> taken)
    {
        return null;
    }

    /**
     * An address for a new endpoint: {@code pinnedIp}, checked, or the next free one. The default asks the
     * network's local address book (taken there when the endpoint is journaled); a cluster-wide IPAM claims it
     * in its store for {@code owner} at once, and {@link #releaseAddress} gives it back.
     */
    default int allocateAddress(final Network network, final String pinnedIp, final String owner)
    {
        if (pinnedIp == null || pinnedIp.isEmpty())
        {
            return network.addresses().nextFree();
        }
        final int ip = Ipv4.parse(pinnedIp, "--ip");
        network.addressesFor(ip).checkPinnable(ip);
        return ip;
    }

    /** The MAC of a new endpoint with {@code ip}: Docker's 02:42 followed by the address, unless the driver says. */
    default long endpointMac(final Network network, final int ip)
    {
        return Ipv4.macFor(ip);
    }

    /** Gives back an address {@link #allocateAddress} handed out (the endpoint left, or its attach failed). */
    default void releaseAddress(final Network network, final int ip)
    {
    }

    /**
     * Gives back every address {@code owner} (a container id) still holds on the network: a {@code berth run} that a
     * crash cut short may have claimed one in a cluster-wide IPAM before it was journaled. Local IPAMs have nothing
     * to do (their addresses are taken only when journaled).
     */
    default void releaseClaimsOf(final Network network, final String owner)
    {
    }

    /**
     * What {@code network inspect} shows beyond the network's own fields (the overlay's "Peers"), and the
     * containers other hosts have on it, each as {@code Containers} shows them, by name.
     */
    /**
     * A global store that lost data is given back this host's address claims on {@code network} (address -> the
     * container that holds it); a claim another host took meanwhile is logged. Control thread.
     */
    default void claimAgain(final Network network, final Map<Integer, String> owners)
    {
    }

    default Map<String, Object> inspectExtras(final Network network)
    {
        return Map.of();
    }

    default Map<String, Map<String, Object>> remoteContainers(final Network network)
    {
        return Map.of();
    }

    /** Gives the dataplane what it holds for the network; at create and again at every restore. */
    void createNetwork(Network network);

    /** Undoes {@link #createNetwork}; the controller has detached every endpoint. */
    void deleteNetwork(Network network);

    /**
     * Creates the endpoint's port (or, when {@code restore}, re-opens the one that outlived berthd) in the sandbox,
     * configures it and attaches it to the network's dataplane state. Nothing is left behind when it throws.
     *
     * @param defaultRoute the sandbox's default route goes via this network's gateway.
     * @return the driver's handle for the endpoint (a dataplane port id), passed back to {@link #leave}.
     */
    int join(Network network, String sandbox, Endpoint endpoint, boolean defaultRoute, boolean restore)
        throws IOException;

    /** Detaches the endpoint and removes its port from the sandbox. */
    void leave(Network network, Endpoint endpoint, int handle);

    /**
     * The sandbox's default route moves to this endpoint (the one that had it left the sandbox). Drivers whose
     * endpoints have no gateway do nothing.
     */
    default void takeDefaultRoute(final Network network, final String sandbox, final Endpoint endpoint)
        throws IOException
    {
    }
}
