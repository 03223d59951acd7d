package io.berth.l2;

import io.berth.dataplane.PortTable;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * What each container port may claim to be: its own MAC and, on its network, its own IPv4 address and IPv6
 * addresses (OVS port security, the CNI {@code macspoofchk}). A bound port may send only frames from its MAC, ARP whose sender is its
 * MAC and address, and IPv4 from its address; and no port, bound or not (a future parent or tunnel port), may
 * send from a MAC that belongs to a bound port, so the MAC table never moves such a MAC away from its owner.
 * <pre>
 *   per port id:  bound[p]   mac[p] (48 bits)   ip[p]
 *   owners:       MacTable.key(domain, mac) -> port id, for every bound port's MAC
 * </pre>
 * Owned by the worker thread; changed through {@link L2Commands}.
 */
public final class PortSecurity
{
    public static final int NO_OWNER = -1;

    private final boolean[] bound = new boolean[PortTable.MAX_PORTS];
    private final long[] mac = new long[PortTable.MAX_PORTS];
    private final int[] ip = new int[PortTable.MAX_PORTS];
    private final int[] domain = new int[PortTable.MAX_PORTS];
    /** A port's global IPv6 address (0, 0 for none): its link-local one is derived from its MAC. */
    private final long[] ip6Hi = new long[PortTable.MAX_PORTS];
    private final long[] ip6Lo = new long[PortTable.MAX_PORTS];
    private final long[] linkLocal6 = new long[PortTable.MAX_PORTS];
    private final boolean[] ownsMacOf = new boolean[PortTable.MAX_PORTS];
    private final Long2LongHashMap owners = new Long2LongHashMap(NO_OWNER);
    /** MacTable.key(domain, address) -> port id, for every bound port's address: no tunnel may claim one. */
    private final Long2LongHashMap addressOwners = new Long2LongHashMap(NO_OWNER);

    public PortSecurity()
    {
        Arrays.fill(domain, -1);
    }

    /** Control command: {@code port} on {@code domainId} is {@code portMac} with {@code portIp}. */
    public void bind(final int port, final int domainId, final long portMac, final int portIp)
    {
        bind(port, domainId, portMac, portIp, true);
    }

    /**
     * @param ownsMac false for a MAC several ports share (ipvlan: the parent's): the port may send only from it,
     *                but nobody else is kept from it.
     */
    public void bind(final int port, final int domainId, final long portMac, final int portIp, final boolean ownsMac)
    {
        unbind(port);
        bound[port] = true;
        mac[port] = portMac;
        ip[port] = portIp;
        domain[port] = domainId;
        ownsMacOf[port] = ownsMac;
        if (ownsMac)
        {
            owners.put(MacTable.key(domainId, portMac), port);
        }
        if (portIp != 0)
        {
            addressOwners.put(MacTable.key(domainId, portIp & 0xFFFF_FFFFL), port);
        }
    }

    /** Control command: the port goes (or is no longer a container's). */
    public void unbind(final int port)
    {
        if (bound[port])
        {
            if (ownsMacOf[port])
            {
                owners.remove(MacTable.key(domain[port], mac[port]));
            }
            final long addressKey = MacTable.key(domain[port], ip[port] & 0xFFFF_FFFFL);
            if (addressOwners.get(addressKey) == port)
            {
                addressOwners.remove(addressKey);
            }
            bound[port] = false;
            domain[port] = -1;
            ip6Hi[port] = 0;
            ip6Lo[port] = 0;
            linkLocal6[port] = 0;
        }
    }

    public boolean isBound(final int port)
    {
        return port >= 0 && port < bound.length && bound[port];
    }

    public long mac(final int port)
    {
        return mac[port];
    }

    public int ip(final int port)
    {
        return ip[port];
    }

    /** Control command: the bound {@code port}'s global IPv6 address (its link-local one comes from its MAC). */
    public void bindIpv6(final int port, final long hi, final long lo)
    {
        bindIpv6(port, hi, lo, 0);
    }

    /**
     * Control command: the bound {@code port}'s global IPv6 address and its link-local address's interface id,
     * when that is not its MAC's EUI-64 (ipvlan: the MAC is shared), else 0.
     */
    public void bindIpv6(final int port, final long hi, final long lo, final long linkLocal)
    {
        ip6Hi[port] = hi;
        ip6Lo[port] = lo;
        linkLocal6[port] = linkLocal;
    }

    /** The port's link-local interface id berth gave it, or 0: its MAC's EUI-64. */
    public long linkLocal6(final int port)
    {
        return linkLocal6[port];
    }

    public long ip6Hi(final int port)
    {
        return ip6Hi[port];
    }

    public long ip6Lo(final int port)
    {
        return ip6Lo[port];
    }

    /** The bound port whose MAC {@code sourceMac} is on {@code domainId}, or {@link #NO_OWNER}. */
    public int owner(final int domainId, final long sourceMac)
    {
        return owners.isEmpty() ? NO_OWNER : (int)owners.get(MacTable.key(domainId, sourceMac));
    }

    /** The bound port with {@code address} on {@code domainId}, or {@link #NO_OWNER}. Allocation-free. */
    public int addressOwner(final int domainId, final int address)
    {
        return addressOwners.isEmpty() ? NO_OWNER : (int)addressOwners.get(MacTable.key(domainId, address & 0xFFFF_FFFFL));
    }

    public int boundPorts()
    {
        return owners.size();
    }
}
