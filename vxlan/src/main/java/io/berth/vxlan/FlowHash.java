package io.berth.vxlan;

import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The outer UDP source port of a VXLAN datagram, from a hash of the inner flow (RFC 7348 section 5: "a hash of
 * fields from the inner packet ... in the dynamic/private range 49152-65535"), so the underlay's ECMP and the
 * receiver's RSS spread flows while every packet of one flow takes one path and stays in order. The fields are
 * the inner Ethernet addresses and, for IPv4 that is not a fragment, the addresses, protocol and ports (the
 * first four L4 bytes); the mix is a murmur3-style finaliser. Stateless, allocation-free.
 */
public final class FlowHash
{
    public static final int PORT_LOW = 49152;
    private static final int PORT_MASK = 0x3FFF; // 16384 ports: 49152..65535

    private FlowHash()
    {
    }

    /** The source port for the inner frame at {@code frame} of {@code length} bytes. */
    public static int sourcePort(final UnsafeBuffer buffer, final int frame, final int length)
    {
        long h = 0x9E3779B97F4A7C15L;
        h = mix(h ^ buffer.getLong(frame, ByteOrder.BIG_ENDIAN)); // destination MAC and the source's first half
        h = mix(h ^ buffer.getInt(frame + 8, ByteOrder.BIG_ENDIAN));
        if (length >= EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
            && (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == EthernetFlyweight.TYPE_IPV4)
        {
            final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
            h = mix(h ^ buffer.getLong(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN));
            final int protocol = buffer.getByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF;
            final int ihl = (buffer.getByte(ip) & 0xF) * 4;
            final boolean fragment = (buffer.getShort(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF) != 0;
            h = mix(h ^ protocol);
            if (!fragment && (protocol == Ipv4Flyweight.PROTO_TCP || protocol == Ipv4Flyweight.PROTO_UDP)
                && length >= EthernetFlyweight.HEADER_LENGTH + ihl + 4)
            {
                h = mix(h ^ buffer.getInt(ip + ihl, ByteOrder.BIG_ENDIAN));
            }
        }
        return PORT_LOW + (int)(h & PORT_MASK);
    }

    private static long mix(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
