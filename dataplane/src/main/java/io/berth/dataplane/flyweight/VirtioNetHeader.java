package io.berth.dataplane.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import java.nio.ByteOrder;

/**
 * struct virtio_net_hdr (linux/virtio_net.h), little-endian as TAP with IFF_VNET_HDR uses it on x86.
 * It tells which checksum the receiver still has to fill in and how a super-frame is to be segmented.
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+-------------------------------+
 * |     flags     |   gso_type    |           hdr_len             |
 * +---------------+---------------+-------------------------------+
 * |           gso_size            |          csum_start           |
 * +-------------------------------+-------------------------------+
 * |          csum_offset          |
 * +-------------------------------+
 * </pre>
 */
public final class VirtioNetHeader
{
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;
    public static final int LENGTH = 10;

    /** VIRTIO_NET_HDR_F_NEEDS_CSUM: checksum from csum_start, stored at csum_start + csum_offset. */
    public static final int F_NEEDS_CSUM = 1;
    /** VIRTIO_NET_HDR_F_DATA_VALID: the checksum was verified already. */
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_ECN = 0x80;

    private UnsafeBuffer buffer;
    private int offset;

    public VirtioNetHeader wrap(final UnsafeBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public int gsoType()
    {
        return buffer.getByte(offset + GSO_TYPE_OFFSET) & 0xFF;
    }

    public boolean isSegmented()
    {
        return (gsoType() & ~GSO_ECN) != GSO_NONE;
    }

    public int hdrLen()
    {
        return buffer.getShort(offset + HDR_LEN_OFFSET) & 0xFFFF;
    }

    public int gsoSize()
    {
        return buffer.getShort(offset + GSO_SIZE_OFFSET) & 0xFFFF;
    }

    public int csumStart()
    {
        return buffer.getShort(offset + CSUM_START_OFFSET) & 0xFFFF;
    }

    public int csumOffset()
    {
        return buffer.getShort(offset + CSUM_OFFSET_OFFSET) & 0xFFFF;
    }

    public VirtioNetHeader set(final int flags, final int gsoType, final int hdrLen, final int gsoSize, final int csumStart, final int csumOffset)
    {
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        buffer.putByte(offset + GSO_TYPE_OFFSET, (byte)gsoType);
        buffer.putShort(offset + HDR_LEN_OFFSET, (short)hdrLen);
        buffer.putShort(offset + GSO_SIZE_OFFSET, (short)gsoSize);
        buffer.putShort(offset + CSUM_START_OFFSET, (short)csumStart);
        buffer.putShort(offset + CSUM_OFFSET_OFFSET, (short)csumOffset);
        return this;
    }

    public VirtioNetHeader clear()
    {
        buffer.setMemory(offset, LENGTH, (byte)0);
        return this;
    }

    /**
     * The sender left the L4 checksum to the device (partial: the field holds the pseudo-header sum): fills it in
     * over the frame at {@code frame} of {@code length} bytes and marks the header "data valid", for a port that
     * cannot take partial checksums or before a packet is cut into fragments. Offsets outside the frame leave the
     * checksum alone and clear the header: the packet goes on unvouched for.
     */
    public void completeChecksum(final UnsafeBuffer frames, final int frame, final int length)
    {
        final int start = csumStart();
        final int field = start + csumOffset();
        if (field + 2 > length)
        {
            set(0, GSO_NONE, 0, 0, 0, 0);
            return;
        }
        final int sum = Checksums.internet(frames, frame + start, length - start, 0);
        // a computed 0 goes out as 0xFFFF: for UDP a 0 would mean "no checksum" (RFC 768), for TCP both are valid
        frames.putShort(frame + field, (short)(sum == 0 ? 0xFFFF : sum), ByteOrder.BIG_ENDIAN);
        set(F_DATA_VALID, GSO_NONE, 0, 0, 0, 0);
    }
}
