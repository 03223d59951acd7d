package io.berth.vxlan;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.FrameCheck;
import io.berth.dataplane.graph.Node;

import java.util.function.IntSupplier;

/**
 * Spliced onto {@code parse.next}: a frame from the uplink that is a VXLAN datagram for this VTEP leaves as its
 * inner frame, with the tunnel port of (VNI, source VTEP) as in-port, so port security and the switch treat it
 * like a frame from a local port (MACs behind a kernel peer are learned and aged on its tunnel port). Refused and
 * counted, each with its reason: a fragmented or malformed datagram, an unknown VNI, a source that is neither a
 * store host nor a listed peer, an inner frame the parser would refuse. Everything else passes untouched.
 * Worker thread; allocation-free.
 */
public final class VxlanDecapNode extends Node
{
    private final VxlanTunnels tunnels;
    private final IntSupplier uplinkPort;
    private final Arc next = declareArc("next");
    private final VxlanDecapsulation decapsulation = new VxlanDecapsulation();
    private final FrameCheck innerCheck = new FrameCheck();

    /** @param uplinkPort the uplink's port id now (it is attached after the graph is built). */
    public VxlanDecapNode(final VxlanTunnels tunnels, final IntSupplier uplinkPort)
    {
        super("vxlan-decap", DropReason.VXLAN_MALFORMED, DropReason.VXLAN_FRAGMENTED, DropReason.VXLAN_UNKNOWN_VNI,
            DropReason.VXLAN_UNKNOWN_SOURCE, DropReason.FRAME_TOO_SHORT, DropReason.FRAME_TOO_LONG,
            DropReason.SOURCE_MAC_INVALID, DropReason.ARP_TRUNCATED, DropReason.ARP_MALFORMED,
            DropReason.IPV4_TRUNCATED, DropReason.IPV4_MALFORMED);
        this.tunnels = tunnels;
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
            if (pool.inPort(handle) != uplink || tunnels.localVtep() == 0)
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
                graph.drop(handle, DropReason.VXLAN_UNKNOWN_VNI);
                continue;
            }
            final int tunnel = tunnels.tunnelPort(decapsulation.vni(), decapsulation.sourceVtep());
            if (tunnel == VxlanTunnels.NONE)
            {
                graph.drop(handle, DropReason.VXLAN_UNKNOWN_SOURCE);
                continue;
            }
            decapsulation.strip(pool, handle);
            final DropReason inner = innerCheck.check(pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle));
            if (inner != null)
            {
                graph.drop(handle, inner);
                continue;
            }
            pool.inPort(handle, tunnel);
            graph.enqueue(next, handle);
        }
    }
}
