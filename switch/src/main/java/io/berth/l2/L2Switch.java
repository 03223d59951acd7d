package io.berth.l2;

import io.berth.dataplane.PortTable;
import java.util.Arrays;

/**
 * The switch's tables: bridge domains by id, the domain of each port, the MAC table, and the flood lists it
 * keeps in the {@link PortTable} (flood list id = domain id). Owned by the worker thread: the control plane calls
 * the mutators only from inside worker commands.
 */
public final class L2Switch
{
    public static final int MAX_DOMAINS = 4096;
    public static final int DEFAULT_MAC_AGE_SECONDS = 300;
    public static final int DEFAULT_MAX_MACS_PER_PORT = 64;

    private final PortTable ports;
    private final MacTable macs;
    private final BridgeDomain[] domains = new BridgeDomain[MAX_DOMAINS];
    private final int[] portDomain = new int[PortTable.MAX_PORTS];
    private final int macAgeSeconds;

    public L2Switch(final PortTable ports, final int macTableCapacity, final int maxMacsPerPort, final int macAgeSeconds)
    {
        this.ports = ports;
        this.macs = new MacTable(macTableCapacity, maxMacsPerPort, PortTable.MAX_PORTS, MAX_DOMAINS);
        this.macAgeSeconds = macAgeSeconds;
        Arrays.fill(portDomain, -1);
    }

    public L2Switch(final PortTable ports)
    {
        this(ports, 1 << 16, DEFAULT_MAX_MACS_PER_PORT, DEFAULT_MAC_AGE_SECONDS);
    }

    public MacTable macs()
    {
        return macs;
    }

    public int macAgeSeconds()
    {
        return macAgeSeconds;
    }

    public BridgeDomain domain(final int id)
    {
        return id >= 0 && id < MAX_DOMAINS ? domains[id] : null;
    }

    /** The domain a port belongs to, or -1. */
    public int domainOfPort(final int portId)
    {
        return portId >= 0 && portId < portDomain.length ? portDomain[portId] : -1;
    }

    public void addDomain(final BridgeDomain domain)
    {
        if (domain.id() < 0 || domain.id() >= MAX_DOMAINS)
        {
            throw new IllegalArgumentException("bridge domain id " + domain.id() + " outside 0.." + (MAX_DOMAINS - 1));
        }
        if (domains[domain.id()] != null)
        {
            throw new IllegalStateException("bridge domain " + domain.id() + " exists already");
        }
        domains[domain.id()] = domain;
        ports.floodList(domain.id(), domain.members());
    }

    public void removeDomain(final int id)
    {
        final BridgeDomain domain = domain(id);
        if (domain == null)
        {
            return;
        }
        for (final int member : domain.members())
        {
            portDomain[member] = -1;
        }
        macs.removeDomain(id);
        ports.floodList(id, new int[0]);
        domains[id] = null;
    }

    public void addPort(final int portId, final int domainId)
    {
        final BridgeDomain domain = domain(domainId);
        if (domain == null)
        {
            throw new IllegalArgumentException("no bridge domain " + domainId);
        }
        if (portDomain[portId] != -1)
        {
            throw new IllegalStateException("port " + portId + " is in bridge domain " + portDomain[portId] + " already");
        }
        domain.addMember(portId);
        portDomain[portId] = domainId;
        ports.floodList(domainId, domain.members());
    }

    public void removePort(final int portId)
    {
        final int domainId = domainOfPort(portId);
        if (domainId < 0)
        {
            return;
        }
        final BridgeDomain domain = domains[domainId];
        domain.removeMember(portId);
        domain.removeRemotesOn(portId);
        domain.removeLanEndpointsOn(portId);
        if (domain.lanPort() == portId)
        {
            domain.lanPort(MacTable.NO_PORT);
        }
        portDomain[portId] = -1;
        macs.removePort(portId);
        ports.floodList(domainId, domain.members());
    }

    /** The LAN network's port to its parent's LAN: a member whose frames are the LAN's. */
    public void addLanPort(final int portId, final int domainId)
    {
        addPort(portId, domainId);
        domains[domainId].lanPort(portId);
    }

    /** A container of a LAN network, on {@code portId} (a member already), see {@link BridgeDomain#lan}. */
    public void putLanEndpoint(final int domainId, final int portId, final int ip, final long mac)
    {
        final BridgeDomain domain = domain(domainId);
        if (domain == null || domain.mode() == BridgeDomain.MODE_BRIDGE || portDomain[portId] != domainId)
        {
            throw new IllegalArgumentException("port " + portId + " is not in LAN domain " + domainId);
        }
        domain.putLanEndpoint(portId, ip, mac);
    }

    /**
     * A remote endpoint of an overlay network: {@code mac} is behind {@code tunnelPort} (a member of the domain),
     * and ARP for {@code ip} is answered with {@code mac}.
     */
    public void putRemote(final int domainId, final int ip, final long mac, final int tunnelPort)
    {
        final BridgeDomain domain = domain(domainId);
        if (domain == null || portDomain[tunnelPort] != domainId)
        {
            throw new IllegalArgumentException("port " + tunnelPort + " is not in bridge domain " + domainId);
        }
        domain.putRemote(ip, mac, tunnelPort);
    }

    public void removeRemote(final int domainId, final int ip, final long mac)
    {
        final BridgeDomain domain = domain(domainId);
        if (domain != null)
        {
            domain.removeRemote(ip, mac);
        }
    }
}
