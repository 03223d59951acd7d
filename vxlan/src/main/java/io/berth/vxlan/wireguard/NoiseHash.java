package io.berth.vxlan.wireguard;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The whitepaper's HASH, MAC, HMAC and KDF1..3 over BLAKE2s (BouncyCastle's). Handshake path only: these
 * allocate, a handshake happens every two minutes per peer. Any thread (no state).
 */
public final class NoiseHash
{
    private NoiseHash()
    {
    }

    /** HASH(parts...): BLAKE2s-256 of the concatenation. */
    public static byte[] hash(final byte[]... parts)
    {
        final Blake2sDigest digest = new Blake2sDigest(256);
        for (final byte[] part : parts)
        {
            digest.update(part, 0, part.length);
        }
        final byte[] out = new byte[32];
        digest.doFinal(out, 0);
        return out;
    }

    /** MAC(key, input): keyed BLAKE2s with a 16-byte output, over {@code length} bytes of {@code input}. */
    public static byte[] mac(final byte[] key, final byte[] input, final int offset, final int length)
    {
        final Blake2sDigest digest = new Blake2sDigest(key, Protocol.MAC_LENGTH, null, null);
        digest.update(input, offset, length);
        final byte[] out = new byte[Protocol.MAC_LENGTH];
        digest.doFinal(out, 0);
        return out;
    }

    /** HMAC(key, input) with BLAKE2s-256 (64-byte blocks). */
    public static byte[] hmac(final byte[] key, final byte[]... input)
    {
        final HMac hmac = new HMac(new Blake2sDigest(256));
        hmac.init(new KeyParameter(key));
        for (final byte[] part : input)
        {
            hmac.update(part, 0, part.length);
        }
        final byte[] out = new byte[32];
        hmac.doFinal(out, 0);
        return out;
    }

    /** KDF_n(key, input): n 32-byte outputs, τ0 = HMAC(key, input), τi = HMAC(τ0, τ(i-1) || i). */
    public static byte[][] kdf(final int n, final byte[] key, final byte[] input)
    {
        final byte[] prk = hmac(key, input);
        final byte[][] out = new byte[n][];
        byte[] previous = new byte[0];
        for (int i = 0; i < n; i++)
        {
            previous = hmac(prk, previous, new byte[] {(byte)(i + 1)});
            out[i] = previous;
        }
        return out;
    }
}
