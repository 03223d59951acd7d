package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Ethernet II header over a pooled buffer. MACs are handled as the low 48 bits of a {@code long}.
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  destination MAC (6 bytes)                    |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+     source MAC (6 bytes)      +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          EtherType            |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * One instance per worker, re-wrapped per packet; allocation-free.
 */
public final class EthernetFlyweight
{
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_IPV6 = 0x86DD;

    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private UnsafeBuffer buffer;
    private int offset;

    public EthernetFlyweight wrap(final UnsafeBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int offset()
    {
        return offset;
    }

    public long destination()
    {
        return readMac(buffer, offset + DESTINATION_OFFSET);
    }

    public EthernetFlyweight destination(final long mac)
    {
        writeMac(buffer, offset + DESTINATION_OFFSET, mac);
        return this;
    }

    public long source()
    {
        return readMac(buffer, offset + SOURCE_OFFSET);
    }

    public EthernetFlyweight source(final long mac)
    {
        writeMac(buffer, offset + SOURCE_OFFSET, mac);
        return this;
    }

    public int etherType()
    {
        return buffer.getShort(offset + ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public EthernetFlyweight etherType(final int type)
    {
        buffer.putShort(offset + ETHER_TYPE_OFFSET, (short)type, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /** Group bit (I/G) set: broadcast or multicast. */
    public static boolean isMulticast(final long mac)
    {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    public static long readMac(final UnsafeBuffer buffer, final int offset)
    {
        final long high = buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFFL;
        final long low = buffer.getInt(offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
        return (high << 32) | low;
    }

    public static void writeMac(final UnsafeBuffer buffer, final int offset, final long mac)
    {
        buffer.putShort(offset, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    /** "02:42:ac:11:00:02" to 0x0242ac110002; throws IllegalArgumentException naming the value otherwise. */
    public static long parseMac(final String text)
    {
        final String[] parts = text.split(":");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("invalid MAC address '" + text + "': expected six hex octets like 02:42:ac:11:00:02");
        }
        long mac = 0;
        for (final String part : parts)
        {
            if (!part.matches("[0-9a-fA-F]{2}"))
            {
                throw new IllegalArgumentException("invalid MAC address '" + text + "': expected six hex octets like 02:42:ac:11:00:02");
            }
            try
            {
                mac = (mac << 8) | Integer.parseInt(part, 16);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("invalid MAC address '" + text + "': expected six hex octets like 02:42:ac:11:00:02");
            }
        }
        return mac;
    }

    public static String formatMac(final long mac)
    {
        final StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0)
            {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
