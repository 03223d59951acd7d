package io.berth.l3;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Turns a packet the router cannot forward into the ICMP error about it (RFC 792: the offending IPv4 header and
 * the first 8 bytes of its payload quoted), in place, addressed back to its sender. Worker thread.
 * <pre>
 *  before: | eth | IPv4 hdr (ihl) | payload ...                  |
 *  after:  | eth | IPv4 (20) | ICMP (8) | quoted IPv4 hdr | 8 bytes |
 * </pre>
 */
public final class IcmpErrors
{
    private static final int QUOTED_PAYLOAD = 8;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    /** Rewrites the packet into the error from {@code routerIp}/{@code routerMac}; it goes back out its in-port. */
    public void rewrite(final PacketPool pool, final int handle, final int type, final int code, final int routerIp, final long routerMac)
    {
        rewrite(pool, handle, type, code, 0, routerIp, routerMac);
    }

    /** Destination unreachable, fragmentation needed (RFC 1191): the next-hop MTU in the second word. */
    public void rewriteFragmentationNeeded(final PacketPool pool, final int handle, final int nextHopMtu, final int routerIp,
        final long routerMac)
    {
        rewrite(pool, handle, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, CODE_FRAGMENTATION_NEEDED, nextHopMtu & 0xFFFF,
            routerIp, routerMac);
    }

    public static final int CODE_FRAGMENTATION_NEEDED = 4;

    private void rewrite(final PacketPool pool, final int handle, final int type, final int code, final int secondWord,
        final int routerIp, final long routerMac)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        ethernet.wrap(buffer, frame);
        ipv4.wrap(buffer, ethernet.payloadOffset());
        final int quoted = Math.min(ipv4.headerLength() + QUOTED_PAYLOAD, ipv4.totalLength()); // not the padding
        final int sender = ipv4.source();
        final long senderMac = ethernet.source();
        final int quoteFrom = ethernet.payloadOffset();
        final int quoteTo = quoteFrom + Ipv4Flyweight.MIN_HEADER_LENGTH + IcmpFlyweight.HEADER_LENGTH;
        for (int i = quoted - 1; i >= 0; i--) // regions overlap: copy from the end
        {
            buffer.putByte(quoteTo + i, buffer.getByte(quoteFrom + i));
        }
        final int icmpOffset = quoteFrom + Ipv4Flyweight.MIN_HEADER_LENGTH;
        buffer.putByte(icmpOffset, (byte)type);
        buffer.putByte(icmpOffset + 1, (byte)code);
        buffer.putShort(icmpOffset + 2, (short)0);
        buffer.putInt(icmpOffset + 4, secondWord, ByteOrder.BIG_ENDIAN); // unused, or the next-hop MTU
        final int icmpLength = IcmpFlyweight.HEADER_LENGTH + quoted;
        buffer.putShort(icmpOffset + 2, (short)Checksums.internet(buffer, icmpOffset, icmpLength, 0), ByteOrder.BIG_ENDIAN);
        final int totalLength = Ipv4Flyweight.MIN_HEADER_LENGTH + icmpLength;
        ipv4.fill(totalLength, 64, Ipv4Flyweight.PROTO_ICMP, routerIp, sender);
        ethernet.destination(senderMac).source(routerMac).etherType(EthernetFlyweight.TYPE_IPV4);
        pool.frameLength(handle, EthernetFlyweight.HEADER_LENGTH + totalLength);
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
    }
}
