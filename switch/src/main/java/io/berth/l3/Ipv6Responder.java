package io.berth.l3;

import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Addresses;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The IPv6 gateway's answers (issue 27), written over the request in place: a Neighbor Solicitation for the
 * gateway address (global, or link-local: fe80:: and the gateway MAC's EUI-64) becomes the Neighbor Advertisement
 * (router, solicited, override; the gateway MAC as target link-layer option), an echo request to it the echo
 * reply, and on a network that advertises its router a Router Solicitation the Router Advertisement (from the
 * link-local address: the default router for 30 minutes, the prefix on-link, no autoconfiguration: addresses
 * are berth's). Frames must be unfragmented with ICMPv6 right after the
 * 40-byte header (neighbour discovery never has extension headers); anything else is {@link #NOT_MINE}. Worker
 * thread; allocation-free.
 */
public final class Ipv6Responder
{
    public static final int NOT_MINE = 0;
    public static final int ANSWERED = 1;
    private static final int IP = EthernetFlyweight.HEADER_LENGTH;
    private static final int ICMP = IP + 40;
    private static final int ICMPV6 = 58;
    private static final int ECHO_REQUEST = 128;
    private static final int ECHO_REPLY = 129;
    private static final int NEIGHBOR_SOLICITATION = 135;
    private static final int NEIGHBOR_ADVERTISEMENT = 136;
    private static final int ROUTER_SOLICITATION = 133;
    private static final int ROUTER_ADVERTISEMENT = 134;
    private static final int ROUTER_LIFETIME_SECONDS = 1800;
    private static final long ALL_NODES_HI = 0xff02_0000_0000_0000L;

    /**
     * @param frame     the frame's offset; {@code length} its length.
     * @param advertise answer Router Solicitations, advertising {@code prefixHi}/{@code prefixLength} on-link.
     * @return {@link #ANSWERED} with the frame rewritten and its new length in {@link #answerLength()}, else
     * {@link #NOT_MINE}.
     */
    public int answer(final UnsafeBuffer buffer, final int frame, final int length, final long gatewayHi,
        final long gatewayLo, final long gatewayMac, final long prefixHi, final int prefixLength,
        final boolean advertise)
    {
        if (gatewayHi == 0 || length < ICMP + 8 || (buffer.getByte(frame + IP) & 0xF0) != 0x60
            || (buffer.getByte(frame + IP + 6) & 0xFF) != ICMPV6)
        {
            return NOT_MINE;
        }
        final int payload = buffer.getShort(frame + IP + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (ICMP + payload > length || payload < 8)
        {
            return NOT_MINE;
        }
        final int type = buffer.getByte(frame + ICMP) & 0xFF;
        final long sourceHi = buffer.getLong(frame + IP + 8, ByteOrder.BIG_ENDIAN);
        final long sourceLo = buffer.getLong(frame + IP + 16, ByteOrder.BIG_ENDIAN);
        if (type == ROUTER_SOLICITATION && advertise)
        {
            final boolean unspecified = sourceHi == 0 && sourceLo == 0;
            final long requester = buffer.getLong(frame + EthernetFlyweight.SOURCE_OFFSET - 2, ByteOrder.BIG_ENDIAN)
                & 0xFFFF_FFFF_FFFFL;
            writeEthernet(buffer, frame, unspecified ? 0x3333_0000_0001L : requester, gatewayMac);
            writeAddresses(buffer, frame, Ipv6Addresses.LINK_LOCAL_PREFIX, Ipv6Addresses.eui64(gatewayMac),
                unspecified ? ALL_NODES_HI : sourceHi, unspecified ? 1 : sourceLo);
            buffer.putShort(frame + IP + 4, (short)56, ByteOrder.BIG_ENDIAN);
            buffer.putByte(frame + IP + 7, (byte)255);
            buffer.putByte(frame + ICMP, (byte)ROUTER_ADVERTISEMENT);
            buffer.putByte(frame + ICMP + 1, (byte)0);
            buffer.putByte(frame + ICMP + 4, (byte)64); // current hop limit
            buffer.putByte(frame + ICMP + 5, (byte)0); // no DHCPv6
            buffer.putShort(frame + ICMP + 6, (short)ROUTER_LIFETIME_SECONDS, ByteOrder.BIG_ENDIAN);
            buffer.putLong(frame + ICMP + 8, 0); // reachable time, retransmission timer: unspecified
            buffer.putByte(frame + ICMP + 16, (byte)1); // source link-layer address
            buffer.putByte(frame + ICMP + 17, (byte)1);
            buffer.putShort(frame + ICMP + 18, (short)(gatewayMac >>> 32), ByteOrder.BIG_ENDIAN);
            buffer.putInt(frame + ICMP + 20, (int)gatewayMac, ByteOrder.BIG_ENDIAN);
            final int prefix = frame + ICMP + 24; // prefix information: on-link, not for autoconfiguration
            buffer.putByte(prefix, (byte)3);
            buffer.putByte(prefix + 1, (byte)4);
            buffer.putByte(prefix + 2, (byte)prefixLength);
            buffer.putByte(prefix + 3, (byte)0x80);
            buffer.putInt(prefix + 4, 86_400, ByteOrder.BIG_ENDIAN);
            buffer.putInt(prefix + 8, 14_400, ByteOrder.BIG_ENDIAN);
            buffer.putInt(prefix + 12, 0);
            buffer.putLong(prefix + 16, prefixHi, ByteOrder.BIG_ENDIAN);
            buffer.putLong(prefix + 24, 0);
            answerLength = ICMP + 56;
            checksum(buffer, frame, 56);
            return ANSWERED;
        }
        final long targetHi = payload >= 24 ? buffer.getLong(frame + ICMP + 8, ByteOrder.BIG_ENDIAN) : 0;
        final long targetLo = payload >= 24 ? buffer.getLong(frame + ICMP + 16, ByteOrder.BIG_ENDIAN) : 0;
        if (type == NEIGHBOR_SOLICITATION && payload >= 24 && ((targetHi == gatewayHi && targetLo == gatewayLo)
            || Ipv6Addresses.isLinkLocalOf(gatewayMac, targetHi, targetLo)))
        {
            final boolean fromDad = sourceHi == 0 && sourceLo == 0;
            final long requester = buffer.getLong(frame + EthernetFlyweight.SOURCE_OFFSET - 2, ByteOrder.BIG_ENDIAN)
                & 0xFFFF_FFFF_FFFFL;
            writeEthernet(buffer, frame, fromDad ? 0x3333_0000_0001L : requester, gatewayMac);
            writeAddresses(buffer, frame, targetHi, targetLo, fromDad ? ALL_NODES_HI : sourceHi, fromDad ? 1 : sourceLo);
            buffer.putShort(frame + IP + 4, (short)32, ByteOrder.BIG_ENDIAN);
            buffer.putByte(frame + IP + 7, (byte)255);
            buffer.putByte(frame + ICMP, (byte)NEIGHBOR_ADVERTISEMENT);
            buffer.putByte(frame + ICMP + 1, (byte)0);
            buffer.putInt(frame + ICMP + 4, fromDad ? 0xA000_0000 : 0xE000_0000, ByteOrder.BIG_ENDIAN); // R S O
            buffer.putByte(frame + ICMP + 24, (byte)2); // target link-layer address
            buffer.putByte(frame + ICMP + 25, (byte)1);
            buffer.putShort(frame + ICMP + 26, (short)(gatewayMac >>> 32), ByteOrder.BIG_ENDIAN);
            buffer.putInt(frame + ICMP + 28, (int)gatewayMac, ByteOrder.BIG_ENDIAN);
            answerLength = ICMP + 32;
            checksum(buffer, frame, 32);
            return ANSWERED;
        }
        final long destinationHi = buffer.getLong(frame + IP + 24, ByteOrder.BIG_ENDIAN);
        final long destinationLo = buffer.getLong(frame + IP + 32, ByteOrder.BIG_ENDIAN);
        if (type == ECHO_REQUEST && ((destinationHi == gatewayHi && destinationLo == gatewayLo)
            || Ipv6Addresses.isLinkLocalOf(gatewayMac, destinationHi, destinationLo)))
        {
            final long requester = buffer.getLong(frame + EthernetFlyweight.SOURCE_OFFSET - 2, ByteOrder.BIG_ENDIAN)
                & 0xFFFF_FFFF_FFFFL;
            writeEthernet(buffer, frame, requester, gatewayMac);
            writeAddresses(buffer, frame, destinationHi, destinationLo, sourceHi, sourceLo);
            buffer.putByte(frame + IP + 7, (byte)64);
            buffer.putByte(frame + ICMP, (byte)ECHO_REPLY);
            answerLength = ICMP + payload;
            checksum(buffer, frame, payload);
            return ANSWERED;
        }
        return NOT_MINE;
    }

    private int answerLength;

    /** The answered frame's length. */
    public int answerLength()
    {
        return answerLength;
    }

    private static void writeEthernet(final UnsafeBuffer buffer, final int frame, final long destination,
        final long source)
    {
        buffer.putShort(frame, (short)(destination >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 2, (int)destination, ByteOrder.BIG_ENDIAN);
        buffer.putShort(frame + 6, (short)(source >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 8, (int)source, ByteOrder.BIG_ENDIAN);
    }

    private static void writeAddresses(final UnsafeBuffer buffer, final int frame, final long sourceHi,
        final long sourceLo, final long destinationHi, final long destinationLo)
    {
        buffer.putLong(frame + IP + 8, sourceHi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(frame + IP + 16, sourceLo, ByteOrder.BIG_ENDIAN);
        buffer.putLong(frame + IP + 24, destinationHi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(frame + IP + 32, destinationLo, ByteOrder.BIG_ENDIAN);
    }

    private static void checksum(final UnsafeBuffer buffer, final int frame, final int length)
    {
        Ipv6Header.icmpv6Checksum(buffer, frame + IP, frame + ICMP, length);
    }
}
