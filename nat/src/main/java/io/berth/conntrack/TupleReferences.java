package io.berth.conntrack;

/**
 * Told when a tuple becomes a key of {@link ConnectionTable} and when it stops being one, so that what a tuple's
 * words stand for (an IPv6 address's {@link Ipv6Tokens token}) lives exactly as long as a key names it. Worker
 * thread; must not allocate.
 */
public interface TupleReferences
{
    TupleReferences NONE = new TupleReferences()
    {
        @Override
        public void retain(final long k1, final long k2)
        {
        }

        @Override
        public void release(final long k1, final long k2)
        {
        }
    };

    void retain(long k1, long k2);

    void release(long k1, long k2);
}
