package io.berth.control.ipam;

import io.berth.control.error.BerthException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An IPv6 prefix such as fd00:1::/64 in canonical form (no host bits set), as two longs. Immutable.
 *
 * @param hi the upper 64 bits of the network address.
 * @param lo the lower 64 bits.
 */
public record Ipv6Cidr(long hi, long lo, int prefixLength)
{
    /** Reserved ranges no network may use (issue 27): loopback, link-local, multicast, IPv4-mapped, unspecified. */
    private static final Object[][] RESERVED = {
        {0L, 1L, 128, "the loopback address (::1)"}, {0xfe80_0000_0000_0000L, 0L, 10, "link-local (fe80::/10)"},
        {0xff00_0000_0000_0000L, 0L, 8, "multicast (ff00::/8)"},
        {0L, 0x0000_ffff_0000_0000L, 96, "IPv4-mapped (::ffff:0:0/96)"}, {0L, 0L, 128, "the unspecified address"}};

    public Ipv6Cidr
    {
        if (prefixLength < 0 || prefixLength > 128 || (hi & ~maskHi(prefixLength)) != 0 || (lo & ~maskLo(prefixLength)) != 0)
        {
            throw new IllegalArgumentException(format(hi, lo) + "/" + prefixLength + " is not canonical");
        }
    }

    public static long maskHi(final int prefix)
    {
        return prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
    }

    public static long maskLo(final int prefix)
    {
        return prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
    }

    /** Parses "x::y/n" strictly (a numeric address only: nothing is looked up); host bits set are refused. */
    public static Ipv6Cidr parse(final String text, final String what)
    {
        final int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/'))
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": expected an IPv6 CIDR like fd00:1::/64");
        }
        final long[] address = parseAddress(text.substring(0, slash), what);
        final int prefix;
        try
        {
            prefix = Integer.parseInt(text.substring(slash + 1));
        }
        catch (final NumberFormatException e)
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": the prefix length must be 0..128");
        }
        if (prefix < 0 || prefix > 128)
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": the prefix length must be 0..128");
        }
        final long hi = address[0] & maskHi(prefix);
        final long lo = address[1] & maskLo(prefix);
        if (hi != address[0] || lo != address[1])
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": host bits are set; did you mean " +
                format(hi, lo) + "/" + prefix + "?");
        }
        return new Ipv6Cidr(hi, lo, prefix);
    }

    /** A numeric IPv6 address as {hi, lo}. */
    public static long[] parseAddress(final String text, final String what)
    {
        if (text == null || text.isEmpty() || !text.contains(":") || !text.matches("[0-9a-fA-F:.]+"))
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": expected an IPv6 address like fd00:1::2");
        }
        final byte[] bytes;
        try
        {
            bytes = InetAddress.getByName(text).getAddress(); // a literal: parsed, never resolved
        }
        catch (final UnknownHostException e)
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": expected an IPv6 address like fd00:1::2");
        }
        if (bytes.length != 16)
        {
            // the JDK turns an IPv4-mapped literal (::ffff:a.b.c.d) into an IPv4 address: map it back
            return new long[] {0, 0x0000_ffff_0000_0000L | (ByteBuffer.wrap(bytes).getInt() & 0xFFFF_FFFFL)};
        }
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        return new long[] {b.getLong(), b.getLong()};
    }

    public static String format(final long hi, final long lo)
    {
        try
        {
            final String text = InetAddress.getByAddress(ByteBuffer.allocate(16).putLong(hi).putLong(lo).array())
                .getHostAddress();
            return compress(text);
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** The JDK writes every group; RFC 5952 writes the longest run of zero groups as "::". */
    private static String compress(final String full)
    {
        final String[] groups = full.split(":");
        int bestStart = -1;
        int bestLength = 0;
        for (int i = 0; i < groups.length; )
        {
            if (groups[i].equals("0"))
            {
                int j = i;
                while (j < groups.length && groups[j].equals("0"))
                {
                    j++;
                }
                if (j - i > bestLength && j - i > 1)
                {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j;
            }
            else
            {
                i++;
            }
        }
        if (bestStart < 0)
        {
            return full;
        }
        final String head = String.join(":", Arrays.copyOfRange(groups, 0, bestStart));
        final String tail = String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }

    public boolean contains(final long addressHi, final long addressLo)
    {
        return (addressHi & maskHi(prefixLength)) == hi && (addressLo & maskLo(prefixLength)) == lo;
    }

    public boolean overlaps(final Ipv6Cidr other)
    {
        final int shorter = Math.min(prefixLength, other.prefixLength);
        return (hi & maskHi(shorter)) == (other.hi & maskHi(shorter)) && (lo & maskLo(shorter)) == (other.lo & maskLo(shorter));
    }

    /** The address {@code offset} past the network address (host part below 2^64). */
    public long[] addressAt(final long offset)
    {
        return new long[] {hi, lo + offset};
    }

    /** Why this prefix may not be a network's, or null. */
    public String reserved()
    {
        for (final Object[] range : RESERVED)
        {
            if (overlaps(new Ipv6Cidr((Long)range[0], (Long)range[1], (Integer)range[2])))
            {
                return (String)range[3];
            }
        }
        return null;
    }

    @Override
    public String toString()
    {
        return format(hi, lo) + "/" + prefixLength;
    }
}
