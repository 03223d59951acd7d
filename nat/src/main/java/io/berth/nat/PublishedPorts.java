package io.berth.nat;

import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.collections.Long2LongHashMap;
import io.berth.conntrack.Tuples;

/**
 * Published ports: (host address, protocol, host port) -> (container address, container port), one hash lookup
 * whatever the number published (iptables walks a DNAT chain rule by rule). A mapping on {@link #ANY_ADDRESS}
 * (published on every host address) is looked up after the exact one.
 * <pre>
 *  key:    63        32 31    24 23    16 15      0       value:  63        32 31    16 15      0
 *         +------------+--------+--------+---------+              +------------+--------+---------+
 *         | host addr  |   0    | proto  |  port   |              | cont. addr |   0    |  port   |
 *         +------------+--------+--------+---------+              +------------+--------+---------+
 * </pre>
 * A host (protocol, port) is either published on every address or on specific ones, never both, and never twice
 * for one address: {@link #publish} refuses and changes nothing. Lookups are allocation-free; changes may grow
 * the maps. Owned by the worker thread: the control plane's changes come as commands it runs.
 */
public final class PublishedPorts
{
    public static final int ANY_ADDRESS = 0;
    public static final long NONE = -1;

    private final Long2LongHashMap targets = new Long2LongHashMap(1024, 0.5f, NONE);
    /** (protocol, port) -> how many specific addresses publish it, so a wildcard conflict is one lookup too. */
    private final Long2LongHashMap specificCount = new Long2LongHashMap(1024, 0.5f, 0);
    /**
     * The reverse: (container address, protocol, container port) -> the one host key published onto it, or
     * {@link #AMBIGUOUS} when several are (-p 8080:80 -p 8081:80): mid-stream pickup of a reply needs it.
     */
    private final Long2LongHashMap insideEnds = new Long2LongHashMap(1024, 0.5f, NONE);
    private static final long AMBIGUOUS = -2;

    public static long key(final int hostAddress, final int protocol, final int hostPort)
    {
        return ((long)hostAddress << 32) | ((protocol & 0xFF) << 16) | (hostPort & 0xFFFF);
    }

    public static int targetAddress(final long target)
    {
        return (int)(target >>> 32);
    }

    public static int targetPort(final long target)
    {
        return (int)target & 0xFFFF;
    }

    /** The target of a packet to hostAddress:hostPort, or {@link #NONE}. O(1), allocation-free. */
    public long lookup(final int hostAddress, final int protocol, final int hostPort)
    {
        final long exact = targets.get(key(hostAddress, protocol, hostPort));
        return exact != NONE ? exact : targets.get(key(ANY_ADDRESS, protocol, hostPort));
    }

    /**
     * The host key (see {@link #key}) published onto containerAddress:containerPort, or {@link #NONE} when none
     * or several are. O(1), allocation-free.
     */
    public long publishedOnto(final int containerAddress, final int protocol, final int containerPort)
    {
        final long hostKey = insideEnds.get(key(containerAddress, protocol, containerPort));
        return hostKey == AMBIGUOUS ? NONE : hostKey;
    }

    /** Whether some host port is published onto containerAddress:containerPort. O(1), allocation-free. */
    public boolean isInsideEnd(final int containerAddress, final int protocol, final int containerPort)
    {
        return insideEnds.containsKey(key(containerAddress, protocol, containerPort));
    }

    public static int hostAddress(final long key)
    {
        return (int)(key >>> 32);
    }

    public static int hostPort(final long key)
    {
        return (int)key & 0xFFFF;
    }

    /** Publishes one port; false, changing nothing, when the host port is taken (on that or every address). */
    public boolean publish(final int hostAddress, final int protocol, final int hostPort, final int containerAddress, final int containerPort)
    {
        return publishRange(hostAddress, protocol, hostPort, hostPort, containerAddress, containerPort);
    }

    /** Publishes hostLow..hostHigh onto containerLow.. all or nothing. */
    public boolean publishRange(
        final int hostAddress, final int protocol, final int hostLow, final int hostHigh, final int containerAddress, final int containerLow)
    {
        if (hostLow < 1 || hostHigh > 65535 || hostLow > hostHigh || containerLow < 1 || containerLow + (hostHigh - hostLow) > 65535)
        {
            throw new IllegalArgumentException("ports must be 1-65535 with ranges of equal length");
        }
        for (int port = hostLow; port <= hostHigh; port++)
        {
            if (isTaken(hostAddress, protocol, port))
            {
                return false;
            }
        }
        for (int port = hostLow; port <= hostHigh; port++)
        {
            final long hostKey = key(hostAddress, protocol, port);
            targets.put(hostKey, ((long)containerAddress << 32) | (containerLow + port - hostLow));
            addInsideEnd(key(containerAddress, protocol, containerLow + port - hostLow), hostKey);
            if (hostAddress != ANY_ADDRESS)
            {
                final long pp = key(ANY_ADDRESS, protocol, port);
                specificCount.put(pp, specificCount.get(pp) + 1);
            }
        }
        return true;
    }

    /** Whether a new mapping of this host port would conflict. */
    public boolean isTaken(final int hostAddress, final int protocol, final int hostPort)
    {
        final long wildcard = key(ANY_ADDRESS, protocol, hostPort);
        if (targets.containsKey(wildcard))
        {
            return true;
        }
        return hostAddress == ANY_ADDRESS ? specificCount.get(wildcard) > 0 : targets.containsKey(key(hostAddress, protocol, hostPort));
    }

    /** Removes one mapping; false when there was none. Existing connections keep their translation. */
    public boolean unpublish(final int hostAddress, final int protocol, final int hostPort)
    {
        if (targets.remove(key(hostAddress, protocol, hostPort)) == NONE)
        {
            return false;
        }
        rebuildInsideEnds(); // rare, and a removal may turn an ambiguous inside end unique again
        if (hostAddress != ANY_ADDRESS)
        {
            final long pp = key(ANY_ADDRESS, protocol, hostPort);
            final long left = specificCount.get(pp) - 1;
            if (left == 0)
            {
                specificCount.remove(pp);
            }
            else
            {
                specificCount.put(pp, left);
            }
        }
        return true;
    }

    private void addInsideEnd(final long insideKey, final long hostKey)
    {
        insideEnds.put(insideKey, insideEnds.get(insideKey) == NONE ? hostKey : AMBIGUOUS);
    }

    private void rebuildInsideEnds()
    {
        insideEnds.clear();
        for (final Long2LongHashMap.EntryIterator it = targets.entrySet().iterator(); it.hasNext(); )
        {
            it.next();
            final long hostKey = it.getLongKey();
            final long target = it.getLongValue();
            addInsideEnd(key(targetAddress(target), (int)(hostKey >>> 16) & 0xFF, targetPort(target)), hostKey);
        }
    }

    public int size()
    {
        return targets.size();
    }

    /** "tcp 0.0.0.0:8080 -> 172.17.0.2:80" for a key and its target. Allocates: control plane. */
    public static String format(final long key, final long target)
    {
        return Tuples.protocolName((int)(key >>> 16) & 0xFF) + ' '
            + Ipv4Flyweight.format((int)(key >>> 32)) + ':' + (key & 0xFFFF) + " -> "
            + Ipv4Flyweight.format(targetAddress(target)) + ':' + targetPort(target);
    }
}
