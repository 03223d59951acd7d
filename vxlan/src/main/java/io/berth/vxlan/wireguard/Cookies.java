package io.berth.vxlan.wireguard;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * WireGuard's answer to a handshake flood (whitepaper section 5.4.7): while this host is under load, an
 * initiation or response without a valid mac2 is not worked on (no Diffie-Hellman) but answered with a cookie
 * reply: a MAC of the sender's address under a secret that changes every two minutes, sealed with XChaCha20-
 * Poly1305 to this host's cookie key and the message's mac1. A sender that really is at that address gets it,
 * puts it in mac2 and is served; a spoofer is not. Under load means more handshake messages in the last second
 * than {@link #LOAD_PER_SECOND}. Also opens the cookie replies peers send this host. Worker thread.
 */
final class Cookies
{
    /** Handshake messages a second this host works on before it asks for cookies. */
    static final int LOAD_PER_SECOND = 100;

    private final byte[] cookieKey;
    private final ChaChaPoly aead = new ChaChaPoly();
    private byte[] secret;
    private long secretMs;
    private long secondStartMs;
    private int inThisSecond;

    Cookies(final byte[] publicKey)
    {
        this.cookieKey = NoiseHash.hash(Protocol.LABEL_COOKIE, publicKey);
    }

    /** Counts one handshake message; true when this host is under load. */
    boolean underLoad(final long nowMs)
    {
        if (nowMs - secondStartMs >= 1000)
        {
            secondStartMs = nowMs;
            inThisSecond = 0;
        }
        return ++inThisSecond > LOAD_PER_SECOND;
    }

    /** Whether the message's mac2 is the MAC of everything before it under the sender's current cookie. */
    boolean mac2Valid(final DirectBuffer in, final int at, final int length, final int sourceIp, final int sourcePort,
        final long nowMs)
    {
        final byte[] message = new byte[length];
        in.getBytes(at, message);
        final int mac2At = length - Protocol.MAC_LENGTH;
        return MessageDigest.isEqual(NoiseHash.mac(cookieFor(sourceIp, sourcePort, nowMs), message, 0, mac2At),
            Arrays.copyOfRange(message, mac2At, length));
    }

    /** Writes a 64-byte cookie reply to the handshake message at {@code in}; returns its length. */
    int reply(final DirectBuffer in, final int at, final int length, final int sourceIp, final int sourcePort,
        final long nowMs, final MutableDirectBuffer out, final int outAt)
    {
        final int sender = in.getInt(at + 4, ByteOrder.LITTLE_ENDIAN);
        final byte[] mac1 = new byte[Protocol.MAC_LENGTH];
        in.getBytes(at + length - 2 * Protocol.MAC_LENGTH, mac1);
        final byte[] nonce = new byte[24];
        X25519Keys.random().nextBytes(nonce);
        out.putInt(outAt, Protocol.TYPE_COOKIE_REPLY, ByteOrder.LITTLE_ENDIAN);
        out.putInt(outAt + 4, sender, ByteOrder.LITTLE_ENDIAN);
        out.putBytes(outAt + 8, nonce);
        out.putBytes(outAt + 32, cookieFor(sourceIp, sourcePort, nowMs));
        xseal(cookieKey, nonce, mac1, out, outAt + 32, Protocol.MAC_LENGTH);
        return Protocol.COOKIE_REPLY_LENGTH;
    }

    /** Opens a cookie reply for {@code peer} (sealed to its cookie key and the mac1 this host last sent it). */
    boolean consume(final Peer peer, final DirectBuffer in, final int at, final int length, final long nowMs)
    {
        if (length != Protocol.COOKIE_REPLY_LENGTH || peer.lastMac1Sent == null)
        {
            return false;
        }
        final byte[] nonce = new byte[24];
        in.getBytes(at + 8, nonce);
        final UnsafeBuffer cookie = new UnsafeBuffer(new byte[Protocol.MAC_LENGTH]);
        final int[] subkey = new int[8];
        aead.hChaCha20(ChaChaPoly.keyWords(peer.cookieKey), new UnsafeBuffer(nonce), 0, subkey);
        final ByteBuffer tail = ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN);
        if (!aead.open(subkey, 0, tail.getInt(16), tail.getInt(20), new UnsafeBuffer(peer.lastMac1Sent), 0,
            Protocol.MAC_LENGTH, in, at + 32, Protocol.MAC_LENGTH, cookie, 0))
        {
            return false;
        }
        peer.cookie = cookie.byteArray();
        peer.cookieReceivedMs = nowMs;
        return true;
    }

    private byte[] cookieFor(final int sourceIp, final int sourcePort, final long nowMs)
    {
        if (secret == null || nowMs - secretMs >= Protocol.COOKIE_LIFETIME_MS)
        {
            secret = new byte[32];
            X25519Keys.random().nextBytes(secret);
            secretMs = nowMs;
        }
        final byte[] source = ByteBuffer.allocate(6).putInt(sourceIp).putShort((short)sourcePort).array();
        return NoiseHash.mac(secret, source, 0, source.length);
    }

    private void xseal(final byte[] key, final byte[] nonce, final byte[] aad, final MutableDirectBuffer buffer,
        final int at, final int length)
    {
        final int[] subkey = new int[8];
        aead.hChaCha20(ChaChaPoly.keyWords(key), new UnsafeBuffer(nonce), 0, subkey);
        final ByteBuffer tail = ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN);
        aead.seal(subkey, 0, tail.getInt(16), tail.getInt(20), new UnsafeBuffer(aad), 0, aad.length, buffer, at, length,
            buffer, at);
    }
}
