package io.berth.vxlan;

import org.agrona.collections.Int2IntHashMap;
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
    private int localVtep;
    private int udpPort = io.berth.dataplane.flyweight.VxlanFlyweight.IANA_PORT;

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

    public void addNetwork(final int vni, final int domain)
    {
        domainByVni.put(vni, domain);
    }

    public void removeNetwork(final int vni)
    {
        domainByVni.remove(vni);
    }

    public void addTunnel(final int vni, final int remoteVtep, final int tunnelPort)
    {
        portByVtep.put(key(vni, remoteVtep), tunnelPort);
        vniByTunnelPort.put(tunnelPort, vni);
    }

    public void removeTunnel(final int vni, final int remoteVtep)
    {
        final long port = portByVtep.remove(key(vni, remoteVtep));
        if (port != NONE)
        {
            vniByTunnelPort.remove((int)port);
        }
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
