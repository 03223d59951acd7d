package io.berth.vxlan;

import io.berth.dataplane.flyweight.VxlanFlyweight;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;

/**
 * Which overlay network a VNI is, and which tunnel port stands for each remote VTEP of it: the decapsulation
 * stage's two lookups, and the split-horizon test of the tunnel ports.
 * <pre>
 *  vni -> bridge domain                      unknown: VXLAN_UNKNOWN_VNI
 *  (vni << 32 | remote VTEP) -> tunnel port  unknown: VXLAN_UNKNOWN_SOURCE (neither a store host nor a peer)
 * </pre>
 * Owned by the worker thread; the control plane changes it through commands. Lookups allocate nothing.
 */
public final class VxlanTunnels
{
    public static final int NONE = -1;

    private final Int2IntHashMap domainByVni = new Int2IntHashMap(256, 0.5f, NONE);
    private final Long2LongHashMap portByVtep = new Long2LongHashMap(1024, 0.5f, NONE);
    private final Int2IntHashMap vniByTunnelPort = new Int2IntHashMap(1024, 0.5f, NONE);
    private final Int2IntHashMap portByVni = new Int2IntHashMap(256, 0.5f, NONE);
    /** Remote VTEP -> how many tunnels lead to it: the addresses a container may not send tunnel traffic to. */
    private final Int2IntHashMap tunnelsByVtep = new Int2IntHashMap(64, 0.5f, 0);
    /** VNIs of encrypted networks: their datagrams are taken only out of WireGuard. */
    private final IntHashSet encryptedVnis = new IntHashSet();
    private int localVtep;
    private int udpPort = VxlanFlyweight.IANA_PORT;
    /** A second port some network uses (Linux's 8472), else the same as {@link #udpPort}. */
    private int otherUdpPort = udpPort;

    /** This host's VTEP address (its uplink address) and the UDP port it listens on. */
    public void local(final int vtep, final int port)
    {
        localVtep = vtep;
        udpPort = port;
    }

    public int localVtep()
    {
        return localVtep;
    }

    public int udpPort()
    {
        return udpPort;
    }

    /** The second port datagrams are taken on (see {@link #addNetwork(int, int, int)}). */
    public int otherUdpPort()
    {
        return otherUdpPort;
    }

    public void addNetwork(final int vni, final int domain)
    {
        domainByVni.put(vni, domain);
    }

    /**
     * A network whose tunnels use {@code port}: sent to that port, and taken on it. A VTEP listens on its own port
     * and on one other (4789 and 8472 side by side); a third is refused.
     */
    public void addNetwork(final int vni, final int domain, final int port)
    {
        if (port != udpPort && port != otherUdpPort && otherUdpPort != udpPort)
        {
            throw new IllegalArgumentException("this VTEP listens on UDP " + udpPort + " and " + otherUdpPort +
                " already; VXLAN port " + port + " would be a third");
        }
        if (port != udpPort)
        {
            otherUdpPort = port;
        }
        domainByVni.put(vni, domain);
        portByVni.put(vni, port);
    }

    /** Whether {@code vni}'s datagrams must come sealed (an encrypted network). */
    public void encrypted(final int vni, final boolean encrypted)
    {
        if (encrypted)
        {
            encryptedVnis.add(vni);
        }
        else
        {
            encryptedVnis.remove(vni);
        }
    }

    public boolean encrypted(final int vni)
    {
        return !encryptedVnis.isEmpty() && encryptedVnis.contains(vni);
    }

    public void removeNetwork(final int vni)
    {
        encryptedVnis.remove(vni);
        domainByVni.remove(vni);
        portByVni.remove(vni);
        if (otherUdpPort != udpPort && !portByVni.containsValue(otherUdpPort))
        {
            otherUdpPort = udpPort;
        }
    }

    /** The UDP port datagrams of {@code vni} are sent to. */
    public int udpPortOf(final int vni)
    {
        final int port = portByVni.get(vni);
        return port == NONE ? udpPort : port;
    }

    public void addTunnel(final int vni, final int remoteVtep, final int tunnelPort)
    {
        if (portByVtep.put(key(vni, remoteVtep), tunnelPort) == NONE)
        {
            tunnelsByVtep.put(remoteVtep, tunnelsByVtep.get(remoteVtep) + 1);
        }
        vniByTunnelPort.put(tunnelPort, vni);
    }

    public void removeTunnel(final int vni, final int remoteVtep)
    {
        final long port = portByVtep.remove(key(vni, remoteVtep));
        if (port != NONE)
        {
            vniByTunnelPort.remove((int)port);
            final int left = tunnelsByVtep.get(remoteVtep) - 1;
            if (left > 0)
            {
                tunnelsByVtep.put(remoteVtep, left);
            }
            else
            {
                tunnelsByVtep.remove(remoteVtep);
            }
        }
    }

    /**
     * Whether {@code address} is a VTEP this host knows (its own, a store host's or a listed peer's) while any
     * overlay is here: a datagram to its tunnel port could be taken for tunnel traffic. Allocation-free.
     */
    public boolean isKnownVtep(final int address)
    {
        return address != 0 && (address == localVtep || tunnelsByVtep.containsKey(address));
    }

    /** Whether {@code port} is a UDP port VXLAN is taken on here (and so sent to by the peers). */
    public boolean isTunnelUdpPort(final int port)
    {
        return port == udpPort || port == otherUdpPort;
    }

    /** Whether any overlay network is here: until then vxlan-decap lets everything pass. */
    public boolean active()
    {
        return localVtep != 0 && !domainByVni.isEmpty();
    }

    /** The bridge domain of {@code vni}, or {@link #NONE}. */
    public int domainOf(final int vni)
    {
        return domainByVni.get(vni);
    }

    /** The tunnel port for {@code remoteVtep} on {@code vni}, or {@link #NONE}. */
    public int tunnelPort(final int vni, final int remoteVtep)
    {
        return (int)portByVtep.get(key(vni, remoteVtep));
    }

    /** Whether {@code portId} is a tunnel port: frames from one are never sent into another (split horizon). */
    public boolean isTunnelPort(final int portId)
    {
        return vniByTunnelPort.containsKey(portId);
    }

    private static long key(final int vni, final int vtep)
    {
        return ((long)vni << 32) | (vtep & 0xFFFF_FFFFL);
    }
}
