package io.berth.conntrack;

import java.util.Arrays;

/**
 * The connection table's index: an open-addressing hash from a 5-tuple (two key words, see {@link Tuples}) to a
 * ref ({@code entry << 1 | direction}), linear probing with backward-shift deletion, so no tombstones and a
 * lookup touches one or two cache lines of the slot arrays. Slots are at least twice the keys it must hold (load
 * factor at most 0.5). The hash is seeded per table so that remote hosts cannot aim collisions at it. Owned by
 * the {@link ConnectionTable}'s worker thread; allocation-free after construction.
 */
final class TupleIndex
{
    private static final int EMPTY = -1;

    private final long seed;
    private final int slotMask;
    private final long[] slotKey1;
    private final long[] slotKey2;
    private final int[] slotRef;

    /** @param keys the most keys it holds at once (two per connection). */
    TupleIndex(final int keys, final long seed)
    {
        this.seed = seed;
        final int slots = Integer.highestOneBit(keys * 2 - 1) << 1;
        slotMask = slots - 1;
        slotKey1 = new long[slots];
        slotKey2 = new long[slots];
        slotRef = new int[slots];
        Arrays.fill(slotRef, EMPTY);
    }

    /** The ref stored under this tuple, or {@link ConnectionTable#NOT_FOUND}. */
    int lookup(final long k1, final long k2)
    {
        int i = hash(k1, k2) & slotMask;
        while (true)
        {
            final int ref = slotRef[i];
            if (ref == EMPTY)
            {
                return ConnectionTable.NOT_FOUND;
            }
            if (slotKey1[i] == k1 && slotKey2[i] == k2)
            {
                return ref;
            }
            i = (i + 1) & slotMask;
        }
    }

    private int hash(final long k1, final long k2)
    {
        long h = (k1 ^ seed) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ k2 ^ (h >>> 29)) * 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 32;
        return (int)h;
    }

    void insert(final long k1, final long k2, final int ref)
    {
        int i = hash(k1, k2) & slotMask;
        while (slotRef[i] != EMPTY)
        {
            i = (i + 1) & slotMask;
        }
        slotKey1[i] = k1;
        slotKey2[i] = k2;
        slotRef[i] = ref;
    }

    void remove(final long k1, final long k2)
    {
        int i = hash(k1, k2) & slotMask;
        while (true)
        {
            if (slotRef[i] == EMPTY)
            {
                return;
            }
            if (slotKey1[i] == k1 && slotKey2[i] == k2)
            {
                break;
            }
            i = (i + 1) & slotMask;
        }
        // backward shift: pull later members of the probe run into the hole so lookups never stop early
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & slotMask;
            if (slotRef[j] == EMPTY)
            {
                break;
            }
            final int home = hash(slotKey1[j], slotKey2[j]) & slotMask;
            final boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays)
            {
                slotKey1[hole] = slotKey1[j];
                slotKey2[hole] = slotKey2[j];
                slotRef[hole] = slotRef[j];
                hole = j;
            }
        }
        slotRef[hole] = EMPTY;
    }
}
