package io.berth.l3;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Turns a TCP segment for a port nobody listens on into the RST a host sends back (RFC 9293 3.10.7.1), in place:
 * if the segment had ACK, the reset takes its sequence number from that ACK; otherwise it acknowledges what the
 * segment occupied. Worker thread.
 */
public final class TcpResets
{
    private static final int LENGTH = Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();

    /** @return false (packet untouched) for a segment that must not be answered: a RST, or one cut short. */
    public boolean rewrite(final PacketPool pool, final int handle, final long ourMac)
    {
        final UnsafeBuffer buffer = pool.buffer();
        ethernet.wrap(buffer, pool.frameOffset(handle));
        ipv4.wrap(buffer, ethernet.payloadOffset());
        final int tcpOffset = ipv4.payloadOffset();
        final int ipEnd = ipv4.offset() + ipv4.totalLength();
        if (tcpOffset + TcpFlyweight.MIN_HEADER_LENGTH > ipEnd)
        {
            return false;
        }
        tcp.wrap(buffer, tcpOffset);
        final int flags = tcp.flags();
        final int segmentLength = ipEnd - tcpOffset - tcp.headerLength();
        if ((flags & TcpFlyweight.RST) != 0 || segmentLength < 0)
        {
            return false;
        }
        final int theirSeq = buffer.getInt(tcpOffset + TcpFlyweight.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int theirAck = buffer.getInt(tcpOffset + TcpFlyweight.ACK_OFFSET, ByteOrder.BIG_ENDIAN);
        final int sourcePort = tcp.sourcePort();
        final int destinationPort = tcp.destinationPort();
        final int source = ipv4.source();
        final int destination = ipv4.destination();
        final long peerMac = ethernet.source();

        final int newTcp = ipv4.offset() + Ipv4Flyweight.MIN_HEADER_LENGTH;
        tcp.wrap(buffer, newTcp);
        tcp.sourcePort(destinationPort).destinationPort(sourcePort);
        if ((flags & TcpFlyweight.ACK) != 0)
        {
            buffer.putInt(newTcp + TcpFlyweight.SEQUENCE_OFFSET, theirAck, ByteOrder.BIG_ENDIAN);
            buffer.putInt(newTcp + TcpFlyweight.ACK_OFFSET, 0, ByteOrder.BIG_ENDIAN);
            buffer.putByte(newTcp + TcpFlyweight.FLAGS_OFFSET, (byte)TcpFlyweight.RST);
        }
        else
        {
            final int occupied = segmentLength + ((flags & TcpFlyweight.SYN) != 0 ? 1 : 0) + ((flags & TcpFlyweight.FIN) != 0 ? 1 : 0);
            buffer.putInt(newTcp + TcpFlyweight.SEQUENCE_OFFSET, 0, ByteOrder.BIG_ENDIAN);
            buffer.putInt(newTcp + TcpFlyweight.ACK_OFFSET, theirSeq + occupied, ByteOrder.BIG_ENDIAN);
            buffer.putByte(newTcp + TcpFlyweight.FLAGS_OFFSET, (byte)(TcpFlyweight.RST | TcpFlyweight.ACK));
        }
        buffer.putByte(newTcp + TcpFlyweight.DATA_OFFSET_OFFSET, (byte)(5 << 4));
        buffer.putShort(newTcp + TcpFlyweight.WINDOW_OFFSET, (short)0);
        buffer.putShort(newTcp + TcpFlyweight.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(newTcp + TcpFlyweight.CHECKSUM_OFFSET + 2, (short)0); // urgent pointer
        final long pseudo = ((destination >>> 16) & 0xFFFF) + (destination & 0xFFFF) + ((source >>> 16) & 0xFFFF)
            + (source & 0xFFFF) + Ipv4Flyweight.PROTO_TCP + TcpFlyweight.MIN_HEADER_LENGTH;
        tcp.checksum(Checksums.internet(buffer, newTcp, TcpFlyweight.MIN_HEADER_LENGTH, Checksums.fold(pseudo)));
        ipv4.fill(LENGTH, 64, Ipv4Flyweight.PROTO_TCP, destination, source);
        ethernet.destination(peerMac).source(ourMac);
        pool.frameLength(handle, EthernetFlyweight.HEADER_LENGTH + LENGTH);
        pool.clearVnetHeader(handle);
        pool.egress(handle, pool.inPort(handle));
        return true;
    }
}
