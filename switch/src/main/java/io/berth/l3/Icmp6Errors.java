package io.berth.l3;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Turns an IPv6 packet the router cannot forward into the ICMPv6 error about it (RFC 4443: as much of the
 * offending packet as fits in the minimum MTU quoted), in place, back to its sender from the router's address on
 * the link it came by. Worker thread; allocation-free.
 * <pre>
 *  before: | eth | IPv6 (40) | payload ...                                     |
 *  after:  | eth | IPv6 (40) | ICMPv6 (8) | the packet, from its IPv6 header, at most 1232 bytes |
 * </pre>
 */
public final class Icmp6Errors
{
    public static final int DESTINATION_UNREACHABLE = 1;
    public static final int PACKET_TOO_BIG = 2;
    public static final int TIME_EXCEEDED = 3;
    public static final int CODE_NO_ROUTE = 0;
    public static final int CODE_ADMINISTRATIVELY_PROHIBITED = 1;
    public static final int CODE_ADDRESS_UNREACHABLE = 3;
    public static final int CODE_PORT_UNREACHABLE = 4;
    private static final int ICMP_HEADER = 8;
    private static final int MAX_QUOTE = Ipv6Header.MINIMUM_MTU - Ipv6Header.LENGTH - ICMP_HEADER;

    /**
     * Rewrites the packet into the error from {@code routerHi}:{@code routerLo} and {@code routerMac}, with
     * {@code word} (the MTU of a Packet Too Big, else 0) in its second word; it goes back out its in-port.
     */
    public void rewrite(final PacketPool pool, final int handle, final int type, final int code, final int word,
        final long routerHi, final long routerLo, final long routerMac)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int packetLength = Math.min(Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip),
            pool.frameLength(handle) - EthernetFlyweight.HEADER_LENGTH);
        final int quoted = Math.min(packetLength, MAX_QUOTE);
        final long senderHi = Ipv6Header.sourceHi(buffer, ip);
        final long senderLo = Ipv6Header.sourceLo(buffer, ip);
        final long senderMac = ((buffer.getShort(frame + 6, ByteOrder.BIG_ENDIAN) & 0xFFFFL) << 32)
            | (buffer.getInt(frame + 8, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
        final int quoteTo = ip + Ipv6Header.LENGTH + ICMP_HEADER;
        buffer.putBytes(quoteTo, buffer, ip, quoted); // overlapping: putBytes copies as memmove does
        final int icmp = ip + Ipv6Header.LENGTH;
        final int icmpLength = ICMP_HEADER + quoted;
        buffer.putInt(ip, 0x6000_0000, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET, (short)icmpLength, ByteOrder.BIG_ENDIAN);
        buffer.putByte(ip + Ipv6Header.NEXT_HEADER_OFFSET, (byte)Ipv6Header.PROTO_ICMPV6);
        buffer.putByte(ip + Ipv6Header.HOP_LIMIT_OFFSET, (byte)64);
        buffer.putLong(ip + Ipv6Header.SOURCE_OFFSET, routerHi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Header.SOURCE_OFFSET + 8, routerLo, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Header.DESTINATION_OFFSET, senderHi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Header.DESTINATION_OFFSET + 8, senderLo, ByteOrder.BIG_ENDIAN);
        buffer.putByte(icmp, (byte)type);
        buffer.putByte(icmp + 1, (byte)code);
        buffer.putInt(icmp + 4, word, ByteOrder.BIG_ENDIAN);
        Ipv6Header.icmpv6Checksum(buffer, ip, icmp, icmpLength);
        buffer.putShort(frame, (short)(senderMac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 2, (int)senderMac, ByteOrder.BIG_ENDIAN);
        buffer.putShort(frame + 6, (short)(routerMac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 8, (int)routerMac, ByteOrder.BIG_ENDIAN);
        pool.frameLength(handle, EthernetFlyweight.HEADER_LENGTH + Ipv6Header.LENGTH + icmpLength);
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
    }
}
