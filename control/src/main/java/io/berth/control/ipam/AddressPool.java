package io.berth.control.ipam;

import io.berth.control.error.BerthException;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The addresses of one network: hands out the lowest free address of the ip-range, never the subnet's network or
 * broadcast address nor the gateway, and takes pinned addresses only inside the ip-range too (berth's contract
 * refuses an --ip outside the range, where Docker would accept it). Owned by the control thread.
 */
public final class AddressPool
{
    private final String networkName;
    private final Cidr subnet;
    private final Cidr range;
    private final int gateway;
    private final BitSet used = new BitSet(); // bit = offset of the address within the subnet
    /** Addresses of the host's own inside the subnet (the uplink's, for a network on the uplink's LAN), with what. */
    private final Map<Integer, String> hostAddresses = new HashMap<>();

    /**
     * @param range the ip-range to allocate from; null for the whole subnet. Must lie inside the subnet.
     */
    public AddressPool(final String networkName, final Cidr subnet, final Cidr range, final int gateway)
    {
        this.networkName = networkName;
        this.subnet = subnet;
        this.range = range == null ? subnet : range;
        this.gateway = gateway;
        if (!subnet.contains(this.range))
        {
            throw new IllegalArgumentException(range + " not inside " + subnet);
        }
    }

    /** The lowest free address of the range. Does not take it: call {@link #take(int)} once the change succeeded. */
    public int nextFree()
    {
        final long first = Integer.toUnsignedLong(range.network());
        final long last = Integer.toUnsignedLong(range.last());
        for (long candidate = first; candidate <= last; candidate++)
        {
            final int ip = (int)candidate;
            if (isAssignable(ip) && !isUsed(ip))
            {
                return ip;
            }
        }
        throw new BerthException("no free address left in " + range + " on network " + networkName +
            " (" + used.cardinality() + " in use)");
    }

    /** Checks that a pinned address may be given out: inside the subnet and the range, not reserved, not in use. */
    public void checkPinnable(final int ip)
    {
        checkAssignable(ip);
        if (isUsed(ip))
        {
            throw new BerthException("address " + Ipv4.format(ip) + " is already in use on network " + networkName);
        }
    }

    /** The first address of the range that may be given out. */
    public int firstInRange()
    {
        return range.network();
    }

    public int lastInRange()
    {
        return range.last();
    }

    /** The subnet's network and broadcast addresses and the gateway: never given out. */
    public boolean isReserved(final int ip)
    {
        return !isAssignable(ip);
    }

    /** Like {@link #checkPinnable} without asking whether it is used here (a cluster-wide IPAM asks its store). */
    public void checkAssignable(final int ip)
    {
        final String text = Ipv4.format(ip);
        if (!subnet.contains(ip))
        {
            throw new BerthException("address " + text + " is not inside subnet " + subnet + " of network " +
                networkName);
        }
        if (!range.contains(ip))
        {
            throw new BerthException("address " + text + " is outside the ip-range " + range + " of network " +
                networkName + ": pick one between " + Ipv4.format(Math.max(range.network(), subnet.firstHost())) +
                " and " + Ipv4.format(range.last()));
        }
        if (ip == subnet.network() || ip == subnet.last())
        {
            throw new BerthException("address " + text + " is the " + (ip == subnet.network() ? "network" :
                "broadcast") + " address of " + subnet + "; pick one between " + Ipv4.format(subnet.firstHost()) +
                " and " + Ipv4.format(subnet.last() - 1));
        }
        if (ip == gateway)
        {
            throw new BerthException("address " + text + " is the gateway of network " + networkName);
        }
        if (hostAddresses.containsKey(ip))
        {
            throw new BerthException("address " + text + " is " + hostAddresses.get(ip) + ", on network " +
                networkName + "'s LAN");
        }
    }

    /** {@code ip} belongs to the host ({@code what} it is): never given out. */
    public void reserveForHost(final int ip, final String what)
    {
        if (subnet.contains(ip))
        {
            hostAddresses.put(ip, what);
        }
    }

    public void take(final int ip)
    {
        used.set(offset(ip));
    }

    public void release(final int ip)
    {
        if (subnet.contains(ip))
        {
            used.clear(offset(ip));
        }
    }

    public boolean isUsed(final int ip)
    {
        return subnet.contains(ip) && used.get(offset(ip));
    }

    public int inUse()
    {
        return used.cardinality();
    }

    private boolean isAssignable(final int ip)
    {
        return ip != subnet.network() && ip != subnet.last() && ip != gateway && !hostAddresses.containsKey(ip);
    }

    private int offset(final int ip)
    {
        return ip - subnet.network();
    }
}
