package io.berth.vxlan;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Where containers' frames enter the router (spliced onto {@code gateway.route}): a container's UDP datagram to a
 * known VTEP's tunnel port is dropped ({@code vxlan_from_container}). Masqueraded to the uplink address, which is
 * this host's VTEP address, it would reach the other VTEP with a store host's source and be taken for tunnel
 * traffic: a container could write frames into any overlay, internal ones included. Only the first fragment
 * carries the port; later ones cannot be reassembled without it. Everything else passes untouched. Worker
 * thread; allocation-free.
 */
public final class TunnelPortGuardNode extends Node
{
    private final VxlanTunnels tunnels;
    private final Arc next = declareArc("next");
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    public TunnelPortGuardNode(final VxlanTunnels tunnels)
    {
        super("vtep-guard", VxlanDrops.VXLAN_FROM_CONTAINER);
        this.tunnels = tunnels;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        final boolean active = tunnels.active();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            if (active && toTunnelPort(buffer, pool.frameOffset(handle), pool.frameLength(handle)))
            {
                graph.drop(handle, VxlanDrops.VXLAN_FROM_CONTAINER);
            }
            else
            {
                graph.enqueue(next, handle);
            }
        }
    }

    private boolean toTunnelPort(final UnsafeBuffer buffer, final int frame, final int length)
    {
        ethernet.wrap(buffer, frame);
        if (ethernet.etherType() != EthernetFlyweight.TYPE_IPV4)
        {
            return false;
        }
        ipv4.wrap(buffer, ethernet.payloadOffset());
        if (ipv4.protocol() != Ipv4Flyweight.PROTO_UDP || !tunnels.isKnownVtep(ipv4.destination()))
        {
            return false;
        }
        final int fragmentOffset = buffer.getShort(ethernet.payloadOffset() + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET,
            ByteOrder.BIG_ENDIAN) & 0x1FFF;
        final int udpAt = ipv4.payloadOffset();
        if (fragmentOffset != 0 || udpAt + UdpFlyweight.HEADER_LENGTH > frame + length)
        {
            return false; // parse checked the lengths; a later fragment carries no port
        }
        udp.wrap(buffer, udpAt);
        return tunnels.isTunnelUdpPort(udp.destinationPort());
    }
}
