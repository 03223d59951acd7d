package io.berth.vxlan.wireguard;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.function.IntSupplier;

/**
 * Spliced onto {@code parse.next} ahead of vxlan-decap: a UDP datagram from the uplink to this VTEP's WireGuard
 * port goes to {@link WireGuardDevice#receive}. A transport message that opens leaves as the VXLAN datagram it
 * carried, marked with its peer ({@link PacketPool#sealedBy}), for vxlan-decap; handshakes, cookie replies and
 * keepalives end here; everything refused is counted with its reason. Other packets pass untouched. Expects the
 * outer IPv4 header checked by the parser. Worker thread; allocation-free on the transport path.
 */
public final class WireGuardReceiveNode extends Node
{
    private final WireGuardDevice device;
    private final IntSupplier uplinkPort;
    private final Arc next = declareArc("next");

    public WireGuardReceiveNode(final WireGuardDevice device, final IntSupplier uplinkPort)
    {
        super("wg-receive", WireGuardDrops.WG_MALFORMED, WireGuardDrops.WG_BAD_MAC, WireGuardDrops.WG_AUTH,
            WireGuardDrops.WG_UNKNOWN_KEY, WireGuardDrops.WG_REPLAY, WireGuardDrops.WG_FLOOD,
            WireGuardDrops.WG_UNKNOWN_INDEX, WireGuardDrops.WG_EXPIRED, WireGuardDrops.WG_INNER_ADDRESS,
            WireGuardDrops.WG_UNDER_LOAD);
        this.device = device;
        this.uplinkPort = uplinkPort;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        final int uplink = uplinkPort.getAsInt();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final int frame = pool.frameOffset(handle);
            final int length = pool.frameLength(handle);
            final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
            if (pool.inPort(handle) != uplink || !device.active()
                || length < EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + UdpFlyweight.HEADER_LENGTH
                || (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                != EthernetFlyweight.TYPE_IPV4
                || buffer.getByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) != Ipv4Flyweight.PROTO_UDP
                || buffer.getInt(ip + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN) != device.localIp())
            {
                graph.enqueue(next, handle);
                continue;
            }
            final int ihl = (buffer.getByte(ip) & 0xF) * 4;
            final int udp = ip + ihl;
            final int total = buffer.getShort(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (udp + UdpFlyweight.HEADER_LENGTH > ip + total
                || (buffer.getShort(udp + UdpFlyweight.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                != device.listenPort())
            {
                graph.enqueue(next, handle);
                continue;
            }
            final int udpLength = buffer.getShort(udp + UdpFlyweight.LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (Ipv4Flyweight.isFragment(buffer, frame, length) || udpLength < UdpFlyweight.HEADER_LENGTH
                || udp + udpLength > ip + total)
            {
                graph.drop(handle, WireGuardDrops.WG_MALFORMED);
                continue;
            }
            final int verdict = device.receive(handle, udp + UdpFlyweight.HEADER_LENGTH,
                udpLength - UdpFlyweight.HEADER_LENGTH,
                buffer.getInt(ip + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                buffer.getShort(udp + UdpFlyweight.SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF);
            if (verdict == WireGuardDevice.DELIVER)
            {
                pool.sealedBy(handle, device.deliveredPeer());
                graph.enqueue(next, handle);
            }
            else if (verdict == WireGuardDevice.CONSUMED)
            {
                graph.delivered(handle);
            }
            else
            {
                graph.drop(handle, device.dropReason());
            }
        }
    }
}
