package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/** The Internet checksum (RFC 1071) and its incremental update (RFC 1624). Stateless. */
public final class Checksums
{
    private Checksums()
    {
    }

    /** Ones'-complement sum of {@code length} bytes plus {@code initial}, folded and complemented. */
    public static int internet(final UnsafeBuffer buffer, final int offset, final int length, final int initial)
    {
        return ~fold(sum(buffer, offset, length, initial)) & 0xFFFF;
    }

    /** Unfolded 32-bit-safe partial sum; combine partial sums then {@link #fold(long)}. */
    public static long sum(final UnsafeBuffer buffer, final int offset, final int length, final long initial)
    {
        long sum = initial;
        int i = 0;
        for (; i + 4 <= length; i += 4)
        {
            sum += buffer.getInt(offset + i, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
        }
        for (; i + 2 <= length; i += 2)
        {
            sum += buffer.getShort(offset + i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        if (i < length)
        {
            sum += (buffer.getByte(offset + i) & 0xFF) << 8;
        }
        return sum;
    }

    public static int fold(final long sum)
    {
        long s = sum;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }

    /**
     * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit field changing from {@code oldValue} to
     * {@code newValue}.
     */
    public static int update16(final int checksum, final int oldValue, final int newValue)
    {
        final long sum = (~checksum & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /** The same for a 32-bit field (an IPv4 address), as two 16-bit halves. */
    public static int update32(final int checksum, final int oldValue, final int newValue)
    {
        final long sum = (~checksum & 0xFFFF)
            + (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF)
            + ((newValue >>> 16) & 0xFFFF) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }
}
