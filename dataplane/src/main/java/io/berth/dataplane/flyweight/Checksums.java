package io.berth.dataplane.flyweight;

import org.agrona.UnsafeAccess;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/** The Internet checksum (RFC 1071) and its incremental update (RFC 1624). Stateless. */
public final class Checksums
{
    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

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
        if (length >= 64)
        {
            // 8 bytes per load in the machine's order: the ones'-complement sum of byte-swapped 16-bit words is the
            // byte-swapped sum (RFC 1071, 2.B), so one swap at the end replaces one per word. Four independent
            // accumulators, and one bounds check for the whole range instead of one per load.
            buffer.boundsCheck(offset, length);
            final byte[] array = buffer.byteArray();
            final long address = buffer.addressOffset() + offset;
            long a = 0;
            long b = 0;
            long c = 0;
            long d = 0;
            for (; i + 32 <= length; i += 32)
            {
                final long w = UnsafeAccess.UNSAFE.getLong(array, address + i);
                final long x = UnsafeAccess.UNSAFE.getLong(array, address + i + 8);
                final long y = UnsafeAccess.UNSAFE.getLong(array, address + i + 16);
                final long z = UnsafeAccess.UNSAFE.getLong(array, address + i + 24);
                a += (w >>> 32) + (w & 0xFFFF_FFFFL);
                b += (x >>> 32) + (x & 0xFFFF_FFFFL);
                c += (y >>> 32) + (y & 0xFFFF_FFFFL);
                d += (z >>> 32) + (z & 0xFFFF_FFFFL);
            }
            for (; i + 8 <= length; i += 8)
            {
                final long x = UnsafeAccess.UNSAFE.getLong(array, address + i);
                a += (x >>> 32) + (x & 0xFFFF_FFFFL);
            }
            final int folded = fold(fold(a) + fold(b) + fold(c) + fold(d));
            sum += NATIVE_BIG_ENDIAN ? folded : ((folded & 0xFF) << 8) | (folded >>> 8);
        }
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
