package io.berth.vxlan;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Puts an Ethernet frame into VXLAN, in place: the outer headers go into the packet's headroom in front of the
 * frame, which is not copied.
 * <pre>
 *  before:                                            | inner Ethernet frame ... |
 *  after:  | eth (14) | IPv4 (20) | UDP (8) | VXLAN (8) | inner Ethernet frame ... |
 *            next hop   DF, TTL 64  sport = FlowHash     I, VNI
 *            <- ours    local->remote VTEP  dport, checksum 0 (RFC 7348: SHOULD be zero)
 * </pre>
 * The outer DF bit is set: VTEPs must not fragment (RFC 7348 section 4.3), so the overlay's MTU leaves room for
 * the 50 bytes instead. Worker thread; allocation-free.
 */
public final class VxlanEncapsulation
{
    /** Outer Ethernet + IPv4 + UDP + VXLAN. */
    public static final int OVERHEAD = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
        + UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.HEADER_LENGTH;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final VxlanFlyweight vxlan = new VxlanFlyweight();

    /**
     * @return false, changing nothing, when the result would exceed an IPv4 packet (the caller drops it).
     */
    public boolean encapsulate(final PacketPool pool, final int handle, final int vni, final int localVtep,
        final int remoteVtep, final int udpPort, final long localMac, final long nextHopMac)
    {
        final int innerLength = pool.frameLength(handle);
        final int ipLength = Ipv4Flyweight.MIN_HEADER_LENGTH + UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.HEADER_LENGTH
            + innerLength;
        if (ipLength > 65535)
        {
            return false;
        }
        final UnsafeBuffer buffer = pool.buffer();
        final int sourcePort = FlowHash.sourcePort(buffer, pool.frameOffset(handle), innerLength);
        pool.adjustFrameStart(handle, -OVERHEAD);
        final int frame = pool.frameOffset(handle);
        ethernet.wrap(buffer, frame).destination(nextHopMac).source(localMac).etherType(EthernetFlyweight.TYPE_IPV4);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        ipv4.wrap(buffer, ip).fill(ipLength, 64, Ipv4Flyweight.PROTO_UDP, localVtep, remoteVtep); // DF, checksum
        final int l4 = ip + Ipv4Flyweight.MIN_HEADER_LENGTH;
        udp.wrap(buffer, l4).sourcePort(sourcePort).destinationPort(udpPort);
        buffer.putShort(l4 + UdpFlyweight.LENGTH_OFFSET, (short)(ipLength - Ipv4Flyweight.MIN_HEADER_LENGTH), ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + UdpFlyweight.CHECKSUM_OFFSET, (short)0);
        vxlan.wrap(buffer, l4 + UdpFlyweight.HEADER_LENGTH).fill(vni);
        return true;
    }
}
