package io.berth.l3.frag;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l3.L3Drops;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The router's output MTU step, just before transmit: an IPv4 packet larger than its egress port's MTU is cut
 * into fragments that fit (RFC 791: 8-byte aligned offsets, MF on all but the last, the header and its options
 * in each, every header checksum right); a segmented (TSO/GSO) frame instead gets a segment size that fits, so
 * the device or kernel segments it to the egress MTU. DF packets were answered with "fragmentation needed" by
 * routing already; one reaching here (an ICMP error that grew, say) is dropped with that reason. A partial L4
 * checksum left to the device is completed first, since fragments cannot carry one.
 * <pre>
 *  in:   | eth | IPv4 (ihl, off o, MF m) | payload (p bytes)                                  |
 *  out:  | eth | IPv4 (off o, MF 1)      | payload[0, c)      |   c = (mtu - ihl) & ~7
 *        | eth | IPv4 (off o+c/8, MF 1)  | payload[c, 2c)     |
 *        | eth | IPv4 (off o+k*c/8, MF m)| payload[k*c, p)    |
 * </pre>
 * Worker thread; allocation-free (fragments are pool packets).
 */
public final class FragmentNode extends Node
{
    private static final int DF = 0x4000;
    private static final int MF = 0x2000;

    private final PortTable ports;
    private final FragmentCounters counters;
    private final Arc next = declareArc("next");
    private final VirtioNetHeader vnet = new VirtioNetHeader();

    /** Arc {@code next} takes every packet and fragment that fits (transmit). */
    public FragmentNode(final PortTable ports, final FragmentCounters counters)
    {
        super("ip-fragment", L3Drops.FRAG_NEEDED, L3Drops.FRAG_NO_BUFFER);
        this.ports = ports;
        this.counters = counters;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final int egress = pool.egress(handle); // a flood (negative) is switched, never routed: no MTU here
            final int mtu = egress < 0 ? Integer.MAX_VALUE : ports.mtu(egress);
            if (fits(pool, buffer, handle, mtu))
            {
                graph.enqueue(next, handle);
                continue;
            }
            final int frame = pool.frameOffset(handle);
            final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
            final int ihl = (buffer.getByte(ip) & 0xF) * 4;
            vnet.wrap(buffer, pool.vnetOffset(handle));
            if (vnet.isSegmented())
            {
                fitSegments(buffer, handle, ip, ihl, mtu);
                graph.enqueue(next, handle);
                continue;
            }
            final int flagsOffset = buffer.getShort(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if ((flagsOffset & DF) != 0 || mtu - ihl < 8)
            {
                graph.drop(handle, L3Drops.FRAG_NEEDED);
                continue;
            }
            if ((vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0)
            {
                vnet.completeChecksum(buffer, frame, pool.frameLength(handle));
            }
            fragment(pool, buffer, handle, ip, ihl, flagsOffset, mtu);
        }
    }

    /** Not IPv4, or no larger than {@code mtu} (padding after the IPv4 total length does not count). */
    private static boolean fits(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int mtu)
    {
        final int frame = pool.frameOffset(handle);
        final int frameIpLength = pool.frameLength(handle) - EthernetFlyweight.HEADER_LENGTH;
        return frameIpLength <= mtu || frameIpLength < Ipv4Flyweight.MIN_HEADER_LENGTH
            || (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != EthernetFlyweight.TYPE_IPV4
            || (buffer.getShort(frame + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET,
                ByteOrder.BIG_ENDIAN) & 0xFFFF) <= mtu;
    }

    private void fragment(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int ip, final int ihl,
        final int flagsOffset, final int mtu)
    {
        final int totalLength = buffer.getShort(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int payload = Math.min(totalLength, pool.frameLength(handle) - EthernetFlyweight.HEADER_LENGTH) - ihl;
        final int chunk = (mtu - ihl) & ~7;
        final int header = EthernetFlyweight.HEADER_LENGTH + ihl;
        final int baseOffset = flagsOffset & 0x1FFF;
        final boolean lastHasMore = (flagsOffset & MF) != 0;
        if (pool.available() < (payload + chunk - 1) / chunk)
        {
            graph.drop(handle, L3Drops.FRAG_NO_BUFFER); // all or nothing: half a datagram is worth nothing
            return;
        }
        int made = 0;
        for (int at = 0; at < payload; at += chunk)
        {
            final int length = Math.min(chunk, payload - at);
            final boolean last = at + length >= payload;
            final int piece = pool.allocate();
            final int to = pool.frameOffset(piece);
            buffer.putBytes(to, buffer, pool.frameOffset(handle), header);
            buffer.putBytes(to + header, buffer, ip + ihl + at, length);
            final int pieceIp = to + EthernetFlyweight.HEADER_LENGTH;
            buffer.putShort(pieceIp + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, (short)(ihl + length), ByteOrder.BIG_ENDIAN);
            buffer.putShort(pieceIp + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET,
                (short)((baseOffset + (at >>> 3)) | (last && !lastHasMore ? 0 : MF)), ByteOrder.BIG_ENDIAN);
            buffer.putShort(pieceIp + Ipv4Flyweight.CHECKSUM_OFFSET, (short)0);
            buffer.putShort(pieceIp + Ipv4Flyweight.CHECKSUM_OFFSET,
                (short)Checksums.internet(buffer, pieceIp, ihl, 0), ByteOrder.BIG_ENDIAN);
            pool.frameLength(piece, header + length);
            Pieces.inherit(pool, piece, handle);
            graph.enqueueCreated(next, piece);
            made++;
        }
        counters.fragmented(made);
        graph.merged(handle);
    }

    /** A TSO frame: segments of at most the egress MTU (the kernel or NIC cuts them from gso_size). */
    private void fitSegments(final UnsafeBuffer buffer, final int handle, final int ip, final int ihl, final int mtu)
    {
        final int l4Header = vnet.gsoType() == VirtioNetHeader.GSO_UDP ? 8
            : ((buffer.getByte(ip + ihl + 12) & 0xF0) >>> 2); // TCP data offset
        final int fits = mtu - ihl - l4Header;
        if (vnet.gsoSize() > fits && fits > 0)
        {
            vnet.set(vnet.flags(), vnet.gsoType(), vnet.hdrLen(), fits, vnet.csumStart(), vnet.csumOffset());
            counters.count(FragmentCounter.GSO_RESIZED);
        }
    }
}
