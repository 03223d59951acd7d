package io.berth.l3;

import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Answers ARP requests and pings for an address berthd owns (a gateway, the uplink, the host link) by rewriting
 * the request into the reply in place: no allocation, no copy. One per stage, worker thread.
 */
public final class Responder
{
    public static final int NOT_MINE = 0;
    public static final int ANSWERED = 1;
    public static final int TRUNCATED = 2;
    private static final int REPLY_TTL = 64;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();

    /** An ARP request for {@code ourIp} becomes the reply from {@code ourMac}; the caller sends it back. */
    public boolean answerArp(final UnsafeBuffer buffer, final int frameOffset, final int ourIp, final long ourMac)
    {
        ethernet.wrap(buffer, frameOffset);
        arp.wrap(buffer, ethernet.payloadOffset());
        if (arp.operation() != ArpFlyweight.OP_REQUEST || arp.targetIp() != ourIp)
        {
            return false;
        }
        final long askerMac = arp.senderMac();
        final int askerIp = arp.senderIp();
        arp.operation(ArpFlyweight.OP_REPLY).senderMac(ourMac).senderIp(ourIp).targetMac(askerMac).targetIp(askerIp);
        ethernet.destination(askerMac).source(ourMac);
        return true;
    }

    /**
     * An ICMP echo request to {@code ourIp} becomes the echo reply (checksum updated incrementally for the type
     * change, TTL reset, addresses and MACs swapped).
     *
     * @return {@link #ANSWERED}, {@link #NOT_MINE} (not an unfragmented echo request to us) or {@link #TRUNCATED}.
     */
    public int answerEcho(final UnsafeBuffer buffer, final int frameOffset, final int ourIp, final long ourMac)
    {
        ethernet.wrap(buffer, frameOffset);
        ipv4.wrap(buffer, ethernet.payloadOffset());
        if (ipv4.destination() != ourIp || ipv4.protocol() != Ipv4Flyweight.PROTO_ICMP || ipv4.isFragment())
        {
            return NOT_MINE;
        }
        final int icmpOffset = ipv4.payloadOffset();
        if (icmpOffset + IcmpFlyweight.HEADER_LENGTH > ipv4.offset() + ipv4.totalLength())
        {
            return TRUNCATED; // judged by the IPv4 length: Ethernet padding is not ICMP
        }
        icmp.wrap(buffer, icmpOffset);
        if (icmp.type() != IcmpFlyweight.TYPE_ECHO_REQUEST)
        {
            return NOT_MINE;
        }
        icmp.type(IcmpFlyweight.TYPE_ECHO_REPLY).checksum(0);
        // recomputed, not updated (RFC 1624): the incremental form yields 0x0000 for an all-zero echo
        icmp.checksum(Checksums.internet(buffer, icmpOffset, ipv4.offset() + ipv4.totalLength() - icmpOffset, 0));
        final int asker = ipv4.source();
        ipv4.source(ourIp).destination(asker).ttl(REPLY_TTL).updateChecksum();
        ethernet.destination(ethernet.source()).source(ourMac);
        return ANSWERED;
    }
}
