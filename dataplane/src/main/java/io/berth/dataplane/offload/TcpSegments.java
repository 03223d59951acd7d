package io.berth.dataplane.offload;

import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * What cutting a TCP stream into segments needs, shared by {@link TcpSegmenter}, {@link UdpGsoEncapsulation} and
 * {@link UdpGsoDecapsulation}: reading an Ethernet/IPv4/TCP frame's header lengths and first-segment fields, and writing one segment's
 * lengths, id, sequence number, flags and checksums. A reader holds the last frame it parsed. Worker thread;
 * allocation-free.
 */
public final class TcpSegments
{
    /** IPv4 header length of the last frame {@link #parse}d. */
    public int ihl;
    /** TCP header length. */
    public int thl;
    /** Ethernet + IPv4 + TCP. */
    public int headerLength;
    /** The frame's IPv4 identification, TCP sequence number and flags: the first segment's. */
    public int id;
    public int sequence;
    public int flags;
    /** The pseudo-header sum of source, destination and protocol, without the length. */
    public long pseudo;

    /** Reads the frame's header lengths; false (nothing to cut) unless it is Ethernet/IPv4/TCP with sane ones. */
    public boolean parse(final UnsafeBuffer buffer, final int frame, final int length)
    {
        if (length < EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH
            || (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
            != EthernetFlyweight.TYPE_IPV4)
        {
            return false;
        }
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        ihl = (buffer.getByte(ip) & 0xF) * 4;
        if (ihl < Ipv4Flyweight.MIN_HEADER_LENGTH
            || (buffer.getByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF) != Ipv4Flyweight.PROTO_TCP
            || length < EthernetFlyweight.HEADER_LENGTH + ihl + TcpFlyweight.MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int tcp = ip + ihl;
        thl = ((buffer.getByte(tcp + TcpFlyweight.DATA_OFFSET_OFFSET) & 0xF0) >> 4) * 4;
        headerLength = EthernetFlyweight.HEADER_LENGTH + ihl + thl;
        id = buffer.getShort(ip + Ipv4Flyweight.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        sequence = buffer.getInt(tcp + TcpFlyweight.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
        flags = buffer.getByte(tcp + TcpFlyweight.FLAGS_OFFSET) & 0xFF;
        pseudo = halves(buffer.getInt(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN))
            + halves(buffer.getInt(ip + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN)) + Ipv4Flyweight.PROTO_TCP;
        return thl >= TcpFlyweight.MIN_HEADER_LENGTH && headerLength <= length;
    }

    /** FIN and PSH on the last segment only, CWR on the first only. */
    public static int segmentFlags(final int flags, final int k, final int segments)
    {
        int result = flags;
        if (k != segments - 1)
        {
            result &= ~(TcpFlyweight.FIN | TcpFlyweight.PSH);
        }
        if (k != 0)
        {
            result &= ~0x80; // CWR
        }
        return result;
    }

    /**
     * One segment's IPv4 total length, id and header checksum, and its TCP sequence, flags and full checksum.
     *
     * @param pseudo the pseudo-header sum of source, destination and protocol (without the length).
     */
    public static void fixSegment(final UnsafeBuffer buffer, final int ip, final int ihl, final int thl, final int chunk,
        final int id, final int sequence, final int flags, final long pseudo)
    {
        fixSegmentApart(buffer, ip, ihl, thl, ip + ihl + thl, chunk, id, sequence, flags, pseudo);
    }

    /**
     * {@link #fixSegment} for a segment whose headers and payload may lie apart: the headers at {@code ip}, the
     * {@code chunk} payload bytes at {@code payload} (a gathered write joins them).
     */
    public static void fixSegmentApart(final UnsafeBuffer buffer, final int ip, final int ihl, final int thl,
        final int payload, final int chunk, final int id, final int sequence, final int flags, final long pseudo)
    {
        final int tcp = ip + ihl;
        buffer.putShort(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, (short)(ihl + thl + chunk), ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + Ipv4Flyweight.IDENTIFICATION_OFFSET, (short)id, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + Ipv4Flyweight.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(ip + Ipv4Flyweight.CHECKSUM_OFFSET, (short)Checksums.internet(buffer, ip, ihl, 0),
            ByteOrder.BIG_ENDIAN);
        buffer.putInt(tcp + TcpFlyweight.SEQUENCE_OFFSET, sequence, ByteOrder.BIG_ENDIAN);
        buffer.putByte(tcp + TcpFlyweight.FLAGS_OFFSET, (byte)flags);
        buffer.putShort(tcp + TcpFlyweight.CHECKSUM_OFFSET, (short)0);
        // the TCP header is a whole number of 16-bit words, so the two partial sums add up to the segment's
        final long sum = Checksums.sum(buffer, tcp, thl, 0) + Checksums.sum(buffer, payload, chunk, 0);
        final int checksum = ~Checksums.fold(sum + pseudo + thl + chunk) & 0xFFFF;
        buffer.putShort(tcp + TcpFlyweight.CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
    }

    /** The two 16-bit halves of an address, summed: its part of a pseudo-header sum. */
    public static long halves(final int address)
    {
        return ((address >>> 16) & 0xFFFF) + (address & 0xFFFF);
    }
}
