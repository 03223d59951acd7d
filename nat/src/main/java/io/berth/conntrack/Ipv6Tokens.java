package io.berth.conntrack;

import io.berth.dataplane.Ipv6AddressSet;

/**
 * IPv6 addresses as 32-bit tokens, so an IPv6 connection's tuple fits the connection table's two key words
 * ({@link Tuples#key2v6}: the family bit set, the tokens where IPv4 keeps its addresses) and IPv6 shares the
 * table's limit, timers, TCP tracking, accounting and listing with IPv4 instead of a second table beside it.
 * A token is the address's place in an {@link Ipv6AddressSet}; it lives while a table key names it
 * ({@link TupleReferences}: counted per key); {@link #intern} makes one with no reference, which the caller gives
 * back with {@link #dropIfUnused} when the connection is not made. Fixed capacity: when it is full no new address
 * gets a token and the connection is refused as the table's own limit would refuse it. Owned by the worker thread
 * that owns the table; allocation-free after construction.
 */
public final class Ipv6Tokens implements TupleReferences
{
    public static final int NO_TOKEN = Ipv6AddressSet.NONE;

    private final Ipv6AddressSet addresses;
    private final int[] references;

    /** @param capacity distinct addresses at most (two per connection is plenty: most share the container's). */
    public Ipv6Tokens(final int capacity)
    {
        addresses = new Ipv6AddressSet(capacity);
        references = new int[capacity];
    }

    /** The address's token, or {@link #NO_TOKEN}: then no connection has it, so a lookup needs go no further. */
    public int find(final long addressHi, final long addressLo)
    {
        return addresses.find(addressHi, addressLo);
    }

    /** The address's token, made if need be; {@link #NO_TOKEN} when every token is taken. */
    public int intern(final long addressHi, final long addressLo)
    {
        final int known = addresses.find(addressHi, addressLo);
        if (known != NO_TOKEN)
        {
            return known;
        }
        final int token = addresses.add(addressHi, addressLo);
        if (token != NO_TOKEN)
        {
            references[token] = 0;
        }
        return token;
    }

    /** Frees a token {@link #intern} made that no key took after all. */
    public void dropIfUnused(final int token)
    {
        if (token != NO_TOKEN && references[token] == 0)
        {
            addresses.remove(token); // one already free is left alone
        }
    }

    public long hi(final int token)
    {
        return addresses.hi(token);
    }

    public long lo(final int token)
    {
        return addresses.lo(token);
    }

    public int size()
    {
        return addresses.size();
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
            addresses.remove(token);
        }
    }
}
