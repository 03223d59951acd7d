package io.berth.l2;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * One network's L2 segment: its member ports, its gateway (owned by the dataplane) and whether containers may
 * talk to each other. An overlay network also has remote endpoints, installed by the control plane from the store
 * as Docker's overlay installs static neighbour and FDB entries: their MAC is behind a tunnel port (a static MAC
 * entry, never aged or moved by learning), and ARP requests for their address are answered here with their MAC
 * (proxy ARP), so neither floods across the underlay. Written by the worker thread only (through {@link L2Switch}).
 */
public final class BridgeDomain
{
    private final int id;
    private final int gatewayIp;
    private final long gatewayMac;
    private final boolean interContainer;
    private int[] members = new int[0];
    /** Remote endpoint MAC -> tunnel port. */
    private final Long2LongHashMap staticPorts = new Long2LongHashMap(64, 0.5f, MacTable.NO_PORT);
    /** Remote endpoint address -> its MAC, for proxy ARP. */
    private final Long2LongHashMap proxyArp = new Long2LongHashMap(64, 0.5f, NO_MAC);

    public static final long NO_MAC = -1;

    public BridgeDomain(final int id, final int gatewayIp, final long gatewayMac, final boolean interContainer)
    {
        this.id = id;
        this.gatewayIp = gatewayIp;
        this.gatewayMac = gatewayMac;
        this.interContainer = interContainer;
    }

    public int id()
    {
        return id;
    }

    public int gatewayIp()
    {
        return gatewayIp;
    }

    public long gatewayMac()
    {
        return gatewayMac;
    }

    /** icc: false means no frame passes between two ports of this domain; the gateway stays reachable. */
    public boolean interContainer()
    {
        return interContainer;
    }

    public int[] members()
    {
        return members;
    }

    /** The tunnel port a remote endpoint's MAC is behind, or {@link MacTable#NO_PORT}. Allocation-free. */
    public int staticPort(final long mac)
    {
        return (int)staticPorts.get(mac);
    }

    /** The MAC of a remote endpoint with {@code ip}, or {@link #NO_MAC}. Allocation-free. */
    public long proxyArpMac(final int ip)
    {
        return proxyArp.get(ip & 0xFFFF_FFFFL);
    }

    void putRemote(final int ip, final long mac, final int tunnelPort)
    {
        staticPorts.put(mac, tunnelPort);
        proxyArp.put(ip & 0xFFFF_FFFFL, mac);
    }

    void removeRemote(final int ip, final long mac)
    {
        staticPorts.remove(mac);
        proxyArp.remove(ip & 0xFFFF_FFFFL);
    }

    /** Forgets the remote endpoints behind a tunnel port that goes away. */
    void removeRemotesOn(final int tunnelPort)
    {
        final Long2LongHashMap.KeyIterator macs = staticPorts.keySet().iterator();
        while (macs.hasNext())
        {
            final long mac = macs.nextValue();
            if (staticPorts.get(mac) == tunnelPort)
            {
                macs.remove();
                final Long2LongHashMap.KeyIterator ips = proxyArp.keySet().iterator();
                while (ips.hasNext())
                {
                    if (proxyArp.get(ips.nextValue()) == mac)
                    {
                        ips.remove();
                    }
                }
            }
        }
    }

    void addMember(final int portId)
    {
        members = Arrays.copyOf(members, members.length + 1);
        members[members.length - 1] = portId;
    }

    void removeMember(final int portId)
    {
        members = Arrays.stream(members).filter(p -> p != portId).toArray();
    }
}
