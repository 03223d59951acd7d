package io.berth.conntrack;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * IPv6 addresses as 32-bit tokens, so an IPv6 connection's tuple fits the connection table's two key words
 * ({@link Tuples#key2v6}: the family bit set, the tokens where IPv4 keeps its addresses) and IPv6 shares the
 * table's limit, timers, TCP tracking, accounting and listing with IPv4 instead of a second table beside it.
 * A token lives while a table key names it ({@link TupleReferences}: counted per key); {@link #intern} makes one
 * with no reference, which the caller gives back with {@link #dropIfUnused} when the connection is not made.
 * <p>
 * Layout: tokens are indexes into parallel arrays (address halves, references); an open-addressing index
 * (linear probing, backward-shift deletion, seeded hash) maps an address to its token. Fixed capacity: when it is
 * full no new address gets a token and the connection is refused as the table's own limit would refuse it. Owned
 * by the worker thread that owns the table; allocation-free after construction.
 */
public final class Ipv6Tokens implements TupleReferences
{
    public static final int NO_TOKEN = -1;
    private static final int EMPTY = -1;

    private final long seed = new SplittableRandom().nextLong();
    private final long[] hi;
    private final long[] lo;
    private final int[] references;
    private final int[] nextFree;
    private final int[] slots;
    private final int slotMask;
    private int freeHead;
    private int size;

    /** @param capacity distinct addresses at most (two per connection is plenty: most share the container's). */
    public Ipv6Tokens(final int capacity)
    {
        if (capacity < 1 || capacity > (1 << 27))
        {
            throw new IllegalArgumentException("IPv6 token capacity must be 1.." + (1 << 27) + ", got " + capacity);
        }
        hi = new long[capacity];
        lo = new long[capacity];
        references = new int[capacity];
        nextFree = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : NO_TOKEN;
        }
        final int slotCount = Integer.highestOneBit(capacity * 2 - 1) << 1;
        slots = new int[slotCount];
        slotMask = slotCount - 1;
        Arrays.fill(slots, EMPTY);
    }

    /** The address's token, or {@link #NO_TOKEN}: then no connection has it, so a lookup needs go no further. */
    public int find(final long addressHi, final long addressLo)
    {
        int i = hash(addressHi, addressLo) & slotMask;
        while (true)
        {
            final int token = slots[i];
            if (token == EMPTY)
            {
                return NO_TOKEN;
            }
            if (hi[token] == addressHi && lo[token] == addressLo)
            {
                return token;
            }
            i = (i + 1) & slotMask;
        }
    }

    /** The address's token, made if need be; {@link #NO_TOKEN} when every token is taken. */
    public int intern(final long addressHi, final long addressLo)
    {
        final int known = find(addressHi, addressLo);
        if (known != NO_TOKEN || freeHead == NO_TOKEN)
        {
            return known;
        }
        final int token = freeHead;
        freeHead = nextFree[token];
        hi[token] = addressHi;
        lo[token] = addressLo;
        references[token] = 0;
        int i = hash(addressHi, addressLo) & slotMask;
        while (slots[i] != EMPTY)
        {
            i = (i + 1) & slotMask;
        }
        slots[i] = token;
        size++;
        return token;
    }

    /** Frees a token {@link #intern} made that no key took after all. */
    public void dropIfUnused(final int token)
    {
        if (token != NO_TOKEN && references[token] == 0 && freeHead != token && isLive(token))
        {
            free(token);
        }
    }

    public long hi(final int token)
    {
        return hi[token];
    }

    public long lo(final int token)
    {
        return lo[token];
    }

    public int size()
    {
        return size;
    }

    @Override
    public void retain(final long k1, final long k2)
    {
        if (Tuples.isIpv6(k2))
        {
            references[Tuples.source(k1)]++;
            references[Tuples.destination(k1)]++;
        }
    }

    @Override
    public void release(final long k1, final long k2)
    {
        if (Tuples.isIpv6(k2))
        {
            releaseToken(Tuples.source(k1));
            releaseToken(Tuples.destination(k1));
        }
    }

    private void releaseToken(final int token)
    {
        if (--references[token] == 0)
        {
            free(token);
        }
    }

    private boolean isLive(final int token)
    {
        return find(hi[token], lo[token]) == token;
    }

    private void free(final int token)
    {
        int i = hash(hi[token], lo[token]) & slotMask;
        while (slots[i] != token)
        {
            i = (i + 1) & slotMask;
        }
        int hole = i;
        int j = i;
        while (true) // backward shift, as in the connection table's index
        {
            j = (j + 1) & slotMask;
            final int moved = slots[j];
            if (moved == EMPTY)
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
        slots[hole] = EMPTY;
        nextFree[token] = freeHead;
        freeHead = token;
        size--;
    }

    private int hash(final long addressHi, final long addressLo)
    {
        long h = (addressHi ^ seed) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ addressLo ^ (h >>> 29)) * 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 32;
        return (int)h;
    }
}
