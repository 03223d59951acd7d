package io.berth.l3;

import io.berth.dataplane.PortTable;
import org.agrona.collections.Long2LongHashMap;

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
    private int[] domainIds = new int[0];

    private final Long2LongHashMap neighbors = new Long2LongHashMap(NO_NEIGHBOR);
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
        rebuildDomainIds();
    }

    public void removeDomain(final int id)
    {
        present[id] = false;
        rebuildDomainIds();
    }

    private void rebuildDomainIds()
    {
        int n = 0;
        for (final boolean p : present)
        {
            n += p ? 1 : 0;
        }
        final int[] ids = new int[n];
        for (int i = 0, j = 0; i < MAX_DOMAINS; i++)
        {
            if (present[i])
            {
                ids[j++] = i;
            }
        }
        domainIds = ids;
    }

    /** The bridge network whose subnet holds {@code address}, or {@link #NONE}. Subnets never overlap. */
    public int domainOf(final int address)
    {
        final int[] ids = domainIds;
        for (final int id : ids)
        {
            if ((address & mask[id]) == subnet[id])
            {
                return id;
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

    public void putNeighbor(final int address, final int portId, final long mac)
    {
        neighbors.put(address, neighbor(portId, mac));
    }

    public void removeNeighbor(final int address)
    {
        neighbors.remove(address);
    }

    public long neighbor(final int address)
    {
        return neighbors.get(address);
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
