package io.berth.l2;

import java.util.Arrays;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Learned MACs of every bridge domain in one open-addressing table: key = (domain + 1) << 48 | MAC in a
 * {@code long} (VPP's l2_fib packs bridge domain and MAC the same way), value = port id and the second it was
 * last seen. Linear probing with backward-shift deletion, so there are no tombstones and lookups stay short.
 * <p>
 * Owned by the worker thread: single writer, no locks, no allocation after construction.
 */
public final class MacTable
{
    public static final int NO_PORT = -1;
    /** Learning refused: the port already has {@link #maxMacsPerPort()} MACs. */
    public static final int LEARN_LIMITED = -2;
    /** Learning refused: the table is at its load limit. */
    public static final int LEARN_FULL = -3;

    private static final long EMPTY = 0;

    private final long[] keys;
    private final int[] ports;
    private final int[] lastSeen;
    private final int mask;
    private final int maxEntries;
    private final int maxMacsPerPort;
    private final int[] macsPerPort;
    private final int[] macsPerDomain;
    private int size;
    private int agingCursor;
    /** Bumped whenever an entry moves or goes, so per-stage lookup caches know to forget. */
    private long generation;

    /**
     * @param capacity       slots, a power of two; at most half are filled.
     * @param maxMacsPerPort learned MACs allowed per port.
     * @param maxPorts       port ids are below this.
     * @param maxDomains     domain ids are below this.
     */
    public MacTable(final int capacity, final int maxMacsPerPort, final int maxPorts, final int maxDomains)
    {
        if (Integer.bitCount(capacity) != 1 || capacity < 16)
        {
            throw new IllegalArgumentException("MAC table capacity must be a power of two >= 16, got " + capacity);
        }
        this.keys = new long[capacity];
        this.ports = new int[capacity];
        this.lastSeen = new int[capacity];
        this.mask = capacity - 1;
        this.maxEntries = capacity / 2;
        this.maxMacsPerPort = maxMacsPerPort;
        this.macsPerPort = new int[maxPorts];
        this.macsPerDomain = new int[maxDomains];
    }

    public static long key(final int domain, final long mac)
    {
        return ((long)(domain + 1) << 48) | (mac & 0xFFFF_FFFF_FFFFL);
    }

    private static int domainOf(final long key)
    {
        return (int)(key >>> 48) - 1;
    }

    private int slotOf(final long key)
    {
        long h = key * 0x9E37_79B9_7F4A_7C15L; // Fibonacci hashing spreads the sequential MACs Docker hands out
        return (int)(h >>> 40) & mask;
    }

    /** The port a MAC was learned on in a domain, or {@link #NO_PORT}. */
    public int lookup(final int domain, final long mac)
    {
        final long key = key(domain, mac);
        for (int slot = slotOf(key); ; slot = (slot + 1) & mask)
        {
            final long k = keys[slot];
            if (k == key)
            {
                return ports[slot];
            }
            if (k == EMPTY)
            {
                return NO_PORT;
            }
        }
    }

    /**
     * Records that {@code mac} was seen on {@code port} at {@code nowSeconds}; moves it when it changed port.
     *
     * @return the port it was on before ({@link #NO_PORT} if new, {@code port} if unchanged), or
     * {@link #LEARN_LIMITED} / {@link #LEARN_FULL} when refused.
     */
    public int learn(final int domain, final long mac, final int port, final int nowSeconds)
    {
        final long key = key(domain, mac);
        int slot = slotOf(key);
        for (; ; slot = (slot + 1) & mask)
        {
            final long k = keys[slot];
            if (k == key)
            {
                final int previous = ports[slot];
                if (lastSeen[slot] != nowSeconds)
                {
                    lastSeen[slot] = nowSeconds;
                }
                if (previous != port)
                {
                    if (macsPerPort[port] >= maxMacsPerPort)
                    {
                        return LEARN_LIMITED;
                    }
                    macsPerPort[previous]--;
                    macsPerPort[port]++;
                    ports[slot] = port;
                    generation++;
                }
                return previous;
            }
            if (k == EMPTY)
            {
                break;
            }
        }
        if (macsPerPort[port] >= maxMacsPerPort)
        {
            return LEARN_LIMITED;
        }
        if (size >= maxEntries)
        {
            return LEARN_FULL;
        }
        keys[slot] = key;
        ports[slot] = port;
        lastSeen[slot] = nowSeconds;
        macsPerPort[port]++;
        PER_DOMAIN.setRelease(macsPerDomain, domain, macsPerDomain[domain] + 1);
        size++;
        return NO_PORT;
    }

    /** Forgets every MAC learned on a port (the port went away). Control-path cost: one pass. */
    public int removePort(final int port)
    {
        int removed = 0;
        for (int slot = 0; slot <= mask; )
        {
            if (keys[slot] != EMPTY && ports[slot] == port)
            {
                removeAt(slot);
                removed++;
                // the shift may have pulled another candidate into this slot: look at it again
            }
            else
            {
                slot++;
            }
        }
        return removed;
    }

    /** Forgets every MAC of a domain (the network went away). */
    public int removeDomain(final int domain)
    {
        int removed = 0;
        for (int slot = 0; slot <= mask; )
        {
            if (keys[slot] != EMPTY && domainOf(keys[slot]) == domain)
            {
                removeAt(slot);
                removed++;
            }
            else
            {
                slot++;
            }
        }
        return removed;
    }

    /**
     * Ages out entries not seen for {@code maxAgeSeconds}, looking at no more than {@code slotBudget} slots from
     * where the last call stopped: bounded work per duty cycle, never a full scan on the packet path.
     *
     * @return slots examined.
     */
    public int age(final int nowSeconds, final int maxAgeSeconds, final int slotBudget)
    {
        int examined = 0;
        while (examined < slotBudget)
        {
            final int slot = agingCursor;
            if (keys[slot] != EMPTY && nowSeconds - lastSeen[slot] > maxAgeSeconds)
            {
                removeAt(slot); // re-examine this slot: a later entry may have shifted into it
            }
            else
            {
                agingCursor = (slot + 1) & mask;
            }
            examined++;
        }
        return examined;
    }

    private void removeAt(final int slot)
    {
        final long key = keys[slot];
        macsPerPort[ports[slot]]--;
        final int d = domainOf(key);
        PER_DOMAIN.setRelease(macsPerDomain, d, macsPerDomain[d] - 1);
        size--;
        generation++;
        // backward-shift: move later members of the probe run into the gap when their home allows it
        int gap = slot;
        for (int next = (gap + 1) & mask; keys[next] != EMPTY; next = (next + 1) & mask)
        {
            final int home = slotOf(keys[next]);
            final boolean movable = gap <= next ? (home <= gap || home > next) : (home <= gap && home > next);
            if (movable)
            {
                keys[gap] = keys[next];
                ports[gap] = ports[next];
                lastSeen[gap] = lastSeen[next];
                gap = next;
            }
        }
        keys[gap] = EMPTY;
    }

    public int size()
    {
        return size;
    }

    /** Where the next {@link #age} call starts: lets a caller count a full round of slots passed. */
    public int agingPosition()
    {
        return agingCursor;
    }

    public int capacity()
    {
        return mask + 1;
    }

    public int macsOnPort(final int port)
    {
        return macsPerPort[port];
    }

    public int macsInDomain(final int domain)
    {
        return macsPerDomain[domain];
    }

    /** {@link #macsInDomain} for any thread (counters): no worker command needed. */
    public int macsInDomainAnyThread(final int domain)
    {
        return (int)PER_DOMAIN.getAcquire(macsPerDomain, domain);
    }

    private static final VarHandle PER_DOMAIN = MethodHandles.arrayElementVarHandle(int[].class);

    public int maxMacsPerPort()
    {
        return maxMacsPerPort;
    }

    public long generation()
    {
        return generation;
    }

    public void clear()
    {
        Arrays.fill(keys, EMPTY);
        Arrays.fill(macsPerPort, 0);
        Arrays.fill(macsPerDomain, 0);
        size = 0;
        generation++;
    }
}
