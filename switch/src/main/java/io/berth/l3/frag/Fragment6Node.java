package io.berth.l3.frag;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import io.berth.l3.L3Drops;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * IPv6 datagrams berth reassembled ({@link Reassembly}) leave as fragments again, no larger than the largest one
 * they came in (Linux's frag_max_size): routers never fragment IPv6 for the egress MTU (routing answered Packet
 * Too Big for that), but conntrack and NAT66 needed the datagram whole, so it is cut back into what its sender
 * chose. Each fragment carries the unfragmentable part (the fixed header, hop-by-hop and routing headers), a
 * Fragment header with a fresh identification, and its share of the rest. Everything else passes untouched.
 * <pre>
 *  in:   | eth | IPv6 | unfragmentable ext | rest (p bytes)                                |
 *  out:  | eth | IPv6 | unfragmentable ext | Fragment (0, M=1, id) | rest[0, c)          |  c = (size - unfrag - 8) & ~7
 *        | eth | IPv6 | unfragmentable ext | Fragment (c, M=0, id) | rest[c, p)          |
 * </pre>
 * Worker thread; allocation-free (fragments are pool packets).
 */
public final class Fragment6Node extends Node
{
    private final FragmentCounters counters;
    private final Arc next = declareArc("next");
    private int identification = (int)System.nanoTime();

    /** Arc {@code next} takes every packet and fragment (transmit). */
    public Fragment6Node(final FragmentCounters counters)
    {
        super("ip6-fragment", L3Drops.FRAG_NO_BUFFER);
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
            final int size = pool.fragmentSize(handle);
            final int ipLength = pool.frameLength(handle) - EthernetFlyweight.HEADER_LENGTH;
            if (size == 0 || ipLength <= size)
            {
                graph.enqueue(next, handle);
                continue;
            }
            fragment(pool, buffer, handle, size);
        }
    }

    private void fragment(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int size)
    {
        final int frame = pool.frameOffset(handle);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int end = Math.min(frame + pool.frameLength(handle),
            ip + Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip));
        // the unfragmentable part: the fixed header, then hop-by-hop and routing headers
        int patch = ip + Ipv6Header.NEXT_HEADER_OFFSET;
        int at = ip + Ipv6Header.LENGTH;
        int nextHeader = Ipv6Header.nextHeader(buffer, ip);
        while ((nextHeader == 0 || nextHeader == 43) && at + 8 <= end)
        {
            patch = at;
            nextHeader = buffer.getByte(at) & 0xFF;
            at += ((buffer.getByte(at + 1) & 0xFF) + 1) * 8;
        }
        final int header = at - frame;
        final int rest = end - at;
        final int chunk = (size - (at - ip) - 8) & ~7;
        if (chunk < 8 || at > end || pool.available() < (rest + chunk - 1) / chunk)
        {
            graph.drop(handle, L3Drops.FRAG_NO_BUFFER); // all or nothing: half a datagram is worth nothing
            return;
        }
        final int id = ++identification;
        int made = 0;
        for (int offset = 0; offset < rest; offset += chunk)
        {
            final int length = Math.min(chunk, rest - offset);
            final boolean last = offset + length >= rest;
            final int piece = pool.allocate();
            final int to = pool.frameOffset(piece);
            buffer.putBytes(to, buffer, frame, header);
            buffer.putByte(to + (patch - frame), (byte)Ipv6Header.PROTO_FRAGMENT);
            final int fragmentHeader = to + header;
            buffer.putByte(fragmentHeader, (byte)nextHeader);
            buffer.putByte(fragmentHeader + 1, (byte)0);
            buffer.putShort(fragmentHeader + 2, (short)(offset | (last ? 0 : 1)), ByteOrder.BIG_ENDIAN);
            buffer.putInt(fragmentHeader + 4, id, ByteOrder.BIG_ENDIAN);
            buffer.putBytes(fragmentHeader + 8, buffer, at + offset, length);
            buffer.putShort(to + EthernetFlyweight.HEADER_LENGTH + Ipv6Header.PAYLOAD_LENGTH_OFFSET,
                (short)(header - EthernetFlyweight.HEADER_LENGTH - Ipv6Header.LENGTH + 8 + length), ByteOrder.BIG_ENDIAN);
            pool.frameLength(piece, header + 8 + length);
            Pieces.inherit(pool, piece, handle);
            graph.enqueueCreated(next, piece);
            made++;
        }
        counters.fragmented(made);
        graph.merged(handle);
    }
}
