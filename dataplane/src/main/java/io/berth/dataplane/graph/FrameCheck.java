package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the parse stage checks of a frame, for every stage that uncovers a frame of its own (the inner frame of a
 * VXLAN datagram): lengths the headers claim fit in the frame, a unicast source MAC, ARP that is Ethernet/IPv4,
 * IPv4 with a sane version and header length. One instance per owning stage (it holds flyweights); worker
 * thread, allocation-free.
 */
public final class FrameCheck
{
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    /** Null when the frame is sound, else why not. */
    public DropReason check(final UnsafeBuffer buffer, final int offset, final int length)
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
