package io.berth.dataplane;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * IPv6 addresses (two longs each) in numbered places: at most {@code capacity} of them, each at a place
 * 0..capacity-1 given when it is added (from a free list) and kept until it is removed, so tables beside it can
 * index parallel arrays by place. Found by an open-addressing index (linear probing, backward-shift deletion, so
 * no tombstones; a hash seeded per set, so that remote hosts cannot aim collisions at it). Owned by one thread;
 * allocation-free after construction.
 */
public final class Ipv6AddressSet
{
    public static final int NONE = -1;

    private final long seed = new SplittableRandom().nextLong();
    private final long[] hi;
    private final long[] lo;
    private final boolean[] live;
    private final int[] nextFree;
    private final int[] slots;
    private final int slotMask;
    private int freeHead;
    private int size;

    public Ipv6AddressSet(final int capacity)
    {
        if (capacity < 1 || capacity > (1 << 28))
        {
            throw new IllegalArgumentException("an IPv6 address set holds 1.." + (1 << 28) + ", not " + capacity);
        }
        hi = new long[capacity];
        lo = new long[capacity];
        live = new boolean[capacity];
        nextFree = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : NONE;
        }
        final int slotCount = Integer.highestOneBit(capacity * 2 - 1) << 1;
        slots = new int[slotCount];
        slotMask = slotCount - 1;
        Arrays.fill(slots, NONE);
    }

    /** The address's place, or {@link #NONE}. */
    public int find(final long addressHi, final long addressLo)
    {
        int i = hash(addressHi, addressLo) & slotMask;
        while (true)
        {
            final int place = slots[i];
            if (place == NONE)
            {
                return NONE;
            }
            if (hi[place] == addressHi && lo[place] == addressLo)
            {
                return place;
            }
            i = (i + 1) & slotMask;
        }
    }

    /** The address's place, given a free one if it has none; {@link #NONE} when every place is taken. */
    public int add(final long addressHi, final long addressLo)
    {
        final int known = find(addressHi, addressLo);
        if (known != NONE || freeHead == NONE)
        {
            return known;
        }
        final int place = freeHead;
        freeHead = nextFree[place];
        hi[place] = addressHi;
        lo[place] = addressLo;
        live[place] = true;
        int i = hash(addressHi, addressLo) & slotMask;
        while (slots[i] != NONE)
        {
            i = (i + 1) & slotMask;
        }
        slots[i] = place;
        size++;
        return place;
    }

    /** Frees a place; one that is free already is left alone. */
    public void remove(final int place)
    {
        if (place < 0 || place >= live.length || !live[place])
        {
            return;
        }
        int i = hash(hi[place], lo[place]) & slotMask;
        while (slots[i] != place)
        {
            i = (i + 1) & slotMask;
        }
        int hole = i;
        int j = i;
        while (true) // backward shift: pull later members of the probe run into the hole
        {
            j = (j + 1) & slotMask;
            final int moved = slots[j];
            if (moved == NONE)
            {
                break;
            }
            final int home = hash(hi[moved], lo[moved]) & slotMask;
            final boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays)
            {
                slots[hole] = moved;
                hole = j;
            }
        }
        slots[hole] = NONE;
        live[place] = false;
        nextFree[place] = freeHead;
        freeHead = place;
        size--;
    }

    public boolean isLive(final int place)
    {
        return live[place];
    }

    public long hi(final int place)
    {
        return hi[place];
    }

    public long lo(final int place)
    {
        return lo[place];
    }

    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return live.length;
    }

    private int hash(final long addressHi, final long addressLo)
    {
        long h = (addressHi ^ seed) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ addressLo ^ (h >>> 29)) * 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 32;
        return (int)h;
    }
}
