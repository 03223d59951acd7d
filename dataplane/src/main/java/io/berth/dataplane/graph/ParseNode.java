package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * First stage: checks that what the headers claim fits in the frame, so later stages can read headers without
 * bounds checks. Malformed and truncated frames are counted by reason and dropped; nothing here throws.
 * Owned by the worker thread.
 */
public final class ParseNode extends Node
{
    private final Arc next = declareArc("next");
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    /** Arc {@code next} takes well-formed frames. */
    public ParseNode()
    {
        super("parse", DropReason.FRAME_TOO_SHORT, DropReason.FRAME_TOO_LONG, DropReason.SOURCE_MAC_INVALID,
            DropReason.ARP_TRUNCATED, DropReason.ARP_MALFORMED, DropReason.IPV4_TRUNCATED, DropReason.IPV4_MALFORMED);
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final DropReason problem = check(buffer, pool.frameOffset(handle), pool.frameLength(handle));
            if (problem == null)
            {
                graph.enqueue(next, handle);
            }
            else
            {
                graph.drop(handle, problem);
            }
        }
    }

    /** Null when the frame is sound, else why not. */
    DropReason check(final UnsafeBuffer buffer, final int offset, final int length)
    {
        if (length < EthernetFlyweight.HEADER_LENGTH)
        {
            return DropReason.FRAME_TOO_SHORT;
        }
        if (length > PacketPool.MAX_FRAME)
        {
            return DropReason.FRAME_TOO_LONG;
        }
        ethernet.wrap(buffer, offset);
        final long source = ethernet.source();
        if (source == 0 || EthernetFlyweight.isMulticast(source))
        {
            return DropReason.SOURCE_MAC_INVALID;
        }
        final int payload = length - EthernetFlyweight.HEADER_LENGTH;
        switch (ethernet.etherType())
        {
            case EthernetFlyweight.TYPE_ARP:
                if (payload < ArpFlyweight.LENGTH)
                {
                    return DropReason.ARP_TRUNCATED;
                }
                return arp.wrap(buffer, ethernet.payloadOffset()).isEthernetIpv4() ? null : DropReason.ARP_MALFORMED;
            case EthernetFlyweight.TYPE_IPV4:
                if (payload < Ipv4Flyweight.MIN_HEADER_LENGTH)
                {
                    return DropReason.IPV4_TRUNCATED;
                }
                ipv4.wrap(buffer, ethernet.payloadOffset());
                final int headerLength = ipv4.headerLength();
                if (ipv4.version() != 4 || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH)
                {
                    return DropReason.IPV4_MALFORMED;
                }
                final int totalLength = ipv4.totalLength();
                if (totalLength < headerLength)
                {
                    return DropReason.IPV4_MALFORMED;
                }
                if (totalLength > payload)
                {
                    return DropReason.IPV4_TRUNCATED;
                }
                return null;
            default:
                return null; // IPv6 and others are switched at L2 as they are
        }
    }
}
