package io.berth.l3;

import io.berth.dataplane.PortTable;
import org.agrona.collections.Long2LongHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Routing state: each bridge network's subnet, the neighbours (next hops: address -> port and MAC), and the two
 * routed ports, the uplink and the host link. Neighbour values pack the port id into the top 16 bits and the
 * MAC into the low 48. Owned by the worker thread; the control plane changes it through worker commands.
 */
public final class Router
{
    public static final long NO_NEIGHBOR = -1;
    public static final int NONE = -1;
    private static final int MAX_DOMAINS = 4096;

    private final boolean[] present = new boolean[MAX_DOMAINS];
    private final int[] subnet = new int[MAX_DOMAINS];
    private final int[] mask = new int[MAX_DOMAINS];
    private final int[] gatewayIp = new int[MAX_DOMAINS];
    private final long[] gatewayMac = new long[MAX_DOMAINS];
    private final boolean[] internal = new boolean[MAX_DOMAINS];
    /** A LAN network (macvlan, ipvlan): of its subnet only its containers are berth's; the rest is the LAN's. */
    private final boolean[] lan = new boolean[MAX_DOMAINS];
    /** ipvlan private: no routing between two containers of the network. */
    private final boolean[] isolatedDomain = new boolean[MAX_DOMAINS];
    /** A network's second and later subnets (ipvlan L3): {domain, prefix length, masked address} each. */
    private final List<int[]> moreSubnets = new ArrayList<>();
    /** An ipvlan L3 network's routed port on its parent's LAN, per domain, or NONE. */
    private final int[] lanRouterOfDomain = new int[MAX_DOMAINS];
    /*
     * LAN router ports (ipvlan L3): berth owns an address on a parent's LAN there, as on the uplink, and routes the
     * network's subnets behind it. Indexed by port id.
     */
    private final boolean[] lanRouter = new boolean[PortTable.MAX_PORTS];
    private final int[] lanRouterIp = new int[PortTable.MAX_PORTS];
    private final int[] lanRouterMask = new int[PortTable.MAX_PORTS];
    private final long[] lanRouterMac = new long[PortTable.MAX_PORTS];
    private final int[] lanRouterGateway = new int[PortTable.MAX_PORTS];
    private int[] lanRouterAddresses = new int[0];
    /** (prefix length << 32 | subnet address) -> domain id; subnets never overlap, so at most one matches. */
    private final Long2LongHashMap domainBySubnet = new Long2LongHashMap(NONE);
    /** Prefix lengths in use, longest first: domainOf costs one lookup per distinct length, whatever the count. */
    private int[] prefixLengths = new int[0];

    /** Containers' and the host's addresses, installed by the control plane: never aged, never evicted. */
    private final Long2LongHashMap endpoints = new Long2LongHashMap(NO_NEIGHBOR);
    /** Neighbours learned by ARP on routed ports: bounded and aged. */
    private final NeighborTable learned;
    private final boolean[] routedPort = new boolean[PortTable.MAX_PORTS];

    private int uplinkPort = NONE;
    private int uplinkIp;
    private int uplinkMask;
    private long uplinkMac;
    private int uplinkGateway;

    private int hostPort = NONE;
    private int hostLinkIp;
    private long hostLinkMac;
    private int hostIp;

    public Router()
    {
        this(NeighborTable.DEFAULT_LIMIT);
    }

    /** @param learnedNeighborLimit how many neighbours ARP on routed ports may teach (the LAN's hosts). */
    public Router(final int learnedNeighborLimit)
    {
        learned = new NeighborTable(learnedNeighborLimit);
        Arrays.fill(lanRouterOfDomain, NONE);
    }

    /** The learned-neighbour table, for aging as housekeeping and for its counters. */
    public NeighborTable learnedNeighbors()
    {
        return learned;
    }

    public static int mask(final int prefixLength)
    {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public static long neighbor(final int portId, final long mac)
    {
        return ((long)portId << 48) | (mac & 0xFFFF_FFFF_FFFFL);
    }

    public static int neighborPort(final long neighbor)
    {
        return (int)(neighbor >>> 48);
    }

    public static long neighborMac(final long neighbor)
    {
        return neighbor & 0xFFFF_FFFF_FFFFL;
    }

    public void addDomain(final int id, final int subnetAddress, final int prefixLength, final int gateway,
        final long gatewayMacAddress, final boolean isInternal)
    {
        present[id] = true;
        mask[id] = mask(prefixLength);
        subnet[id] = subnetAddress & mask[id];
        gatewayIp[id] = gateway;
        gatewayMac[id] = gatewayMacAddress;
        internal[id] = isInternal;
        lan[id] = false;
        prefix[id] = prefixLength;
        rebuildDomainIndex();
    }

    /**
     * A LAN network's subnet: routed only between its containers and the host (internal: never to the uplink or
     * another network), and holding only its containers' addresses, since the other hosts of its LAN (the uplink's,
     * when the network shares the uplink's wire) are outside as far as berth's router is concerned.
     */
    public void addLanDomain(final int id, final int subnetAddress, final int prefixLength, final int hostIp,
        final long hostMac)
    {
        addDomain(id, subnetAddress, prefixLength, hostIp, hostMac, true);
        lan[id] = true;
    }

    public void removeDomain(final int id)
    {
        present[id] = false;
        moreSubnets.removeIf(s -> s[0] == id);
        isolatedDomain[id] = false;
        final int router = lanRouterOfDomain[id];
        if (router != NONE && router != uplinkPort)
        {
            removeLanRouter(router);
        }
        lanRouterOfDomain[id] = NONE;
        rebuildDomainIndex();
    }

    /** Another subnet of domain {@code id} (an ipvlan L3 network has several). */
    public void addSubnet(final int id, final int subnetAddress, final int prefixLength)
    {
        moreSubnets.add(new int[] {id, prefixLength, subnetAddress & mask(prefixLength)});
        rebuildDomainIndex();
    }

    /** ipvlan private: containers of the network are not routed to each other. */
    public void isolate(final int id, final boolean isolated)
    {
        isolatedDomain[id] = isolated;
    }

    public boolean isIsolated(final int domain)
    {
        return isolatedDomain[domain];
    }

    /**
     * A broadcast or multicast address as seen from LAN network {@code domain}: multicast, the limited broadcast,
     * or a directed broadcast of one of its subnets (a NOARP container sends those to its own MAC, as unicast).
     */
    public boolean isBroadcastFor(final int domain, final int address)
    {
        if ((address & 0xF000_0000) == 0xE000_0000 || address == -1)
        {
            return true;
        }
        if ((address & mask[domain]) == subnet[domain] && (address | mask[domain]) == -1)
        {
            return true;
        }
        for (final int[] extra : moreSubnets)
        {
            if (extra[0] == domain && (address & mask(extra[1])) == extra[2] && (address | mask(extra[1])) == -1)
            {
                return true;
            }
        }
        return false;
    }

    public boolean isLan(final int domain)
    {
        return domain >= 0 && lan[domain];
    }

    /**
     * Port {@code portId} is ipvlan L3 network {@code domain}'s router on its parent's LAN: berth owns
     * {@code address} there with {@code mac}, destinations in {@code prefixLength} are on the link, the rest goes
     * via {@code gateway} (0: nowhere). The uplink itself may be one (then its own address and gateway are given).
     */
    public void lanRouter(final int portId, final int domain, final int address, final int prefixLength, final long mac,
        final int gateway)
    {
        lanRouterOfDomain[domain] = portId;
        if (portId == uplinkPort)
        {
            return; // the uplink answers for itself already
        }
        lanRouter[portId] = true;
        lanRouterIp[portId] = address;
        lanRouterMask[portId] = mask(prefixLength);
        lanRouterMac[portId] = mac;
        lanRouterGateway[portId] = gateway;
        routedPort[portId] = true;
        rebuildLanRouterAddresses();
    }

    public void removeLanRouter(final int portId)
    {
        lanRouter[portId] = false;
        routedPort[portId] = portId == uplinkPort || portId == hostPort;
        rebuildLanRouterAddresses();
    }

    private void rebuildLanRouterAddresses()
    {
        int n = 0;
        final int[] addresses = new int[PortTable.MAX_PORTS];
        for (int p = 0; p < PortTable.MAX_PORTS; p++)
        {
            if (lanRouter[p])
            {
                addresses[n++] = lanRouterIp[p];
            }
        }
        lanRouterAddresses = Arrays.copyOf(addresses, n);
    }

    /** The LAN router port of ipvlan L3 network {@code domain} (the uplink's id when it is that), or NONE. */
    public int lanRouterOf(final int domain)
    {
        return domain >= 0 ? lanRouterOfDomain[domain] : NONE;
    }

    /** A LAN router port other than the uplink. */
    public boolean isLanRouter(final int portId)
    {
        return portId >= 0 && portId < lanRouter.length && lanRouter[portId];
    }

    public int lanRouterIp(final int portId)
    {
        return portId == uplinkPort ? uplinkIp : lanRouterIp[portId];
    }

    public long lanRouterMac(final int portId)
    {
        return portId == uplinkPort ? uplinkMac : lanRouterMac[portId];
    }

    /** On the LAN router port's link: the destination itself, else its gateway (0: none). */
    public int lanNextHop(final int portId, final int destination)
    {
        if (portId == uplinkPort)
        {
            return uplinkNextHop(destination);
        }
        if ((destination & lanRouterMask[portId]) == (lanRouterIp[portId] & lanRouterMask[portId]))
        {
            return destination;
        }
        return lanRouterGateway[portId];
    }

    private final int[] prefix = new int[MAX_DOMAINS];

    /** Control-command time: the lookup index is rebuilt whole (few networks, rare changes). */
    private void rebuildDomainIndex()
    {
        domainBySubnet.clear();
        long lengths = 0;
        for (int i = 0; i < MAX_DOMAINS; i++)
        {
            if (present[i])
            {
                domainBySubnet.put(subnetKey(prefix[i], subnet[i]), i);
                lengths |= 1L << prefix[i];
            }
        }
        for (final int[] extra : moreSubnets)
        {
            domainBySubnet.put(subnetKey(extra[1], extra[2]), extra[0]);
            lengths |= 1L << extra[1];
        }
        final int[] ordered = new int[Long.bitCount(lengths)];
        for (int length = 32, j = 0; length >= 0; length--)
        {
            if ((lengths & (1L << length)) != 0)
            {
                ordered[j++] = length;
            }
        }
        prefixLengths = ordered;
    }

    private static long subnetKey(final int prefixLength, final int maskedAddress)
    {
        return ((long)prefixLength << 32) | (maskedAddress & 0xFFFF_FFFFL);
    }

    /**
     * The bridge network whose subnet holds {@code address} (a LAN network: only its containers'), or {@link #NONE}.
     * Subnets never overlap. One hash
     * lookup per distinct prefix length in use (at most 31), independent of the number of networks.
     */
    public int domainOf(final int address)
    {
        final int[] lengths = prefixLengths;
        for (final int length : lengths)
        {
            final long id = domainBySubnet.get(subnetKey(length, address & mask(length)));
            if (id != NONE)
            {
                return lan[(int)id] && !endpoints.containsKey(address) ? NONE : (int)id;
            }
        }
        return NONE;
    }

    /** True when {@code address} is one berthd answers for: a gateway, the uplink or the host-link address. */
    public boolean isLocal(final int address)
    {
        if ((uplinkPort != NONE && address == uplinkIp) || (hostPort != NONE && address == hostLinkIp))
        {
            return true;
        }
        for (final int lanRouterAddress : lanRouterAddresses)
        {
            if (address == lanRouterAddress)
            {
                return true;
            }
        }
        final int domain = domainOf(address);
        return domain != NONE && gatewayIp[domain] == address;
    }

    public int gatewayIp(final int domain)
    {
        return gatewayIp[domain];
    }

    public long gatewayMac(final int domain)
    {
        return gatewayMac[domain];
    }

    public boolean isInternal(final int domain)
    {
        return internal[domain];
    }

    /** A container's (or the host's) address on its port: control-installed, kept until removed. */
    public void putNeighbor(final int address, final int portId, final long mac)
    {
        learned.remove(address);
        endpoints.put(address, neighbor(portId, mac));
    }

    public void removeNeighbor(final int address)
    {
        endpoints.remove(address);
    }

    /**
     * Learns or refreshes a neighbour seen on a routed port; allocation-free, bounded. False when the table is
     * full and the address is new.
     */
    public boolean learnNeighbor(final int address, final int portId, final long mac, final long nowMillis)
    {
        return learned.put(address, neighbor(portId, mac), nowMillis);
    }

    /** An installed endpoint first, else a learned neighbour, else {@link #NO_NEIGHBOR}. */
    public long neighbor(final int address)
    {
        final long endpoint = endpoints.get(address);
        return endpoint != NO_NEIGHBOR ? endpoint : learned.get(address);
    }

    /** True when {@code address} is a control-installed endpoint (a container or the host), not a learned one. */
    public boolean isEndpoint(final int address)
    {
        return endpoints.containsKey(address);
    }

    public boolean isRoutedPort(final int portId)
    {
        return portId >= 0 && portId < routedPort.length && routedPort[portId];
    }

    public void uplink(final int portId, final int address, final int prefixLength, final long mac, final int gateway)
    {
        uplinkPort = portId;
        uplinkIp = address;
        uplinkMask = mask(prefixLength);
        uplinkMac = mac;
        uplinkGateway = gateway;
        routedPort[portId] = true;
    }

    public void hostLink(final int portId, final int ourAddress, final long ourMac, final int hostAddress, final long hostMac)
    {
        hostPort = portId;
        hostLinkIp = ourAddress;
        hostLinkMac = ourMac;
        hostIp = hostAddress;
        routedPort[portId] = true;
        putNeighbor(hostAddress, portId, hostMac);
    }

    public int uplinkPort()
    {
        return uplinkPort;
    }

    public int uplinkIp()
    {
        return uplinkIp;
    }

    public long uplinkMac()
    {
        return uplinkMac;
    }

    /** On the uplink's own subnet: the next hop is the destination itself, else the gateway (0: none given). */
    public int uplinkNextHop(final int destination)
    {
        if ((destination & uplinkMask) == (uplinkIp & uplinkMask))
        {
            return destination;
        }
        return uplinkGateway;
    }

    public int hostPort()
    {
        return hostPort;
    }

    public int hostLinkIp()
    {
        return hostLinkIp;
    }

    public long hostLinkMac()
    {
        return hostLinkMac;
    }

    public int hostIp()
    {
        return hostIp;
    }
}
