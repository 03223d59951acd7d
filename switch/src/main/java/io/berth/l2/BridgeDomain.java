package io.berth.l2;

import org.agrona.collections.Int2IntHashMap;
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
    /** A bridge or overlay network: MAC learning, flooding, the gateway answered here. */
    public static final int MODE_BRIDGE = 0;
    /**
     * A macvlan network: containers with MACs of their own on a parent's LAN. Nothing is learned: a container's
     * MAC is a static entry, everything else is the LAN's (sent to the LAN port; from the LAN, not for us).
     */
    public static final int MODE_MACVLAN = 1;
    /** An ipvlan L2 network: every container has the parent's MAC; frames to that MAC are delivered by address. */
    public static final int MODE_IPVLAN_L2 = 2;
    /**
     * An ipvlan L3 network: containers (NOARP, the parent's MAC) send everything to their own MAC, which is the
     * domain's gateway MAC; it is all routed, and broadcasts go nowhere. No LAN port is a member: the LAN is routed.
     */
    public static final int MODE_IPVLAN_L3 = 3;

    private final int id;
    private final int gatewayIp;
    private final long gatewayMac;
    private final boolean interContainer;
    private final int mode;
    private final boolean answersEcho;
    private final long lanMac;
    private int lanPort = MacTable.NO_PORT;
    /** ipvlan: container address -> its port. */
    private final Long2LongHashMap portByAddress = new Long2LongHashMap(16, 0.5f, MacTable.NO_PORT);
    private int[] members = new int[0];
    /** Remote endpoint MAC -> tunnel port. */
    private final Long2LongHashMap staticPorts = new Long2LongHashMap(64, 0.5f, MacTable.NO_PORT);
    /** Remote endpoint address -> its MAC, for proxy ARP. */
    private final Long2LongHashMap proxyArp = new Long2LongHashMap(64, 0.5f, NO_MAC);
    /** Tunnel port -> how many store endpoints are behind it: a store host's tunnel is held to exactly those. */
    private final Int2IntHashMap remotesByTunnel = new Int2IntHashMap(16, 0.5f, 0);

    public static final long NO_MAC = -1;

    public BridgeDomain(final int id, final int gatewayIp, final long gatewayMac, final boolean interContainer)
    {
        this(id, gatewayIp, gatewayMac, interContainer, MODE_BRIDGE, NO_MAC);
    }

    /**
     * A LAN network (macvlan, ipvlan): its gateway is a router on the LAN, not berth, so the address answered here
     * ({@code hostIp}, with {@code hostMac}) is the host's, reached through berth: ARP from containers for it is
     * answered, and what they send to it is routed to the host link, never answered here.
     *
     * @param lanMac ipvlan: the parent's MAC, which every container has; macvlan: {@link #NO_MAC}.
     */
    public static BridgeDomain lan(final int id, final int mode, final int hostIp, final long hostMac,
        final long lanMac, final boolean interContainer)
    {
        if (mode != MODE_MACVLAN && mode != MODE_IPVLAN_L2 && mode != MODE_IPVLAN_L3)
        {
            throw new IllegalArgumentException("not a LAN mode: " + mode);
        }
        return new BridgeDomain(id, hostIp, hostMac, interContainer, mode, lanMac);
    }

    private BridgeDomain(final int id, final int gatewayIp, final long gatewayMac, final boolean interContainer,
        final int mode, final long lanMac)
    {
        this.id = id;
        this.gatewayIp = gatewayIp;
        this.gatewayMac = gatewayMac;
        this.interContainer = interContainer;
        this.mode = mode;
        this.answersEcho = mode == MODE_BRIDGE;
        this.lanMac = lanMac;
    }

    public int mode()
    {
        return mode;
    }

    /** A dual-stack network's IPv6 gateway address (0, 0 for none): the gateway answers NS and ping for it. */
    private long gateway6Hi;
    private long gateway6Lo;

    private long prefix6Hi;
    private int prefix6Length;
    private int network4;
    private boolean advertises;

    /**
     * Control command (worker thread): the IPv6 gateway address (0, 0 for none), the prefix (its upper 64 bits and
     * length, for Router Advertisements) and whether the gateway answers Router Solicitations.
     */
    public void ipv6(final long gatewayHi, final long gatewayLo, final long prefixHi, final int prefixLength,
        final int ipv4Network, final boolean advertise)
    {
        network4 = ipv4Network;
        gateway6Hi = gatewayHi;
        gateway6Lo = gatewayLo;
        prefix6Hi = prefixHi;
        prefix6Length = prefixLength;
        advertises = advertise;
    }

    public long prefix6Hi()
    {
        return prefix6Hi;
    }

    public int prefix6Length()
    {
        return prefix6Length;
    }

    /**
     * The IPv4 address whose host part an IPv6 address of this network has (a container's IPv6 address is the
     * prefix with its IPv4 host part), or 0 when it is not in the prefix or past the IPv4 subnet's host range.
     */
    public int ipv4Of(final long hi, final long lo)
    {
        if (prefix6Length == 0 || hi != prefix6Hi || lo < 0 || lo > 0xFFFF_FFFFL)
        {
            return 0;
        }
        return network4 + (int)lo;
    }

    /** ipv6.ra=true: Router Solicitations are answered. */
    public boolean advertises()
    {
        return advertises;
    }

    public long gateway6Hi()
    {
        return gateway6Hi;
    }

    public long gateway6Lo()
    {
        return gateway6Lo;
    }

    /** False for LAN networks: a ping to the host address they answer ARP for is the host's to answer. */
    public boolean answersEcho()
    {
        return answersEcho;
    }

    /** ipvlan: the parent's MAC, every container's; else {@link #NO_MAC}. */
    public long lanMac()
    {
        return lanMac;
    }

    /** The port to the parent's LAN, or {@link MacTable#NO_PORT} (none: an internal LAN network). */
    public int lanPort()
    {
        return lanPort;
    }

    /** ipvlan: the container port with {@code address}, or {@link MacTable#NO_PORT}. Allocation-free. */
    public int portByAddress(final int address)
    {
        return (int)portByAddress.get(address & 0xFFFF_FFFFL);
    }

    void lanPort(final int port)
    {
        lanPort = port;
    }

    /**
     * A container of a LAN network: macvlan, its MAC is a static entry on its port; ipvlan, its address is
     * delivered to its port and ARP for it is answered with the parent's MAC (which is also the container's).
     */
    void putLanEndpoint(final int port, final int ip, final long mac)
    {
        if (mode == MODE_MACVLAN)
        {
            staticPorts.put(mac, port);
        }
        else if (mode == MODE_IPVLAN_L2)
        {
            portByAddress.put(ip & 0xFFFF_FFFFL, port);
            proxyArp.put(ip & 0xFFFF_FFFFL, lanMac);
        }
    }

    /** Forgets what {@link #putLanEndpoint} said about the port. */
    void removeLanEndpointsOn(final int port)
    {
        if (mode == MODE_MACVLAN)
        {
            final Long2LongHashMap.KeyIterator macs = staticPorts.keySet().iterator();
            while (macs.hasNext())
            {
                if (staticPorts.get(macs.nextValue()) == port)
                {
                    macs.remove();
                }
            }
            return;
        }
        final Long2LongHashMap.KeyIterator addresses = portByAddress.keySet().iterator();
        while (addresses.hasNext())
        {
            final long address = addresses.nextValue();
            if (portByAddress.get(address) == port)
            {
                addresses.remove();
                proxyArp.remove(address);
            }
        }
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

    /**
     * How many store endpoints are behind {@code tunnelPort}: more than none makes it a store host's tunnel, whose
     * frames must come from those endpoints; none, a listed peer's, which is learned. Allocation-free.
     */
    public int remotesOn(final int tunnelPort)
    {
        return remotesByTunnel.get(tunnelPort);
    }

    void putRemote(final int ip, final long mac, final int tunnelPort)
    {
        final long before = staticPorts.put(mac, tunnelPort);
        if (before != MacTable.NO_PORT)
        {
            uncount((int)before);
        }
        remotesByTunnel.put(tunnelPort, remotesByTunnel.get(tunnelPort) + 1);
        proxyArp.put(ip & 0xFFFF_FFFFL, mac);
    }

    void removeRemote(final int ip, final long mac)
    {
        final long port = staticPorts.remove(mac);
        if (port != MacTable.NO_PORT)
        {
            uncount((int)port);
        }
        proxyArp.remove(ip & 0xFFFF_FFFFL);
    }

    private void uncount(final int tunnelPort)
    {
        final int left = remotesByTunnel.get(tunnelPort) - 1;
        if (left > 0)
        {
            remotesByTunnel.put(tunnelPort, left);
        }
        else
        {
            remotesByTunnel.remove(tunnelPort);
        }
    }

    /** Forgets the remote endpoints behind a tunnel port that goes away. */
    void removeRemotesOn(final int tunnelPort)
    {
        remotesByTunnel.remove(tunnelPort);
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
