package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * IPv4 header (RFC 791). Addresses are {@code int}s in host order of their dotted form (10.0.0.1 = 0x0A000001).
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv4Flyweight
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    public static final int MIN_HEADER_LENGTH = 20;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    private UnsafeBuffer buffer;
    private int offset;

    public Ipv4Flyweight wrap(final UnsafeBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int offset()
    {
        return offset;
    }

    public int version()
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) >> 4) & 0xF;
    }

    public int headerLength()
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0xF) * 4;
    }

    public int totalLength()
    {
        return buffer.getShort(offset + TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public Ipv4Flyweight totalLength(final int length)
    {
        buffer.putShort(offset + TOTAL_LENGTH_OFFSET, (short)length, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int ttl()
    {
        return buffer.getByte(offset + TTL_OFFSET) & 0xFF;
    }

    public Ipv4Flyweight ttl(final int ttl)
    {
        buffer.putByte(offset + TTL_OFFSET, (byte)ttl);
        return this;
    }

    public int protocol()
    {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public Ipv4Flyweight checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int source()
    {
        return buffer.getInt(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public Ipv4Flyweight source(final int address)
    {
        buffer.putInt(offset + SOURCE_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int destination()
    {
        return buffer.getInt(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public Ipv4Flyweight destination(final int address)
    {
        buffer.putInt(offset + DESTINATION_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** More-fragments set or a non-zero fragment offset. */
    /** Whether the Ethernet frame at {@code frame} of {@code length} bytes is an IPv4 fragment (MF or an offset). */
    public static boolean isFragment(final UnsafeBuffer buffer, final int frame, final int length)
    {
        return length >= EthernetFlyweight.HEADER_LENGTH + MIN_HEADER_LENGTH
            && (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == EthernetFlyweight.TYPE_IPV4
            && (buffer.getShort(frame + EthernetFlyweight.HEADER_LENGTH + FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF) != 0;
    }

    public boolean isFragment()
    {
        return (buffer.getShort(offset + FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF) != 0;
    }

    public int payloadOffset()
    {
        return offset + headerLength();
    }

    /** Recomputes the header checksum from scratch. */
    public Ipv4Flyweight updateChecksum()
    {
        checksum(0);
        checksum(Checksums.internet(buffer, offset, headerLength(), 0));
        return this;
    }

    /** Writes a 20-byte header with DF set and a correct checksum. */
    public Ipv4Flyweight fill(final int totalLength, final int ttl, final int protocol, final int source, final int destination)
    {
        buffer.putByte(offset + VERSION_IHL_OFFSET, (byte)0x45);
        buffer.putByte(offset + TOS_OFFSET, (byte)0);
        totalLength(totalLength);
        buffer.putShort(offset + IDENTIFICATION_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + FLAGS_FRAGMENT_OFFSET, (short)0x4000, ByteOrder.BIG_ENDIAN);
        ttl(ttl);
        buffer.putByte(offset + PROTOCOL_OFFSET, (byte)protocol);
        source(source);
        destination(destination);
        return updateChecksum();
    }

    public static String format(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Dotted quad to int; IllegalArgumentException naming the value for anything else. */
    public static int parse(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("invalid IPv4 address '" + text + "': expected four numbers 0-255 like 172.17.0.2");
        }
        int address = 0;
        for (final String part : parts)
        {
            final int octet;
            try
            {
                if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9'))
                {
                    throw new NumberFormatException();
                }
                octet = Integer.parseInt(part);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("invalid IPv4 address '" + text + "': expected four numbers 0-255 like 172.17.0.2");
            }
            if (octet > 255)
            {
                throw new IllegalArgumentException("invalid IPv4 address '" + text + "': " + octet + " is not in 0-255");
            }
            address = (address << 8) | octet;
        }
        return address;
    }
}
