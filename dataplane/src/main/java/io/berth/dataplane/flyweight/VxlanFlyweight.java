package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * VXLAN header (RFC 7348 section 5), carried in UDP (IANA port 4789) after outer Ethernet and IPv4.
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * I must be 1 for a valid VNI; the reserved bits are sent as zero and ignored on receipt.
 */
public final class VxlanFlyweight
{
    public static final int FLAGS_OFFSET = 0;
    public static final int VNI_OFFSET = 4;
    public static final int HEADER_LENGTH = 8;
    public static final int FLAG_I = 0x08;
    public static final int IANA_PORT = 4789;
    public static final int MAX_VNI = (1 << 24) - 1;

    private UnsafeBuffer buffer;
    private int offset;

    public VxlanFlyweight wrap(final UnsafeBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    /** The I flag: the VNI field is valid. */
    public boolean hasVni()
    {
        return (flags() & FLAG_I) != 0;
    }

    public int vni()
    {
        return buffer.getInt(offset + VNI_OFFSET, ByteOrder.BIG_ENDIAN) >>> 8;
    }

    /** Writes a header with only I set and {@code vni}, every reserved bit zero. */
    public VxlanFlyweight fill(final int vni)
    {
        buffer.putInt(offset + FLAGS_OFFSET, FLAG_I << 24, ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + VNI_OFFSET, vni << 8, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
