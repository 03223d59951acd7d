package io.berth.vxlan;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Recognises a VXLAN datagram for this VTEP and takes the inner frame out, in place (the outer headers are
 * popped, nothing is copied). A frame that is not UDP to the VTEP's address and port is none of its business
 * ({@link #NOT_VXLAN}). One that is, is checked before anything is believed:
 * <ul>
 * <li>the outer IPv4 is not a fragment ({@link DropReason#VXLAN_FRAGMENTED}: RFC 7348 forbids fragmenting, and
 * only the first fragment would hold the header);</li>
 * <li>the UDP length agrees with the IPv4 length, there is room for the VXLAN header and an inner Ethernet
 * header, and the I flag is set ({@link DropReason#VXLAN_MALFORMED}); reserved bits are ignored, as the RFC says;</li>
 * <li>a zero UDP checksum is accepted (RFC 7348 section 5); a non-zero one is not verified.</li>
 * </ul>
 * Which VNIs and which source VTEPs are welcome is the caller's table. Expects the outer IPv4 header checked by
 * the parser (header and total length within the frame). Worker thread; allocation-free.
 */
public final class VxlanDecapsulation
{
    /** {@link #inspect}: not for this VTEP, leave the packet alone. */
    public static final int NOT_VXLAN = 0;
    /** {@link #inspect}: a valid datagram: {@link #vni()} and {@link #sourceVtep()} are set, {@link #strip} next. */
    public static final int VALID = 1;
    /** {@link #inspect}: a fragmented outer packet to the VTEP ({@link DropReason#VXLAN_FRAGMENTED}). */
    public static final int FRAGMENTED = -1;
    /** {@link #inspect}: lengths, room or the I flag wrong ({@link DropReason#VXLAN_MALFORMED}). */
    public static final int MALFORMED = -2;

    /** The drop reason of a negative {@link #inspect} result. */
    public static DropReason dropReason(final int result)
    {
        return result == FRAGMENTED ? VxlanDrops.VXLAN_FRAGMENTED : VxlanDrops.VXLAN_MALFORMED;
    }

    private int vni;
    private int sourceVtep;
    private int innerOffset;

    /** @return {@link #NOT_VXLAN}, {@link #VALID}, {@link #FRAGMENTED} or {@link #MALFORMED}. */
    public int inspect(final PacketPool pool, final int handle, final int localVtep, final int udpPort)
    {
        return inspect(pool, handle, localVtep, udpPort, udpPort);
    }

    /** The same for a VTEP that listens on two ports (4789 and Linux's 8472, for networks that use each). */
    public int inspect(final PacketPool pool, final int handle, final int localVtep, final int udpPort,
        final int otherUdpPort)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int length = pool.frameLength(handle);
        if (length < EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
            || (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != EthernetFlyweight.TYPE_IPV4)
        {
            return NOT_VXLAN;
        }
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int ihl = (buffer.getByte(ip) & 0xF) * 4;
        if ((buffer.getByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF) != Ipv4Flyweight.PROTO_UDP
            || buffer.getInt(ip + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN) != localVtep)
        {
            return NOT_VXLAN;
        }
        final int flagsOffset = buffer.getShort(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int total = buffer.getShort(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int l4 = ip + ihl;
        if ((flagsOffset & 0x1FFF) != 0)
        {
            // a later fragment has no UDP header to tell the port by: it goes on (the VTEP address is also
            // berthd's uplink address, whose published ports take fragmented datagrams); the first fragment of a
            // fragmented VXLAN datagram is what is counted and dropped, and reassembly gives up on the rest
            return NOT_VXLAN;
        }
        if (total < ihl + UdpFlyweight.HEADER_LENGTH)
        {
            return NOT_VXLAN;
        }
        final int port = buffer.getShort(l4 + UdpFlyweight.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (port != udpPort && port != otherUdpPort)
        {
            return NOT_VXLAN;
        }
        if ((flagsOffset & 0x2000) != 0)
        {
            return FRAGMENTED;
        }
        final int udpLength = buffer.getShort(l4 + UdpFlyweight.LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int inner = l4 + UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.HEADER_LENGTH;
        if (udpLength != total - ihl
            || udpLength < UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.HEADER_LENGTH + EthernetFlyweight.HEADER_LENGTH
            || ((buffer.getByte(l4 + UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.FLAGS_OFFSET) & 0xFF) & VxlanFlyweight.FLAG_I) == 0)
        {
            return MALFORMED;
        }
        vni = buffer.getInt(l4 + UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.VNI_OFFSET, ByteOrder.BIG_ENDIAN) >>> 8;
        sourceVtep = buffer.getInt(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        innerOffset = inner - frame;
        innerLength = udpLength - UdpFlyweight.HEADER_LENGTH - VxlanFlyweight.HEADER_LENGTH;
        return VALID;
    }

    private int innerLength;

    public int vni()
    {
        return vni;
    }

    public int sourceVtep()
    {
        return sourceVtep;
    }

    /** After a valid {@link #inspect}: where the inner frame starts, from the outer frame's start. */
    public int innerOffset()
    {
        return innerOffset;
    }

    /** After a valid {@link #inspect}: the inner frame's length (of all of them, for a UDP GSO super-datagram). */
    public int innerLength()
    {
        return innerLength;
    }

    /**
     * After a valid {@link #inspect}: the packet becomes the inner frame (outer padding cut off). A checksum the
     * sender left to the device (a kernel peer's inner TCP, CHECKSUM_PARTIAL across a veth) stays pending, its
     * offsets moved to the inner frame (and so does a segmentation request); anything else the device said was about
     * the outer packet.
     */
    public void strip(final PacketPool pool, final int handle)
    {
        vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
        final boolean pending = (vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0
            && vnet.csumStart() >= innerOffset;
        final int csumStart = vnet.csumStart() - innerOffset;
        final int csumOffset = vnet.csumOffset();
        final int gsoType = vnet.gsoType();
        final int gsoSize = vnet.gsoSize();
        final int hdrLen = Math.max(0, vnet.hdrLen() - innerOffset);
        pool.adjustFrameStart(handle, innerOffset);
        pool.frameLength(handle, innerLength);
        pool.clearVnetHeader(handle);
        if (pending)
        {
            vnet.wrap(pool.buffer(), pool.vnetOffset(handle))
                .set(VirtioNetHeader.F_NEEDS_CSUM, gsoType, hdrLen, gsoSize, csumStart, csumOffset); // GSO too
        }
    }

    private final VirtioNetHeader vnet = new VirtioNetHeader();
}
