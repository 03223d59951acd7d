package io.berth.vxlan;

import io.berth.dataplane.offload.TcpSegments;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The receiving half of {@link UdpGsoEncapsulation}: a UDP GSO super-datagram (GSO_UDP_L4 in its virtio-net
 * header, what a veth hands AF_PACKET whole) holds many VXLAN datagrams of {@code gso_size} bytes each. When
 * they are consecutive segments of one TCP flow on one VNI (what a berth sender makes of a TSO frame), their
 * payloads are moved together in place behind the first segment's headers, and the packet becomes one inner TSO
 * frame (GSO_TCPV4) for the container's TAP: one write instead of one per segment, and the container's kernel
 * sees what GRO would have made. Anything else is left for the caller to split into single datagrams.
 * <pre>
 *  | VXLAN | eth ip tcp | chunk 0 | VXLAN | eth ip tcp | chunk 1 | ...     (units of gso_size bytes)
 *          | eth ip tcp | chunk 0 | chunk 1 | ...                           (after: one TSO frame)
 * </pre>
 * Worker thread; allocation-free.
 */
public final class UdpGsoDecapsulation
{
    private static final int NOT_PLAIN = TcpFlyweight.SYN | TcpFlyweight.RST | 0x20; // SYN, RST, URG
    private final TcpSegments headers = new TcpSegments();

    /**
     * @param base  offset of the first VXLAN header.
     * @param total bytes of all units (the outer UDP payload).
     * @param unit  gso_size: one VXLAN datagram's payload, the last may be shorter.
     * @return the inner TSO frame's length (it starts at {@code base + 8}, its virtio-net header set in
     * {@code vnetAt}), or -1 when the units are not one TCP stream (nothing was changed).
     */
    public int coalesce(final UnsafeBuffer buffer, final int base, final int total, final int unit, final int vni,
        final VirtioNetHeader vnet, final int vnetAt)
    {
        final int units = (total + unit - 1) / unit;
        final int first = base + VxlanFlyweight.HEADER_LENGTH;
        if (units < 2 || !headers.parse(buffer, first, Math.min(unit, total) - VxlanFlyweight.HEADER_LENGTH))
        {
            return -1;
        }
        final int ip0 = first + EthernetFlyweight.HEADER_LENGTH;
        final int ihl = headers.ihl;
        final int tcp0 = ip0 + ihl;
        final int thl = headers.thl;
        final int headerLength = headers.headerLength;
        final int mss = unit - VxlanFlyweight.HEADER_LENGTH - headerLength;
        if (mss <= 0)
        {
            return -1;
        }
        final int sequence0 = headers.sequence;
        int lastFlags = 0;
        int payload = 0;
        // check every unit before moving a byte
        for (int k = 0; k < units; k++)
        {
            final int at = base + k * unit;
            final int size = Math.min(unit, total - k * unit);
            final int inner = at + VxlanFlyweight.HEADER_LENGTH;
            final int ip = inner + EthernetFlyweight.HEADER_LENGTH;
            final int tcp = ip + ihl;
            final int chunk = size - VxlanFlyweight.HEADER_LENGTH - headerLength;
            if (chunk <= 0 || (k < units - 1 && chunk != mss)
                || (buffer.getByte(at + VxlanFlyweight.FLAGS_OFFSET) & VxlanFlyweight.FLAG_I) == 0
                || buffer.getInt(at + VxlanFlyweight.VNI_OFFSET, ByteOrder.BIG_ENDIAN) >>> 8 != vni
                || (buffer.getShort(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                != ihl + thl + chunk
                || (buffer.getShort(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF) != 0
                || buffer.getInt(tcp + TcpFlyweight.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) != sequence0 + k * mss)
            {
                return -1;
            }
            if (k > 0 && !sameHeaders(buffer, first, inner, ihl, thl))
            {
                return -1;
            }
            final int flags = buffer.getByte(tcp + TcpFlyweight.FLAGS_OFFSET) & 0xFF;
            if ((flags & NOT_PLAIN) != 0 || (k < units - 1 && (flags & TcpFlyweight.FIN) != 0))
            {
                return -1;
            }
            lastFlags = flags;
            payload += chunk;
        }
        // move the payloads together behind the first segment's headers (forward copies: regions may overlap)
        int to = first + headerLength + mss;
        for (int k = 1; k < units; k++)
        {
            final int size = Math.min(unit, total - k * unit);
            final int chunk = size - VxlanFlyweight.HEADER_LENGTH - headerLength;
            buffer.putBytes(to, buffer, base + k * unit + VxlanFlyweight.HEADER_LENGTH + headerLength, chunk);
            to += chunk;
        }
        final int tcpLength = thl + payload;
        buffer.putShort(ip0 + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, (short)(ihl + tcpLength), ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip0 + Ipv4Flyweight.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(ip0 + Ipv4Flyweight.CHECKSUM_OFFSET, (short)Checksums.internet(buffer, ip0, ihl, 0),
            ByteOrder.BIG_ENDIAN);
        final int flags0 = headers.flags;
        buffer.putByte(tcp0 + TcpFlyweight.FLAGS_OFFSET,
            (byte)(flags0 | (lastFlags & (TcpFlyweight.FIN | TcpFlyweight.PSH))));
        // a partial checksum, as a sender's TSO frame has it: the pseudo-header sum for the whole segment
        final long pseudo = headers.pseudo + tcpLength;
        buffer.putShort(tcp0 + TcpFlyweight.CHECKSUM_OFFSET, (short)Checksums.fold(pseudo), ByteOrder.BIG_ENDIAN);
        vnet.wrap(buffer, vnetAt).set(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, headerLength, mss,
            EthernetFlyweight.HEADER_LENGTH + ihl, TcpFlyweight.CHECKSUM_OFFSET);
        return headerLength + payload;
    }

    /** MACs, IPv4 addresses and TCP ports, acknowledgement, window and options as in the first segment. */
    private static boolean sameHeaders(final UnsafeBuffer buffer, final int first, final int inner, final int ihl,
        final int thl)
    {
        if (buffer.getLong(first) != buffer.getLong(inner) || buffer.getInt(first + 8) != buffer.getInt(inner + 8)
            || buffer.getShort(first + 12) != buffer.getShort(inner + 12))
        {
            return false;
        }
        final int ipA = first + EthernetFlyweight.HEADER_LENGTH;
        final int ipB = inner + EthernetFlyweight.HEADER_LENGTH;
        if ((buffer.getByte(ipB) & 0xFF) != (buffer.getByte(ipA) & 0xFF)
            || buffer.getLong(ipA + Ipv4Flyweight.SOURCE_OFFSET) != buffer.getLong(ipB + Ipv4Flyweight.SOURCE_OFFSET)
            || buffer.getByte(ipA + Ipv4Flyweight.PROTOCOL_OFFSET) != buffer.getByte(ipB + Ipv4Flyweight.PROTOCOL_OFFSET))
        {
            return false;
        }
        final int tcpA = ipA + ihl;
        final int tcpB = ipB + ihl;
        if (buffer.getInt(tcpA) != buffer.getInt(tcpB)
            || buffer.getInt(tcpA + TcpFlyweight.ACK_OFFSET) != buffer.getInt(tcpB + TcpFlyweight.ACK_OFFSET)
            || buffer.getByte(tcpA + TcpFlyweight.DATA_OFFSET_OFFSET) != buffer.getByte(tcpB + TcpFlyweight.DATA_OFFSET_OFFSET)
            || buffer.getShort(tcpA + TcpFlyweight.WINDOW_OFFSET) != buffer.getShort(tcpB + TcpFlyweight.WINDOW_OFFSET))
        {
            return false;
        }
        int i = TcpFlyweight.MIN_HEADER_LENGTH;
        for (; i + 8 <= thl; i += 8)
        {
            if (buffer.getLong(tcpA + i) != buffer.getLong(tcpB + i))
            {
                return false;
            }
        }
        for (; i < thl; i += 4) // TCP options come in 4-byte words
        {
            if (buffer.getInt(tcpA + i) != buffer.getInt(tcpB + i))
            {
                return false;
            }
        }
        return true;
    }
}
