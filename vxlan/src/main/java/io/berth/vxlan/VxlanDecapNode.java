package io.berth.vxlan;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import io.berth.dataplane.flyweight.VxlanFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.FrameCheck;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.function.IntSupplier;

/**
 * Spliced onto {@code parse.next}: a frame from the uplink that is a VXLAN datagram for this VTEP leaves as its
 * inner frame, with the tunnel port of (VNI, source VTEP) as in-port, so port security and the switch treat it
 * like a frame from a local port (MACs behind a kernel peer are learned and aged on its tunnel port). Refused and
 * counted, each with its reason: a fragmented or malformed datagram, an unknown VNI, a source that is neither a
 * store host nor a listed peer, an inner frame the parser would refuse, and an inner frame whose source the
 * tunnel may not claim ({@link InnerSourceCheck}: mac_spoof, arp_spoof, spoofed_source, counted here rather than
 * at port security, so a refusal says it came out of a tunnel), and a clear datagram for an encrypted network
 * (only those wg-receive opened, {@link PacketPool#sealedBy}, are taken for it). Everything else passes untouched.
 * Worker thread; allocation-free.
 */
public final class VxlanDecapNode extends Node
{
    private final VxlanTunnels tunnels;
    private final IntSupplier uplinkPort;
    private final Arc next = declareArc("next");
    private final VxlanDecapsulation decapsulation = new VxlanDecapsulation();
    private final FrameCheck innerCheck = new FrameCheck();
    private final InnerSourceCheck sourceCheck;

    /** A decap node that trusts every inner source (tests of the wire alone). */
    public VxlanDecapNode(final VxlanTunnels tunnels, final IntSupplier uplinkPort)
    {
        this(tunnels, uplinkPort, InnerSourceCheck.TRUST_ALL);
    }

    /**
     * @param uplinkPort  the uplink's port id now (it is attached after the graph is built).
     * @param sourceCheck what a tunnel's inner frames may claim to be (the store's endpoints).
     */
    public VxlanDecapNode(final VxlanTunnels tunnels, final IntSupplier uplinkPort, final InnerSourceCheck sourceCheck)
    {
        super("vxlan-decap", VxlanDrops.VXLAN_MALFORMED, VxlanDrops.VXLAN_FRAGMENTED, VxlanDrops.VXLAN_UNKNOWN_VNI,
            VxlanDrops.VXLAN_UNKNOWN_SOURCE, VxlanDrops.VXLAN_NO_BUFFER, VxlanDrops.VXLAN_CLEAR_ON_ENCRYPTED, DropReason.FRAME_TOO_SHORT, DropReason.FRAME_TOO_LONG,
            DropReason.SOURCE_MAC_INVALID, DropReason.ARP_TRUNCATED, DropReason.ARP_MALFORMED,
            DropReason.IPV4_TRUNCATED, DropReason.IPV4_MALFORMED, DropReason.MAC_SPOOF, DropReason.ARP_SPOOF,
            DropReason.SPOOFED_SOURCE);
        this.tunnels = tunnels;
        this.sourceCheck = sourceCheck;
        this.uplinkPort = uplinkPort;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final int uplink = uplinkPort.getAsInt();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (pool.inPort(handle) != uplink || !tunnels.active())
            {
                graph.enqueue(next, handle);
                continue;
            }
            final int verdict = decapsulation.inspect(pool, handle, tunnels.localVtep(), tunnels.udpPort(),
                tunnels.otherUdpPort());
            if (verdict == VxlanDecapsulation.NOT_VXLAN)
            {
                graph.enqueue(next, handle);
                continue;
            }
            if (verdict != VxlanDecapsulation.VALID)
            {
                graph.drop(handle, VxlanDecapsulation.dropReason(verdict));
                continue;
            }
            if (tunnels.domainOf(decapsulation.vni()) == VxlanTunnels.NONE)
            {
                graph.drop(handle, VxlanDrops.VXLAN_UNKNOWN_VNI);
                continue;
            }
            if (pool.sealedBy(handle) == 0 && tunnels.encrypted(decapsulation.vni()))
            {
                graph.drop(handle, VxlanDrops.VXLAN_CLEAR_ON_ENCRYPTED); // whoever sent it: only sealed ones count
                continue;
            }
            final int tunnel = tunnels.tunnelPort(decapsulation.vni(), decapsulation.sourceVtep());
            if (tunnel == VxlanTunnels.NONE)
            {
                graph.drop(handle, VxlanDrops.VXLAN_UNKNOWN_SOURCE);
                continue;
            }
            vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
            if (vnet.gsoType() == UdpGsoEncapsulation.GSO_UDP_L4 && vnet.gsoSize() > 0)
            {
                superDatagram(pool, handle, tunnel, decapsulation.vni(), vnet.gsoSize());
                continue;
            }
            decapsulation.strip(pool, handle);
            deliver(pool, handle, tunnel);
        }
    }

    /**
     * Many VXLAN datagrams in one (a berth sender's UDP GSO, kept whole by a veth): one inner TSO frame when they
     * are one TCP stream, else each its own packet (a copy into a fresh one; none free: that datagram is lost
     * and counted as vxlan_no_buffer, as a full queue would lose it; a bad one is counted by its reason).
     */
    private void superDatagram(final PacketPool pool, final int handle, final int tunnel, final int vni, final int unit)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int base = frame + decapsulation.innerOffset() - VxlanFlyweight.HEADER_LENGTH;
        final int total = decapsulation.innerLength() + VxlanFlyweight.HEADER_LENGTH;
        final int innerStart = base + VxlanFlyweight.HEADER_LENGTH;
        final int length = coalescer.coalesce(buffer, base, total, unit, vni, vnet, innerStart - PacketPool.VNET_HDR_LEN);
        if (length > 0)
        {
            pool.adjustFrameStart(handle, innerStart - frame);
            pool.frameLength(handle, length);
            deliver(pool, handle, tunnel);
            return;
        }
        final int units = (total + unit - 1) / unit;
        for (int k = 1; k < units; k++)
        {
            final int at = base + k * unit;
            final int size = Math.min(unit, total - k * unit) - VxlanFlyweight.HEADER_LENGTH;
            if (size <= 0 || (buffer.getByte(at) & VxlanFlyweight.FLAG_I) == 0
                || buffer.getInt(at + VxlanFlyweight.VNI_OFFSET,
                ByteOrder.BIG_ENDIAN) >>> 8 != vni)
            {
                graph.countDrop(VxlanDrops.VXLAN_MALFORMED);
                continue;
            }
            final int innerAt = at + VxlanFlyweight.HEADER_LENGTH;
            DropReason problem = innerCheck.check(buffer, innerAt, size); // before it is a packet of its own
            if (problem == null)
            {
                problem = sourceCheck.check(tunnel, buffer, innerAt, innerAt + size);
            }
            if (problem != null)
            {
                graph.countDrop(problem);
                continue;
            }
            final int copy = pool.allocate();
            if (copy == PacketPool.NO_PACKET)
            {
                graph.countDrop(VxlanDrops.VXLAN_NO_BUFFER);
                continue;
            }
            buffer.putBytes(pool.frameOffset(copy), buffer, innerAt, size);
            pool.frameLength(copy, size);
            pool.clearVnetHeader(copy);
            pool.inPort(copy, tunnel);
            graph.enqueueCreated(next, copy);
        }
        pool.adjustFrameStart(handle, innerStart - frame);
        pool.frameLength(handle, Math.min(unit, total) - VxlanFlyweight.HEADER_LENGTH);
        pool.clearVnetHeader(handle);
        deliver(pool, handle, tunnel);
    }

    private void deliver(final PacketPool pool, final int handle, final int tunnel)
    {
        DropReason inner = innerCheck.check(pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle));
        if (inner == null)
        {
            inner = sourceCheck.check(tunnel, pool.buffer(), pool.frameOffset(handle),
                pool.frameOffset(handle) + pool.frameLength(handle));
        }
        if (inner != null)
        {
            graph.drop(handle, inner);
            return;
        }
        pool.inPort(handle, tunnel);
        graph.enqueue(next, handle);
    }

    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final UdpGsoDecapsulation coalescer = new UdpGsoDecapsulation();

}
