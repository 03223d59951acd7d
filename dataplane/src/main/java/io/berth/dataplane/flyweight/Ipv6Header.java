package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fixed IPv6 header's fields (RFC 8200) and the walk over its extension headers to the upper layer, as static
 * functions on a buffer: the router, conntrack and NAT66 read a few fields each, so a stateless helper serves them
 * without a flyweight per node. Allocation-free; any thread.
 */
public final class Ipv6Header
{
    public static final int LENGTH = 40;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    public static final int PROTO_ICMPV6 = 58;
    public static final int PROTO_FRAGMENT = 44;
    /** The minimum link MTU (RFC 8200): an ICMPv6 error never grows past it. */
    public static final int MINIMUM_MTU = 1280;
    /** {@link #upperLayer}: the chain could not be followed within the packet. */
    public static final long MALFORMED = -1;
    /** {@link #upperLayer}: the packet is a fragment (a Fragment header in the chain). */
    public static final long FRAGMENT = -2;
    private static final int MAX_EXTENSION_HEADERS = 8;

    private Ipv6Header()
    {
    }

    public static boolean isIpv6(final UnsafeBuffer buffer, final int ip)
    {
        return (buffer.getByte(ip) & 0xF0) == 0x60;
    }

    public static int payloadLength(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getShort(ip + PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public static int nextHeader(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getByte(ip + NEXT_HEADER_OFFSET) & 0xFF;
    }

    public static int hopLimit(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getByte(ip + HOP_LIMIT_OFFSET) & 0xFF;
    }

    public static long sourceHi(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getLong(ip + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public static long sourceLo(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getLong(ip + SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    public static long destinationHi(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getLong(ip + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public static long destinationLo(final UnsafeBuffer buffer, final int ip)
    {
        return buffer.getLong(ip + DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    /** Multicast (ff00::/8). */
    public static boolean isMulticast(final long hi)
    {
        return (hi >>> 56) == 0xFF;
    }

    /** Link-local (fe80::/10): never routed. */
    public static boolean isLinkLocal(final long hi)
    {
        return (hi >>> 54) == (0xfe80L >>> 6);
    }

    /** Unique local (fc00::/7, RFC 4193): not routed on the internet, so masqueraded on the way out. */
    public static boolean isUniqueLocal(final long hi)
    {
        return (hi >>> 57) == (0xfcL >>> 1);
    }

    /**
     * Follows hop-by-hop, routing and destination-options headers from the fixed header at {@code ip} to the upper
     * layer within {@code end}: its protocol in the top 32 bits, its offset in the low 32; {@link #FRAGMENT} when a
     * Fragment header comes first, {@link #MALFORMED} when the chain runs past {@code end} or is too long.
     */
    public static long upperLayer(final UnsafeBuffer buffer, final int ip, final int end)
    {
        int next = nextHeader(buffer, ip);
        int at = ip + LENGTH;
        for (int i = 0; i <= MAX_EXTENSION_HEADERS; i++)
        {
            if (next == 0 || next == 43 || next == 60)
            {
                if (at + 8 > end)
                {
                    return MALFORMED;
                }
                next = buffer.getByte(at) & 0xFF;
                at += ((buffer.getByte(at + 1) & 0xFF) + 1) * 8;
            }
            else if (next == PROTO_FRAGMENT)
            {
                return FRAGMENT;
            }
            else
            {
                return at > end ? MALFORMED : ((long)next << 32) | at;
            }
        }
        return MALFORMED;
    }

    /** An Ethernet frame carrying an IPv6 fragment (a Fragment header in its chain). */
    public static boolean isFragment(final UnsafeBuffer buffer, final int frame, final int length)
    {
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        return length >= EthernetFlyweight.HEADER_LENGTH + LENGTH
            && (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                == EthernetFlyweight.TYPE_IPV6
            && isIpv6(buffer, ip) && upperLayer(buffer, ip, frame + length) == FRAGMENT;
    }

    public static int protocolOf(final long upperLayer)
    {
        return (int)(upperLayer >>> 32);
    }

    public static int offsetOf(final long upperLayer)
    {
        return (int)upperLayer;
    }

    /**
     * Writes the ICMPv6 checksum of the {@code length}-byte message at {@code icmp} in the packet whose IPv6 header
     * is at {@code ip}: over the pseudo-header (both addresses, the length, next header 58) and the message, its
     * own checksum field counted as zero.
     */
    public static void icmpv6Checksum(final UnsafeBuffer buffer, final int ip, final int icmp, final int length)
    {
        buffer.putShort(icmp + 2, (short)0);
        long sum = Checksums.sum(buffer, ip + SOURCE_OFFSET, 32, 0);
        sum += length + PROTO_ICMPV6;
        sum = Checksums.sum(buffer, icmp, length, sum);
        buffer.putShort(icmp + 2, (short)(~Checksums.fold(sum) & 0xFFFF), ByteOrder.BIG_ENDIAN);
    }

    /** The ones'-complement sum of the pseudo-header's two addresses (for an L4 checksum's incremental update). */
    public static long addressSum(final long hi, final long lo)
    {
        return (hi >>> 48) + ((hi >>> 32) & 0xFFFF) + ((hi >>> 16) & 0xFFFF) + (hi & 0xFFFF)
            + (lo >>> 48) + ((lo >>> 32) & 0xFFFF) + ((lo >>> 16) & 0xFFFF) + (lo & 0xFFFF);
    }

    /**
     * An IPv6 address's text ({@link #format}'s, or any literal form) as {hi, lo}; control plane only (allocates).
     *
     * @throws IllegalArgumentException when it is no IPv6 literal (nothing is looked up).
     */
    public static long[] parse(final String text)
    {
        if (text == null || text.indexOf(':') < 0)
        {
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
        try
        {
            final byte[] bytes = InetAddress.getByName(text).getAddress(); // a literal with ':' is parsed, not resolved
            if (bytes.length != 16)
            {
                throw new IllegalArgumentException("not an IPv6 address: " + text);
            }
            final ByteBuffer b = ByteBuffer.wrap(bytes);
            return new long[] {b.getLong(), b.getLong()};
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalArgumentException("not an IPv6 address: " + text, e);
        }
    }

    public static String format(final long hi, final long lo)
    {
        final StringBuilder text = new StringBuilder(39);
        // RFC 5952: the longest run of two or more zero groups becomes "::"
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; )
        {
            if (group(hi, lo, i) == 0)
            {
                int j = i;
                while (j < 8 && group(hi, lo, j) == 0)
                {
                    j++;
                }
                if (j - i > bestLength)
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
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':')
            {
                text.append(':');
            }
            text.append(Integer.toHexString(group(hi, lo, i)));
        }
        return text.toString();
    }

    private static int group(final long hi, final long lo, final int i)
    {
        final long word = i < 4 ? hi : lo;
        return (int)(word >>> (48 - 16 * (i & 3))) & 0xFFFF;
    }
}
