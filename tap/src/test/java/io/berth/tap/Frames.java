package io.berth.tap;

import io.berth.dataplane.PacketPool;
import org.agrona.concurrent.UnsafeBuffer;

/** Golden ARP frames for tests. */
final class Frames
{
    static final int ARP_FRAME_LENGTH = 42;
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    private Frames()
    {
    }

    static byte[] ip(final int a, final int b, final int c, final int d)
    {
        return new byte[] {(byte)a, (byte)b, (byte)c, (byte)d};
    }

    /** Ethernet + ARP (request: op 1, reply: op 2) for IPv4 over Ethernet. */
    static byte[] arp(final int op, final byte[] dst, final byte[] src, final byte[] sha, final byte[] spa,
        final byte[] tha, final byte[] tpa)
    {
        final byte[] f = new byte[ARP_FRAME_LENGTH];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x06;
        f[14] = 0;
        f[15] = 1;      // htype Ethernet
        f[16] = 0x08;
        f[17] = 0;      // ptype IPv4
        f[18] = 6;
        f[19] = 4;
        f[20] = 0;
        f[21] = (byte)op;
        System.arraycopy(sha, 0, f, 22, 6);
        System.arraycopy(spa, 0, f, 28, 4);
        System.arraycopy(tha, 0, f, 32, 6);
        System.arraycopy(tpa, 0, f, 38, 4);
        return f;
    }

    /** Allocates a packet holding {@code frame} with a zeroed virtio-net header. */
    static int packet(final PacketPool pool, final byte[] frame)
    {
        final int h = pool.allocate();
        pool.clearVnetHeader(h);
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        return h;
    }

    static byte[] frameOf(final PacketPool pool, final int h)
    {
        final byte[] bytes = new byte[pool.frameLength(h)];
        pool.buffer().getBytes(pool.frameOffset(h), bytes);
        return bytes;
    }

    static byte[] vnetOf(final PacketPool pool, final int h)
    {
        final byte[] bytes = new byte[PacketPool.VNET_HDR_LEN];
        final UnsafeBuffer b = pool.buffer();
        b.getBytes(pool.vnetOffset(h), bytes);
        return bytes;
    }

    static boolean isArp(final byte[] frame)
    {
        return frame.length >= 14 && frame[12] == 0x08 && frame[13] == 0x06;
    }
}
