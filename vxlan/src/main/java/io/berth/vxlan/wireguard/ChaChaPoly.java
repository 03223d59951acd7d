package io.berth.vxlan.wireguard;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * ChaCha20-Poly1305 (RFC 8439) on agrona buffers, in place or from one buffer into another, allocation-free.
 * <p>
 * Why not the JDK's or BouncyCastle's AEAD: both take a fresh nonce object per message (the JDK an
 * {@code IvParameterSpec} and a key clone per init, BouncyCastle a {@code ParametersWithIV} and copies of it), and
 * both work on heap arrays or NIO buffers, so each packet would allocate and the off-heap packet pool would be
 * copied in and out. WireGuard seals every packet with a new counter as nonce; here the nonce is three ints and
 * the packet is processed where it lies. {@code ChaChaPolyTest} checks RFC 8439's vectors and agrees with the JDK's
 * "ChaCha20-Poly1305" on random keys, nonces and lengths.
 * <p>
 * The nonce is three little-endian words: WireGuard's is {@code 0, counter low, counter high}; XChaCha20's
 * (cookie replies) is {@code 0} and the last 8 bytes of its 24-byte nonce, with the key from {@link #hChaCha20}.
 * One instance per thread (it keeps the Poly1305 state between calls).
 */
public final class ChaChaPoly
{
    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;

    private static final int C0 = 0x61707865;
    private static final int C1 = 0x3320646e;
    private static final int C2 = 0x79622d32;
    private static final int C3 = 0x6b206574;
    private static final long MASK26 = 0x3ffffff;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final int[] block = new int[16];
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64]);
    private long r0, r1, r2, r3, r4, s1, s2, s3, s4;
    private long h0, h1, h2, h3, h4;
    private long pad0, pad1, pad2, pad3;

    /** The eight key words of a 32-byte key (little-endian), the form every call here takes. */
    public static int[] keyWords(final DirectBuffer key, final int at, final int[] into)
    {
        for (int i = 0; i < 8; i++)
        {
            into[i] = key.getInt(at + 4 * i, LE);
        }
        return into;
    }

    public static int[] keyWords(final byte[] key)
    {
        return keyWords(new UnsafeBuffer(key), 0, new int[8]);
    }

    /**
     * Encrypts {@code length} bytes at {@code src} into {@code dst} (which may be the same place) and writes the
     * 16-byte tag after them. {@code aad} may be null (no associated data).
     */
    public void seal(final int[] key, final int n0, final int n1, final int n2, final DirectBuffer aad, final int aadAt,
        final int aadLength, final DirectBuffer src, final int srcAt, final int length, final MutableDirectBuffer dst,
        final int dstAt)
    {
        polyKey(key, n0, n1, n2);
        xor(key, n0, n1, n2, 1, src, srcAt, length, dst, dstAt);
        authenticate(aad, aadAt, aadLength, dst, dstAt, length);
        finish(dst, dstAt + length);
    }

    /**
     * Checks the tag after {@code length} ciphertext bytes at {@code src} and, only if it is right, decrypts them
     * into {@code dst} (which may be the same place).
     *
     * @return false, writing nothing, when the tag does not match.
     */
    public boolean open(final int[] key, final int n0, final int n1, final int n2, final DirectBuffer aad, final int aadAt,
        final int aadLength, final DirectBuffer src, final int srcAt, final int length, final MutableDirectBuffer dst,
        final int dstAt)
    {
        polyKey(key, n0, n1, n2);
        authenticate(aad, aadAt, aadLength, src, srcAt, length);
        finish(scratch, 0);
        final int tag = srcAt + length;
        final long difference = (scratch.getLong(0) ^ src.getLong(tag)) | (scratch.getLong(8) ^ src.getLong(tag + 8));
        if (difference != 0)
        {
            return false;
        }
        xor(key, n0, n1, n2, 1, src, srcAt, length, dst, dstAt);
        return true;
    }

    /** HChaCha20 (the XChaCha20 draft): a subkey from a key and the first 16 bytes of a 24-byte nonce. */
    public void hChaCha20(final int[] key, final DirectBuffer nonce, final int at, final int[] subkey)
    {
        final int[] x = block;
        x[0] = C0; x[1] = C1; x[2] = C2; x[3] = C3;
        System.arraycopy(key, 0, x, 4, 8);
        for (int i = 0; i < 4; i++)
        {
            x[12 + i] = nonce.getInt(at + 4 * i, LE);
        }
        rounds(x);
        System.arraycopy(x, 0, subkey, 0, 4);
        System.arraycopy(x, 12, subkey, 4, 4);
    }

    private void polyKey(final int[] key, final int n0, final int n1, final int n2)
    {
        final int[] x = block;
        keystream(key, 0, n0, n1, n2, x);
        final long t0 = x[0] & 0xffffffffL, t1 = x[1] & 0xffffffffL, t2 = x[2] & 0xffffffffL, t3 = x[3] & 0xffffffffL;
        r0 = t0 & 0x3ffffff;
        r1 = ((t0 >>> 26) | (t1 << 6)) & 0x3ffff03;
        r2 = ((t1 >>> 20) | (t2 << 12)) & 0x3ffc0ff;
        r3 = ((t2 >>> 14) | (t3 << 18)) & 0x3f03fff;
        r4 = (t3 >>> 8) & 0x00fffff;
        s1 = r1 * 5;
        s2 = r2 * 5;
        s3 = r3 * 5;
        s4 = r4 * 5;
        pad0 = x[4] & 0xffffffffL;
        pad1 = x[5] & 0xffffffffL;
        pad2 = x[6] & 0xffffffffL;
        pad3 = x[7] & 0xffffffffL;
        h0 = h1 = h2 = h3 = h4 = 0;
    }

    /** Poly1305 over aad, pad16, ciphertext, pad16, the two lengths (RFC 8439 section 2.8). */
    private void authenticate(final DirectBuffer aad, final int aadAt, final int aadLength, final DirectBuffer text,
        final int textAt, final int length)
    {
        if (aadLength > 0)
        {
            blocks(aad, aadAt, aadLength);
        }
        blocks(text, textAt, length);
        scratch.putLong(0, aadLength, LE);
        scratch.putLong(8, length, LE);
        blocks(scratch, 0, 16);
    }

    /** Whole 16-byte blocks, the last one zero-padded (the AEAD's pad16), each with the high bit set. */
    private void blocks(final DirectBuffer in, final int at, final int length)
    {
        long a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
        final long b0 = r0, b1 = r1, b2 = r2, b3 = r3, b4 = r4, c1 = s1, c2 = s2, c3 = s3, c4 = s4;
        final int whole = length & ~15;
        for (int i = 0; i <= whole; i += 16)
        {
            final DirectBuffer from;
            final int off;
            if (i == whole)
            {
                final int rest = length - whole;
                if (rest == 0)
                {
                    break;
                }
                scratch.putLong(16, 0);
                scratch.putLong(24, 0);
                scratch.putBytes(16, in, at + i, rest);
                from = scratch;
                off = 16;
            }
            else
            {
                from = in;
                off = at + i;
            }
            final long t0 = from.getInt(off, LE) & 0xffffffffL;
            final long t1 = from.getInt(off + 4, LE) & 0xffffffffL;
            final long t2 = from.getInt(off + 8, LE) & 0xffffffffL;
            final long t3 = from.getInt(off + 12, LE) & 0xffffffffL;
            a0 += t0 & MASK26;
            a1 += ((t0 >>> 26) | (t1 << 6)) & MASK26;
            a2 += ((t1 >>> 20) | (t2 << 12)) & MASK26;
            a3 += ((t2 >>> 14) | (t3 << 18)) & MASK26;
            a4 += (t3 >>> 8) | (1L << 24);
            final long d0 = a0 * b0 + a1 * c4 + a2 * c3 + a3 * c2 + a4 * c1;
            long d1 = a0 * b1 + a1 * b0 + a2 * c4 + a3 * c3 + a4 * c2;
            long d2 = a0 * b2 + a1 * b1 + a2 * b0 + a3 * c4 + a4 * c3;
            long d3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + a4 * c4;
            long d4 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
            long c = d0 >>> 26;
            a0 = d0 & MASK26;
            d1 += c;
            c = d1 >>> 26;
            a1 = d1 & MASK26;
            d2 += c;
            c = d2 >>> 26;
            a2 = d2 & MASK26;
            d3 += c;
            c = d3 >>> 26;
            a3 = d3 & MASK26;
            d4 += c;
            c = d4 >>> 26;
            a4 = d4 & MASK26;
            a0 += c * 5;
            c = a0 >>> 26;
            a0 &= MASK26;
            a1 += c;
        }
        h0 = a0;
        h1 = a1;
        h2 = a2;
        h3 = a3;
        h4 = a4;
    }

    /** The tag: h fully carried, reduced mod 2^130 - 5, plus the pad, as 16 little-endian bytes at {@code at}. */
    private void finish(final MutableDirectBuffer out, final int at)
    {
        long a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
        long c = a1 >>> 26;
        a1 &= MASK26;
        a2 += c;
        c = a2 >>> 26;
        a2 &= MASK26;
        a3 += c;
        c = a3 >>> 26;
        a3 &= MASK26;
        a4 += c;
        c = a4 >>> 26;
        a4 &= MASK26;
        a0 += c * 5;
        c = a0 >>> 26;
        a0 &= MASK26;
        a1 += c;
        long g0 = a0 + 5;
        c = g0 >>> 26;
        g0 &= MASK26;
        long g1 = a1 + c;
        c = g1 >>> 26;
        g1 &= MASK26;
        long g2 = a2 + c;
        c = g2 >>> 26;
        g2 &= MASK26;
        long g3 = a3 + c;
        c = g3 >>> 26;
        g3 &= MASK26;
        final long g4 = a4 + c - (1L << 26);
        final long useG = (g4 >> 63) + 1 == 0 ? 0 : -1L; // g4 >= 0: h >= p, take g = h - p
        a0 = (a0 & ~useG) | (g0 & useG);
        a1 = (a1 & ~useG) | (g1 & useG);
        a2 = (a2 & ~useG) | (g2 & useG);
        a3 = (a3 & ~useG) | (g3 & useG);
        a4 = (a4 & ~useG) | (g4 & useG);
        final long w0 = (a0 | (a1 << 26)) & 0xffffffffL;
        final long w1 = ((a1 >>> 6) | (a2 << 20)) & 0xffffffffL;
        final long w2 = ((a2 >>> 12) | (a3 << 14)) & 0xffffffffL;
        final long w3 = ((a3 >>> 18) | (a4 << 8)) & 0xffffffffL;
        long f = w0 + pad0;
        out.putInt(at, (int)f, LE);
        f = w1 + pad1 + (f >>> 32);
        out.putInt(at + 4, (int)f, LE);
        f = w2 + pad2 + (f >>> 32);
        out.putInt(at + 8, (int)f, LE);
        f = w3 + pad3 + (f >>> 32);
        out.putInt(at + 12, (int)f, LE);
    }

    /** ChaCha20 from block {@code counter} on: dst = src XOR keystream. */
    private void xor(final int[] key, final int n0, final int n1, final int n2, final int counter, final DirectBuffer src,
        final int srcAt, final int length, final MutableDirectBuffer dst, final int dstAt)
    {
        final int[] x = block;
        int done = 0;
        int blockCounter = counter;
        while (done < length)
        {
            keystream(key, blockCounter++, n0, n1, n2, x);
            final int n = Math.min(64, length - done);
            if (n == 64)
            {
                for (int w = 0; w < 16; w++)
                {
                    final int off = 4 * w;
                    dst.putInt(dstAt + done + off, src.getInt(srcAt + done + off, LE) ^ x[w], LE);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    final int word = x[i >>> 2] >>> ((i & 3) << 3);
                    dst.putByte(dstAt + done + i, (byte)(src.getByte(srcAt + done + i) ^ word));
                }
            }
            done += n;
        }
    }

    private static void keystream(final int[] key, final int counter, final int n0, final int n1, final int n2,
        final int[] out)
    {
        out[0] = C0;
        out[1] = C1;
        out[2] = C2;
        out[3] = C3;
        System.arraycopy(key, 0, out, 4, 8);
        out[12] = counter;
        out[13] = n0;
        out[14] = n1;
        out[15] = n2;
        final int k0 = key[0], k1 = key[1], k2 = key[2], k3 = key[3], k4 = key[4], k5 = key[5], k6 = key[6], k7 = key[7];
        rounds(out);
        out[0] += C0;
        out[1] += C1;
        out[2] += C2;
        out[3] += C3;
        out[4] += k0;
        out[5] += k1;
        out[6] += k2;
        out[7] += k3;
        out[8] += k4;
        out[9] += k5;
        out[10] += k6;
        out[11] += k7;
        out[12] += counter;
        out[13] += n0;
        out[14] += n1;
        out[15] += n2;
    }

    /** The 20 rounds (10 double rounds) on the state in place. */
    private static void rounds(final int[] s)
    {
        int x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3], x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
        int x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11], x12 = s[12], x13 = s[13], x14 = s[14], x15 = s[15];
        for (int i = 0; i < 10; i++)
        {
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
        }
        s[0] = x0; s[1] = x1; s[2] = x2; s[3] = x3; s[4] = x4; s[5] = x5; s[6] = x6; s[7] = x7;
        s[8] = x8; s[9] = x9; s[10] = x10; s[11] = x11; s[12] = x12; s[13] = x13; s[14] = x14; s[15] = x15;
    }
}
