package io.berth.vxlan.wireguard;

import org.bouncycastle.math.ec.rfc7748.X25519;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Curve25519 keys as WireGuard writes them: 32 raw bytes, base64 in configuration (`wg genkey` / `wg pubkey`).
 * Any thread (no state).
 */
public final class X25519Keys
{
    private static final SecureRandom RANDOM = new SecureRandom();

    private X25519Keys()
    {
    }

    /** A fresh private key (clamped as X25519 would). */
    public static byte[] generatePrivate()
    {
        final byte[] key = new byte[32];
        X25519.generatePrivateKey(RANDOM, key);
        return key;
    }

    public static byte[] publicOf(final byte[] privateKey)
    {
        final byte[] out = new byte[32];
        X25519.generatePublicKey(privateKey, 0, out, 0);
        return out;
    }

    /** DH(private, public), or null when the result is all zeros (a low-order point: the whitepaper refuses it). */
    public static byte[] agree(final byte[] privateKey, final byte[] publicKey)
    {
        final byte[] out = new byte[32];
        return X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0) ? out : null;
    }

    public static String encode(final byte[] key)
    {
        return Base64.getEncoder().encodeToString(key);
    }

    /**
     * A key in base64 (44 characters, 32 bytes).
     *
     * @throws IllegalArgumentException naming the value and what a key looks like.
     */
    public static byte[] decode(final String text)
    {
        final byte[] key;
        try
        {
            key = Base64.getDecoder().decode(text.trim());
        }
        catch (final IllegalArgumentException e)
        {
            throw new IllegalArgumentException("\"" + text + "\" is not a WireGuard key: expected 32 bytes in base64 " +
                "(44 characters, as `wg pubkey` prints)");
        }
        if (key.length != 32)
        {
            throw new IllegalArgumentException("\"" + text + "\" is not a WireGuard key: it has " + key.length +
                " bytes, a key has 32 (44 base64 characters, as `wg pubkey` prints)");
        }
        return key;
    }

    public static SecureRandom random()
    {
        return RANDOM;
    }
}
