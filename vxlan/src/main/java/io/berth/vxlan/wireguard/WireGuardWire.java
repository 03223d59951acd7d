package io.berth.vxlan.wireguard;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.vxlan.VxlanTunnelPort;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * What a {@link WireGuardDevice} puts on the wire: UDP datagrams from the uplink address and the WireGuard port to
 * a peer's endpoint, each in a fresh packet the uplink sends and the pool takes back: transport messages sealed
 * straight from where the plaintext lies, and handshake messages written by the caller. Worker thread;
 * transport messages allocate nothing.
 */
final class WireGuardWire
{
    private static final int HEADERS = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
        + UdpFlyweight.HEADER_LENGTH;

    private final PacketPool pool;
    private final UnsafeBuffer buffer;
    private final VxlanTunnelPort.NextHop nextHop;
    private final ChaChaPoly aead = new ChaChaPoly();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private Port uplink;
    private long localMac;
    private int localIp;
    private int listenPort = WireGuardDevice.DEFAULT_PORT;

    WireGuardWire(final PacketPool pool, final VxlanTunnelPort.NextHop nextHop)
    {
        this.pool = pool;
        this.buffer = pool.buffer();
        this.nextHop = nextHop;
    }

    void listen(final Port uplink, final int address, final int port, final long mac)
    {
        this.uplink = uplink;
        this.localIp = address;
        this.listenPort = port;
        this.localMac = mac;
    }

    boolean ready()
    {
        return uplink != null;
    }

    int localIp()
    {
        return localIp;
    }

    int listenPort()
    {
        return listenPort;
    }

    /**
     * One transport message carrying {@code length} bytes at {@code at} in the pool's buffer (0: a keepalive),
     * padded to 16 with zeros written just past them (the packet's slot has the room), sealed straight into a
     * fresh packet.
     */
    boolean sendTransport(final Peer peer, final Keypair keypair, final int at, final int length, final long now)
    {
        final int padded = (length + 15) & ~15;
        final int out = pool.allocate();
        if (out == PacketPool.NO_PACKET)
        {
            return false;
        }
        try
        {
            final int message = headers(out, Protocol.TRANSPORT_OVERHEAD + padded, peer.endpointIp, peer.endpointPort);
            if (message < 0)
            {
                return false;
            }
            final long counter = keypair.sendCounter++;
            buffer.putInt(message, Protocol.TYPE_TRANSPORT, ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(message + 4, keypair.remoteIndex, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(message + 8, counter, ByteOrder.LITTLE_ENDIAN);
            if (padded > length)
            {
                buffer.setMemory(at + length, padded - length, (byte)0);
            }
            aead.seal(keypair.sendKey, 0, (int)counter, (int)(counter >>> 32), null, 0, 0, buffer, at, padded, buffer,
                message + Protocol.TRANSPORT_HEADER_LENGTH);
            if (!uplink.transmit(pool, out))
            {
                return false;
            }
            peer.lastSentMs = now;
            if (length > 0)
            {
                peer.lastDataSentMs = now;
                peer.transmittedBytes += length;
            }
            return true;
        }
        finally
        {
            pool.release(out);
        }
    }

    /**
     * Writes Ethernet, IPv4 and UDP headers to {@code destination} into a fresh packet for a payload of
     * {@code payload} bytes; returns the payload's offset, or -1 when the next hop is not resolved yet.
     */
    private int headers(final int handle, final int payload, final int destination, final int destinationPort)
    {
        final long mac = nextHop.macFor(destination);
        if (mac == VxlanTunnelPort.NextHop.UNRESOLVED)
        {
            return -1;
        }
        final int frame = pool.frameOffset(handle);
        ethernet.wrap(buffer, frame).destination(mac).source(localMac).etherType(EthernetFlyweight.TYPE_IPV4);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int ipLength = Ipv4Flyweight.MIN_HEADER_LENGTH + UdpFlyweight.HEADER_LENGTH + payload;
        ipv4.wrap(buffer, ip).fill(ipLength, 64, Ipv4Flyweight.PROTO_UDP, localIp, destination);
        final int udp = ip + Ipv4Flyweight.MIN_HEADER_LENGTH;
        buffer.putShort(udp + UdpFlyweight.SOURCE_PORT_OFFSET, (short)listenPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpFlyweight.DESTINATION_PORT_OFFSET, (short)destinationPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpFlyweight.LENGTH_OFFSET, (short)(UdpFlyweight.HEADER_LENGTH + payload), ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + UdpFlyweight.CHECKSUM_OFFSET, (short)0);
        pool.frameLength(handle, HEADERS + payload);
        pool.clearVnetHeader(handle);
        return frame + HEADERS;
    }

    /** Sends a handshake message built by {@code writer} into a fresh packet. */
    void sendHandshake(final int destination, final int destinationPort, final int length,
        final MessageWriter writer)
    {
        final int out = pool.allocate();
        if (out == PacketPool.NO_PACKET)
        {
            return;
        }
        try
        {
            final int message = headers(out, length, destination, destinationPort);
            if (message >= 0)
            {
                writer.write(message);
                uplink.transmit(pool, out);
            }
        }
        finally
        {
            pool.release(out);
        }
    }

    @FunctionalInterface
    interface MessageWriter
    {
        void write(int at);
    }
}
