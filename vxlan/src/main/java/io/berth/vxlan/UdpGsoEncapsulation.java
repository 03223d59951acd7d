package io.berth.vxlan;

import io.berth.dataplane.Port;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * A container's TSO super-frame into VXLAN with one uplink write per ~64 KiB instead of one per segment: the
 * inner frame is cut into TCP segments as {@link TcpSegmenter} does, each put behind its VXLAN header, and all of
 * them laid end to end as the payload of one outer UDP datagram whose virtio-net header asks the kernel for UDP
 * segmentation (GSO_UDP_L4) at exactly one VXLAN datagram per segment. The kernel then cuts it (in the NIC where
 * it can, in software otherwise) into the datagrams a per-segment send would have made, each with its own IP
 * length, id and checksum, and its UDP checksum filled in: UDP segmentation always computes it, so these
 * datagrams carry a valid non-zero checksum where berth's other datagrams carry zero (RFC 7348 allows both; a
 * receiver verifies a non-zero one). A veth keeps the super-datagram whole up to the next AF_PACKET reader, which
 * gets it in one read ({@link UdpGsoDecapsulation} takes it apart).
 * <pre>
 *  scratch packet: | eth | IPv4 | UDP | VXLAN | eth | ip | tcp | chunk 0 | VXLAN | eth | ip | tcp | chunk 1 | ...
 *                   <------- 42 -----> <--------------- gso_size ---------> <------- gso_size ------->
 * </pre>
 * Uses one scratch packet from the pool per group (released before returning). Worker thread; allocation-free.
 */
public final class UdpGsoEncapsulation
{
    /** VIRTIO_NET_HDR_GSO_UDP_L4. */
    public static final int GSO_UDP_L4 = 5;
    /** The kernel's limit on segments per UDP GSO packet (UDP_MAX_SEGMENTS). */
    static final int MAX_SEGMENTS = 64;
    private static final int OUTER = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
        + UdpFlyweight.HEADER_LENGTH;
    private static final int MAX_IP_PAYLOAD = 65535 - Ipv4Flyweight.MIN_HEADER_LENGTH;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final VxlanFlyweight vxlan = new VxlanFlyweight();
    private final VirtioNetHeader vnet = new VirtioNetHeader();

    /**
     * Sends the TSO frame in {@code handle} (left unchanged) towards {@code remoteVtep}.
     *
     * @return the datagram groups the uplink accepted, or -1 when this frame cannot go this way (not IPv4/TCP, no
     * scratch packet free): the caller cuts it one segment at a time instead.
     */
    public int send(final PacketPool pool, final int handle, final Port uplink, final int vni, final int localVtep,
        final int remoteVtep, final int udpPort, final long localMac, final long nextHopMac)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int length = pool.frameLength(handle);
        vnet.wrap(buffer, pool.vnetOffset(handle));
        final int mss = vnet.gsoSize();
        if (length < EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH
            || (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
            != EthernetFlyweight.TYPE_IPV4)
        {
            return -1;
        }
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int ihl = (buffer.getByte(ip) & 0xF) * 4;
        if (ihl < Ipv4Flyweight.MIN_HEADER_LENGTH
            || (buffer.getByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF) != Ipv4Flyweight.PROTO_TCP)
        {
            return -1;
        }
        final int tcp = ip + ihl;
        final int thl = ((buffer.getByte(tcp + TcpFlyweight.DATA_OFFSET_OFFSET) & 0xF0) >> 4) * 4;
        final int headerLength = EthernetFlyweight.HEADER_LENGTH + ihl + thl;
        final int payload = length - headerLength;
        final int unit = VxlanFlyweight.HEADER_LENGTH + headerLength + mss;
        if (thl < TcpFlyweight.MIN_HEADER_LENGTH || payload <= mss || mss <= 0
            || UdpFlyweight.HEADER_LENGTH + 2 * unit > MAX_IP_PAYLOAD)
        {
            return -1;
        }
        final int scratch = pool.allocate();
        if (scratch == PacketPool.NO_PACKET)
        {
            return -1;
        }
        try
        {
            final int sourcePort = FlowHash.sourcePort(buffer, frame, length);
            final int perGroup = Math.min(MAX_SEGMENTS, (MAX_IP_PAYLOAD - UdpFlyweight.HEADER_LENGTH) / unit);
            final int segments = (payload + mss - 1) / mss;
            final int id = buffer.getShort(ip + Ipv4Flyweight.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final int sequence = buffer.getInt(tcp + TcpFlyweight.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
            final int flags = buffer.getByte(tcp + TcpFlyweight.FLAGS_OFFSET) & 0xFF;
            final int source = buffer.getInt(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
            final int destination = buffer.getInt(ip + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
            final long pseudo = halves(source) + halves(destination) + Ipv4Flyweight.PROTO_TCP;
            int sentGroups = 0;
            for (int first = 0; first < segments; first += perGroup)
            {
                final int last = Math.min(segments, first + perGroup) - 1;
                final int out = pool.frameOffset(scratch);
                int at = out + OUTER;
                for (int k = first; k <= last; k++)
                {
                    final int chunk = Math.min(mss, payload - k * mss);
                    vxlan.wrap(buffer, at).fill(vni);
                    final int inner = at + VxlanFlyweight.HEADER_LENGTH;
                    buffer.putBytes(inner, buffer, frame, headerLength);
                    buffer.putBytes(inner + headerLength, buffer, frame + headerLength + k * mss, chunk);
                    fixSegment(buffer, inner + EthernetFlyweight.HEADER_LENGTH, ihl, thl, chunk, id + k,
                        sequence + k * mss, segmentFlags(flags, k, segments), pseudo);
                    at = inner + headerLength + chunk;
                }
                final int udpLength = at - (out + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH);
                ethernet.wrap(buffer, out).destination(nextHopMac).source(localMac).etherType(EthernetFlyweight.TYPE_IPV4);
                final int outerIp = out + EthernetFlyweight.HEADER_LENGTH;
                ipv4.wrap(buffer, outerIp).fill(Ipv4Flyweight.MIN_HEADER_LENGTH + udpLength, 64, Ipv4Flyweight.PROTO_UDP,
                    localVtep, remoteVtep);
                final int udp = outerIp + Ipv4Flyweight.MIN_HEADER_LENGTH;
                buffer.putShort(udp + UdpFlyweight.SOURCE_PORT_OFFSET, (short)sourcePort, ByteOrder.BIG_ENDIAN);
                buffer.putShort(udp + UdpFlyweight.DESTINATION_PORT_OFFSET, (short)udpPort, ByteOrder.BIG_ENDIAN);
                buffer.putShort(udp + UdpFlyweight.LENGTH_OFFSET, (short)udpLength, ByteOrder.BIG_ENDIAN);
                pool.frameLength(scratch, at - out);
                final VirtioNetHeader header = vnet.wrap(buffer, pool.vnetOffset(scratch));
                if (first == last)
                {
                    // a lone last segment: a plain datagram, checksum zero like every other berth sends
                    buffer.putShort(udp + UdpFlyweight.CHECKSUM_OFFSET, (short)0);
                    header.clear();
                }
                else
                {
                    // partial checksum: the pseudo-header sum, which the kernel adjusts for each segment's length
                    final long udpPseudo = halves(localVtep) + halves(remoteVtep) + Ipv4Flyweight.PROTO_UDP + udpLength;
                    buffer.putShort(udp + UdpFlyweight.CHECKSUM_OFFSET, (short)Checksums.fold(udpPseudo),
                        ByteOrder.BIG_ENDIAN);
                    header.set(VirtioNetHeader.F_NEEDS_CSUM, GSO_UDP_L4, OUTER, unit,
                        EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH, UdpFlyweight.CHECKSUM_OFFSET);
                }
                if (uplink.transmit(pool, scratch))
                {
                    sentGroups++;
                }
            }
            return sentGroups;
        }
        finally
        {
            pool.release(scratch);
        }
    }

    /** FIN and PSH on the last segment only, CWR on the first only. */
    static int segmentFlags(final int flags, final int k, final int segments)
    {
        int result = flags;
        if (k != segments - 1)
        {
            result &= ~(TcpFlyweight.FIN | TcpFlyweight.PSH);
        }
        if (k != 0)
        {
            result &= ~0x80;
        }
        return result;
    }

    /** One segment's IPv4 length, id and checksum, and its TCP sequence, flags and full checksum. */
    static void fixSegment(final UnsafeBuffer buffer, final int ip, final int ihl, final int thl, final int chunk,
        final int id, final int sequence, final int flags, final long pseudo)
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
        final int sum = Checksums.internet(buffer, tcp, thl + chunk, 0);
        final int checksum = ~Checksums.fold((~sum & 0xFFFF) + pseudo + thl + chunk) & 0xFFFF;
        buffer.putShort(tcp + TcpFlyweight.CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
    }

    static long halves(final int address)
    {
        return ((address >>> 16) & 0xFFFF) + (address & 0xFFFF);
    }
}
