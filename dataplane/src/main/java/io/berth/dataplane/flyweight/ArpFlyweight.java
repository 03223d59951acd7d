package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * ARP for Ethernet/IPv4 (RFC 826), the only kind a container network carries.
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     hardware type (1)         |    protocol type (0x0800)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | hw len (6)    | proto len (4) |       operation (1 req, 2 rep)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              sender hardware address (6)  ...                 |
 * |  ...   sender protocol address (4)  |  target hw address (6)  |
 * |  ...                                | target protocol addr (4)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class ArpFlyweight
{
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_MAC_OFFSET = 8;
    public static final int SENDER_IP_OFFSET = 14;
    public static final int TARGET_MAC_OFFSET = 18;
    public static final int TARGET_IP_OFFSET = 24;
    public static final int LENGTH = 28;

    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private UnsafeBuffer buffer;
    private int offset;

    public ArpFlyweight wrap(final UnsafeBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Ethernet hardware, IPv4 protocol, lengths 6 and 4. */
    public boolean isEthernetIpv4()
    {
        return buffer.getShort(offset + HARDWARE_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) == 1
            && buffer.getShort(offset + PROTOCOL_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) == 0x0800
            && buffer.getByte(offset + HARDWARE_LENGTH_OFFSET) == 6
            && buffer.getByte(offset + PROTOCOL_LENGTH_OFFSET) == 4;
    }

    public int operation()
    {
        return buffer.getShort(offset + OPERATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public ArpFlyweight operation(final int op)
    {
        buffer.putShort(offset + OPERATION_OFFSET, (short)op, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long senderMac()
    {
        return EthernetFlyweight.readMac(buffer, offset + SENDER_MAC_OFFSET);
    }

    public ArpFlyweight senderMac(final long mac)
    {
        EthernetFlyweight.writeMac(buffer, offset + SENDER_MAC_OFFSET, mac);
        return this;
    }

    public int senderIp()
    {
        return buffer.getInt(offset + SENDER_IP_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ArpFlyweight senderIp(final int ip)
    {
        buffer.putInt(offset + SENDER_IP_OFFSET, ip, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long targetMac()
    {
        return EthernetFlyweight.readMac(buffer, offset + TARGET_MAC_OFFSET);
    }

    public ArpFlyweight targetMac(final long mac)
    {
        EthernetFlyweight.writeMac(buffer, offset + TARGET_MAC_OFFSET, mac);
        return this;
    }

    public int targetIp()
    {
        return buffer.getInt(offset + TARGET_IP_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ArpFlyweight targetIp(final int ip)
    {
        buffer.putInt(offset + TARGET_IP_OFFSET, ip, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Writes a whole Ethernet/IPv4 ARP header. */
    public ArpFlyweight fill(final int op, final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        buffer.putShort(offset + HARDWARE_TYPE_OFFSET, (short)1, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + PROTOCOL_TYPE_OFFSET, (short)0x0800, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + HARDWARE_LENGTH_OFFSET, (byte)6);
        buffer.putByte(offset + PROTOCOL_LENGTH_OFFSET, (byte)4);
        return operation(op).senderMac(senderMac).senderIp(senderIp).targetMac(targetMac).targetIp(targetIp);
    }
}
