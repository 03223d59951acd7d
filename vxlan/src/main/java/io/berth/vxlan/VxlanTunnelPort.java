package io.berth.vxlan;

import io.berth.dataplane.offload.TcpSegmenter;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortBase;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;
import io.berth.dataplane.flyweight.Ipv4Flyweight;

/**
 * One remote VTEP of one overlay network, as the switch sees it: a port id in the network's MAC table and flood
 * list (so head-end replication is the flood list). Sending on it puts the frame into VXLAN towards the VTEP,
 * hands it to the uplink port and takes the outer headers off again, so the same packet goes on unchanged to the
 * next copy of a flood; the virtio-net header in front of the frame is saved and put back around that. Frames
 * that came in from a tunnel are not sent into another (split horizon: the hosts are a full mesh, none relays).
 * It never receives: decapsulated frames enter through the decapsulation stage with this port as in-port.
 * <p>
 * Partial checksums are completed and TSO frames cut into segments here ({@link TcpSegmenter}), in place, each
 * segment in its own datagram with a right inner checksum. An encrypted network's port hands each datagram to
 * its {@link TunnelSeal} instead of the uplink. Worker thread; allocation-free.
 */
public final class VxlanTunnelPort extends PortBase.SendOnly
{
    /** The MAC to send to for an underlay address (the next hop's), or {@link #UNRESOLVED}. */
    @FunctionalInterface
    public interface NextHop
    {
        long UNRESOLVED = -1;

        long macFor(int underlayAddress);
    }

    private final int vni;
    private final int remoteVtep;
    private final VxlanTunnels tunnels;
    private final Port uplink;
    private final long localMac;
    private final NextHop nextHop;
    /** An encrypted network's: the datagrams go sealed through it, not straight to the uplink. Else null. */
    private final TunnelSeal seal;
    private final VxlanEncapsulation encapsulation = new VxlanEncapsulation();
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    /** What the segmenter keeps free in front of each segment: the virtio-net header and the VXLAN headers. */
    static final int SEGMENT_ROOM = PacketPool.VNET_HDR_LEN + VxlanEncapsulation.OVERHEAD;
    private final TcpSegmenter segmenter = new TcpSegmenter(SEGMENT_ROOM);
    private final UdpGsoEncapsulation udpGso = new UdpGsoEncapsulation();
    /** {@code -Dberth.vxlan.udp-gso=false}: one write per segment (the comparison in docs/performance.md). */
    static final boolean UDP_GSO = !"false".equals(System.getProperty("berth.vxlan.udp-gso"));
    private final TcpSegmenter.SegmentSink encapsulateAndSend = this::sendOne;
    private long nextHopMac;

    public VxlanTunnelPort(final int id, final int vni, final int remoteVtep, final VxlanTunnels tunnels, final Port uplink,
        final long localMac, final NextHop nextHop)
    {
        this(id, vni, remoteVtep, tunnels, uplink, localMac, nextHop, null);
    }

    /** @param seal for an encrypted network, what seals and sends its datagrams; null for a clear one. */
    public VxlanTunnelPort(final int id, final int vni, final int remoteVtep, final VxlanTunnels tunnels, final Port uplink,
        final long localMac, final NextHop nextHop, final TunnelSeal seal)
    {
        super(id, "vxlan" + vni + ":" + Ipv4Flyweight.format(remoteVtep));
        this.vni = vni;
        this.remoteVtep = remoteVtep;
        this.tunnels = tunnels;
        this.uplink = uplink;
        this.localMac = localMac;
        this.nextHop = nextHop;
        this.seal = seal;
    }

    public int remoteVtep()
    {
        return remoteVtep;
    }

    public int vni()
    {
        return vni;
    }

    @Override
    public boolean transmit(final PacketPool pool, final int handle)
    {
        if (tunnels.isTunnelPort(pool.inPort(handle)))
        {
            return true; // split horizon: not an error, and nothing to send
        }
        final long mac = nextHop.macFor(remoteVtep);
        if (mac == NextHop.UNRESOLVED)
        {
            counters.increment(PortCounters.TX_ERRORS);
            return false;
        }
        nextHopMac = mac;
        vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
        if (vnet.isSegmented())
        {
            // TSO from a container: its segments, each in its own VXLAN datagram, in one UDP GSO write per 64 KiB
            if (UDP_GSO && seal == null) // each sealed datagram is a WireGuard message of its own
            {
                final int groups = udpGso.send(pool, handle, uplink, vni, tunnels.localVtep(), remoteVtep,
                    tunnels.udpPortOf(vni), localMac, mac);
                if (groups >= 0)
                {
                    if (groups > 0)
                    {
                        counters.transmitted(pool.frameLength(handle));
                        return true;
                    }
                    counters.increment(PortCounters.TX_ERRORS);
                    return false;
                }
            }
            // or one write per segment (no scratch packet free, or UDP GSO switched off)
            final int sent = segmenter.segment(pool, handle, encapsulateAndSend);
            if (sent < 0)
            {
                counters.increment(PortCounters.TX_ERRORS);
                return false;
            }
            return sent > 0;
        }
        if ((vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0)
        {
            vnet.completeChecksum(pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle)); // for every later copy too
        }
        return sendOne(pool, handle);
    }

    /** Encapsulates the frame, hands it to the uplink and takes the outer headers off again. */
    private boolean sendOne(final PacketPool pool, final int handle)
    {
        final int innerLength = pool.frameLength(handle);
        final UnsafeBuffer buffer = pool.buffer();
        final int vnetAt = pool.vnetOffset(handle);
        final long vnetHead = buffer.getLong(vnetAt);
        final short vnetTail = buffer.getShort(vnetAt + 8);
        if (!encapsulation.encapsulate(pool, handle, vni, tunnels.localVtep(), remoteVtep, tunnels.udpPortOf(vni),
            localMac, nextHopMac))
        {
            counters.increment(PortCounters.TX_ERRORS);
            return false;
        }
        pool.clearVnetHeader(handle); // the outer datagram: no checksum pending, no segmentation
        final boolean sent = seal == null ? uplink.transmit(pool, handle) : seal.seal(handle, remoteVtep);
        pool.adjustFrameStart(handle, VxlanEncapsulation.OVERHEAD); // back to the inner frame for the next copy
        buffer.putLong(vnetAt, vnetHead);
        buffer.putShort(vnetAt + 8, vnetTail);
        if (sent)
        {
            counters.transmitted(innerLength);
        }
        else
        {
            counters.increment(PortCounters.TX_ERRORS);
        }
        return sent;
    }

    /**
     * Takes partial checksums and TSO frames: the transmit stage hands them over as they are, and this port
     * completes the checksum or cuts the segments itself, just before encapsulating.
     */
    @Override
    public boolean offloads()
    {
        return true;
    }

    @Override
    public void close()
    {
    }
}
