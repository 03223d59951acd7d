package io.berth.vxlan;

import io.berth.dataplane.offload.TcpSegmenter;
import io.berth.dataplane.offload.TcpSegments;
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

import java.nio.ByteBuffer;
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
 * When the uplink {@link Port#gathers() gathers} (a TAP or AF_PACKET fd: writev), the chunks are not copied: the
 * scratch packet holds only the headers, and one struct iovec per piece points at the outer headers, each
 * segment's headers in scratch and its chunk where it lies in the TSO frame. The kernel's one copy into its skb
 * then replaces berth's copy into scratch.
 * <pre>
 *  scratch packet: | vnet | eth | IPv4 | UDP | VXLAN | eth | ip | tcp | VXLAN | eth | ip | tcp | ...
 *  iovecs:         [ vnet + outer      ][ headers 0       ][chunk 0 in the TSO frame][ headers 1 ][chunk 1] ...
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
    private static final int IOVEC_SIZE = 16;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final VxlanFlyweight vxlan = new VxlanFlyweight();
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final TcpSegments headers = new TcpSegments();
    /** struct iovec[1 + 2 * MAX_SEGMENTS] for a gathering uplink: the outer headers, then per segment its headers and payload. */
    private final UnsafeBuffer iovecArray = new UnsafeBuffer(
        ByteBuffer.allocateDirect(IOVEC_SIZE * (1 + 2 * MAX_SEGMENTS)).order(ByteOrder.nativeOrder()));
    private final long iovecAddress = iovecArray.addressOffset();

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
        if (!headers.parse(buffer, frame, length))
        {
            return -1;
        }
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int ihl = headers.ihl;
        final int tcp = ip + ihl;
        final int thl = headers.thl;
        final int headerLength = headers.headerLength;
        final int payload = length - headerLength;
        final int unit = VxlanFlyweight.HEADER_LENGTH + headerLength + mss;
        if (payload <= mss || mss <= 0
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
            final boolean gather = uplink.gathers();
            final long base = pool.baseAddress();
            final int sourcePort = FlowHash.sourcePort(buffer, frame, length);
            final int perGroup = Math.min(MAX_SEGMENTS, (MAX_IP_PAYLOAD - UdpFlyweight.HEADER_LENGTH) / unit);
            final int segments = (payload + mss - 1) / mss;
            final int id = headers.id;
            final int sequence = headers.sequence;
            final int flags = headers.flags;
            final long pseudo = headers.pseudo;
            int sentGroups = 0;
            for (int first = 0; first < segments; first += perGroup)
            {
                final int last = Math.min(segments, first + perGroup) - 1;
                final int out = pool.frameOffset(scratch);
                int at = out + OUTER;
                int datagramEnd = at;
                int iovecs = 0;
                if (gather)
                {
                    iovecs = iovec(iovecs, base + pool.vnetOffset(scratch), PacketPool.VNET_HDR_LEN + OUTER);
                }
                for (int k = first; k <= last; k++)
                {
                    final int chunk = Math.min(mss, payload - k * mss);
                    final int source = frame + headerLength + k * mss;
                    vxlan.wrap(buffer, at).fill(vni);
                    final int inner = at + VxlanFlyweight.HEADER_LENGTH;
                    buffer.putBytes(inner, buffer, frame, headerLength);
                    final int segmentFlags = TcpSegments.segmentFlags(flags, k, segments);
                    if (gather)
                    {
                        // only the headers go to scratch; the payload is written from where the container put it
                        TcpSegments.fixSegmentApart(buffer, inner + EthernetFlyweight.HEADER_LENGTH, ihl, thl, source,
                            chunk, id + k, sequence + k * mss, segmentFlags, pseudo);
                        iovecs = iovec(iovecs, base + at, VxlanFlyweight.HEADER_LENGTH + headerLength);
                        iovecs = iovec(iovecs, base + source, chunk);
                        at = inner + headerLength;
                    }
                    else
                    {
                        buffer.putBytes(inner + headerLength, buffer, source, chunk);
                        TcpSegments.fixSegment(buffer, inner + EthernetFlyweight.HEADER_LENGTH, ihl, thl, chunk, id + k,
                            sequence + k * mss, segmentFlags, pseudo);
                        at = inner + headerLength + chunk;
                    }
                    datagramEnd += VxlanFlyweight.HEADER_LENGTH + headerLength + chunk;
                }
                final int udpLength = datagramEnd - (out + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH);
                ethernet.wrap(buffer, out).destination(nextHopMac).source(localMac).etherType(EthernetFlyweight.TYPE_IPV4);
                final int outerIp = out + EthernetFlyweight.HEADER_LENGTH;
                ipv4.wrap(buffer, outerIp).fill(Ipv4Flyweight.MIN_HEADER_LENGTH + udpLength, 64, Ipv4Flyweight.PROTO_UDP,
                    localVtep, remoteVtep);
                final int udp = outerIp + Ipv4Flyweight.MIN_HEADER_LENGTH;
                buffer.putShort(udp + UdpFlyweight.SOURCE_PORT_OFFSET, (short)sourcePort, ByteOrder.BIG_ENDIAN);
                buffer.putShort(udp + UdpFlyweight.DESTINATION_PORT_OFFSET, (short)udpPort, ByteOrder.BIG_ENDIAN);
                buffer.putShort(udp + UdpFlyweight.LENGTH_OFFSET, (short)udpLength, ByteOrder.BIG_ENDIAN);
                pool.frameLength(scratch, datagramEnd - out);
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
                    final long udpPseudo = TcpSegments.halves(localVtep) + TcpSegments.halves(remoteVtep) + Ipv4Flyweight.PROTO_UDP
                        + udpLength;
                    buffer.putShort(udp + UdpFlyweight.CHECKSUM_OFFSET, (short)Checksums.fold(udpPseudo),
                        ByteOrder.BIG_ENDIAN);
                    header.set(VirtioNetHeader.F_NEEDS_CSUM, GSO_UDP_L4, OUTER, unit,
                        EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH, UdpFlyweight.CHECKSUM_OFFSET);
                }
                if (gather ? uplink.transmitGathered(iovecAddress, iovecs, datagramEnd - out)
                    : uplink.transmit(pool, scratch))
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

    /** Fills struct iovec number {@code index}; returns the next index. */
    private int iovec(final int index, final long address, final int length)
    {
        iovecArray.putLong(index * IOVEC_SIZE, address);
        iovecArray.putLong(index * IOVEC_SIZE + 8, length);
        return index + 1;
    }
}
