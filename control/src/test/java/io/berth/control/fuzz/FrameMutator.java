package io.berth.control.fuzz;

import io.berth.dataplane.PacketPool;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Writes random and mutated frames straight into pool slots: seed frames of every kind berth parses, then bit
 * flips, truncations, lengths that lie, IPv4 option soup, rewritten ethertypes and protocols, random virtio-net
 * headers, or plain noise. A xorshift generator with a fixed seed, so a failing run can be repeated.
 * Allocation-free after construction; owned by the thread that drives the graph.
 */
public final class FrameMutator
{
    private static final int[] ETHERTYPES = {0x0800, 0x0806, 0x86DD, 0x8100, 0x88A8, 0x8847, 0x0000, 0xFFFF, 0x05DC};
    private static final int[] PROTOCOLS = {1, 6, 17, 0, 2, 41, 47, 50, 132, 255};

    private final byte[][] seeds;
    private long state;
    private final byte[] scratch = new byte[PacketPool.MAX_FRAME];

    public FrameMutator(final byte[][] seeds, final long seed)
    {
        this.seeds = seeds.clone();
        this.state = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    public long nextLong()
    {
        long x = state;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        state = x;
        return x;
    }

    public int nextInt(final int bound)
    {
        return (int)((nextLong() >>> 1) % bound);
    }

    /**
     * Fills the packet's [virtio-net header | frame] at its default offset and sets its length.
     * @param vnetNoise whether the virtio-net header gets random bits (a port with offloads), else zeros.
     */
    public void fill(final PacketPool pool, final int handle, final boolean vnetNoise)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int length = build();
        buffer.putBytes(frame, scratch, 0, length);
        pool.frameLength(handle, length);
        if (vnetNoise && nextInt(4) == 0)
        {
            final int vnet = pool.vnetOffset(handle);
            for (int i = 0; i < PacketPool.VNET_HDR_LEN; i++)
            {
                buffer.putByte(vnet + i, (byte)nextLong());
            }
        }
        else
        {
            pool.clearVnetHeader(handle);
        }
    }

    /** Builds one frame in {@link #scratch}; returns its length. */
    private int build()
    {
        final byte[] seed = seeds[nextInt(seeds.length)];
        int length = seed.length;
        System.arraycopy(seed, 0, scratch, 0, length);
        final int kind = nextInt(16);
        switch (kind)
        {
            case 0, 1, 2 -> { } // the seed as it is: the graph must still forward or answer it
            case 3, 4 -> flipBits(length, 1 + nextInt(8));
            case 5 -> length = nextInt(length + 1); // truncated, possibly to nothing
            case 6 -> lieAboutIpv4Length();
            case 7 -> optionSoup();
            case 8 -> putShort(12, ETHERTYPES[nextInt(ETHERTYPES.length)]);
            case 9 -> scratch[14 + 9] = (byte)PROTOCOLS[nextInt(PROTOCOLS.length)];
            case 10 -> length = noise(14 + nextInt(1500));
            case 11 -> length = grow(length, nextInt(2000));
            case 12 -> fragment();
            case 13 -> lieAboutArp();
            case 14 -> scratch[14 + 8] = (byte)nextInt(3); // TTL 0..2
            default ->
            {
                flipBits(length, 1 + nextInt(3));
                length = Math.max(0, length - nextInt(8));
            }
        }
        return length;
    }

    private void flipBits(final int length, final int flips)
    {
        if (length == 0)
        {
            return;
        }
        for (int i = 0; i < flips; i++)
        {
            final int bit = nextInt(length * 8);
            scratch[bit >>> 3] ^= (byte)(1 << (bit & 7));
        }
    }

    private void lieAboutIpv4Length()
    {
        switch (nextInt(3))
        {
            case 0 -> putShort(14 + 2, nextInt(65536)); // total length
            case 1 -> scratch[14] = (byte)(0x40 | nextInt(16)); // IHL 0..15
            default -> putShort(14 + 20 + 4, nextInt(65536)); // UDP length / TCP sequence
        }
    }

    private void optionSoup()
    {
        final int ihl = 5 + nextInt(11);
        scratch[14] = (byte)(0x40 | ihl);
        for (int i = 14 + 20; i < 14 + ihl * 4; i++)
        {
            scratch[i] = (byte)nextLong();
        }
    }

    private void fragment()
    {
        final int offset = nextInt(8192);
        final int moreFragments = nextInt(2) << 13;
        putShort(14 + 6, moreFragments | offset);
    }

    private void lieAboutArp()
    {
        putShort(12, 0x0806);
        putShort(14, nextInt(4)); // hardware type
        putShort(14 + 2, nextInt(2) == 0 ? 0x0800 : nextInt(65536));
        scratch[14 + 4] = (byte)nextInt(10);
        scratch[14 + 5] = (byte)nextInt(10);
        putShort(14 + 6, nextInt(4)); // op
    }

    private int noise(final int length)
    {
        for (int i = 0; i < length; i++)
        {
            scratch[i] = (byte)nextLong();
        }
        return length;
    }

    private int grow(final int length, final int extra)
    {
        for (int i = length; i < length + extra; i++)
        {
            scratch[i] = (byte)nextLong();
        }
        return length + extra;
    }

    private void putShort(final int offset, final int value)
    {
        scratch[offset] = (byte)(value >>> 8);
        scratch[offset + 1] = (byte)value;
    }
}
