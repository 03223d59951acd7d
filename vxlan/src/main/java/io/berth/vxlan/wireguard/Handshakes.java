package io.berth.vxlan.wireguard;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The Noise_IKpsk2 handshake of the WireGuard whitepaper (section 5.4), message by message: an initiation made
 * for a peer or taken from one, the response made or taken, and the transport keys both derive. The pre-shared
 * key is all zeros (berth does not use one). Messages are read and written where they lie in a packet; the
 * arithmetic works on small arrays and allocates (a handshake is rare: every two minutes per peer). Worker
 * thread.
 */
final class Handshakes
{
    /** Why a message was refused; {@link #OK} when it was taken. */
    enum Outcome
    {
        OK, MALFORMED, BAD_MAC, AUTH, UNKNOWN_KEY, REPLAY, FLOOD, UNKNOWN_INDEX
    }

    private static final byte[] INITIAL_CHAIN = NoiseHash.hash(Protocol.CONSTRUCTION);
    private static final byte[] INITIAL_HASH = NoiseHash.hash(INITIAL_CHAIN, Protocol.IDENTIFIER);
    private static final byte[] ZERO_KEY = new byte[32];
    private static final byte[] EMPTY = new byte[0];
    /** TAI64N's label for the seconds: 2^62 + seconds since 1970. */
    private static final long TAI64_BASE = 0x4000000000000000L;

    private final byte[] privateKey;
    private final byte[] publicKey;
    /** HASH(LABEL_MAC1 || our key): mac1 on what peers send us. */
    private final byte[] mac1Key;
    private final byte[] initialResponderHash;
    private final ChaChaPoly aead = new ChaChaPoly();
    private final Function<byte[], Peer> peerByKey;
    /** Test hook: a fixed ephemeral key (known-answer tests against a recorded handshake); null in production. */
    byte[] fixedEphemeral;
    /** Test hook: a fixed timestamp. */
    byte[] fixedTimestamp;

    Handshakes(final byte[] privateKey, final Function<byte[], Peer> peerByKey)
    {
        this.privateKey = privateKey.clone();
        this.publicKey = X25519Keys.publicOf(privateKey);
        this.mac1Key = NoiseHash.hash(Protocol.LABEL_MAC1, publicKey);
        this.initialResponderHash = NoiseHash.hash(INITIAL_HASH, publicKey);
        this.peerByKey = peerByKey;
    }

    byte[] publicKey()
    {
        return publicKey.clone();
    }

    byte[] privateKey()
    {
        return privateKey;
    }

    /** DH(our static, theirs), or null for a key that agrees on zero. */
    byte[] staticShared(final byte[] peerKey)
    {
        return X25519Keys.agree(privateKey, peerKey);
    }

    /** Writes a 148-byte initiation to {@code peer} at {@code at}; the peer now waits for the response. */
    void createInitiation(final Peer peer, final int localIndex, final long nowMs, final MutableDirectBuffer out,
        final int at)
    {
        final byte[] message = new byte[Protocol.INITIATION_LENGTH];
        final ByteBuffer view = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        view.putInt(0, Protocol.TYPE_INITIATION);
        view.putInt(4, localIndex);
        byte[] chain = INITIAL_CHAIN;
        byte[] hash = NoiseHash.hash(INITIAL_HASH, peer.publicKey);
        final byte[] ephemeralPrivate = fixedEphemeral != null ? fixedEphemeral.clone() : X25519Keys.generatePrivate();
        final byte[] ephemeral = X25519Keys.publicOf(ephemeralPrivate);
        System.arraycopy(ephemeral, 0, message, 8, 32);
        chain = NoiseHash.kdf(1, chain, ephemeral)[0];
        hash = NoiseHash.hash(hash, ephemeral);
        byte[][] kdf = NoiseHash.kdf(2, chain, orZero(X25519Keys.agree(ephemeralPrivate, peer.publicKey)));
        chain = kdf[0];
        seal(kdf[1], hash, publicKey, message, 40);
        hash = NoiseHash.hash(hash, Arrays.copyOfRange(message, 40, 88));
        kdf = NoiseHash.kdf(2, chain, peer.staticShared);
        chain = kdf[0];
        seal(kdf[1], hash, fixedTimestamp != null ? fixedTimestamp : timestamp(nowMs), message, 88);
        hash = NoiseHash.hash(hash, Arrays.copyOfRange(message, 88, 116));
        addMacs(peer, nowMs, message, 116);
        out.putBytes(at, message);
        peer.handshakeState = Peer.INITIATION_SENT;
        peer.handshakeIndex = localIndex;
        peer.chainKey = chain;
        peer.hash = hash;
        peer.ephemeralPrivate = ephemeralPrivate;
        peer.lastInitiationSentMs = nowMs;
    }

    /**
     * Takes an initiation: checks mac1, finds the peer by the static key inside, refuses a timestamp not newer
     * than the last (replay) and initiations closer than 20 ms (flood); the peer is then ready for
     * {@link #createResponse}.
     */
    Outcome consumeInitiation(final DirectBuffer in, final int at, final int length, final long nowMs, final Peer[] found)
    {
        if (length != Protocol.INITIATION_LENGTH)
        {
            return Outcome.MALFORMED;
        }
        final byte[] message = new byte[length];
        in.getBytes(at, message);
        if (!macMatches(mac1Key, message, 116))
        {
            return Outcome.BAD_MAC;
        }
        final ByteBuffer view = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        final int sender = view.getInt(4);
        final byte[] ephemeral = Arrays.copyOfRange(message, 8, 40);
        byte[] chain = NoiseHash.kdf(1, INITIAL_CHAIN, ephemeral)[0];
        byte[] hash = NoiseHash.hash(initialResponderHash, ephemeral);
        final byte[] shared = X25519Keys.agree(privateKey, ephemeral);
        if (shared == null)
        {
            return Outcome.AUTH;
        }
        byte[][] kdf = NoiseHash.kdf(2, chain, shared);
        chain = kdf[0];
        final byte[] peerKey = open(kdf[1], hash, message, 40, 32);
        if (peerKey == null)
        {
            return Outcome.AUTH;
        }
        hash = NoiseHash.hash(hash, Arrays.copyOfRange(message, 40, 88));
        final Peer peer = peerByKey.apply(peerKey);
        if (peer == null)
        {
            return Outcome.UNKNOWN_KEY;
        }
        kdf = NoiseHash.kdf(2, chain, peer.staticShared);
        chain = kdf[0];
        final byte[] timestamp = open(kdf[1], hash, message, 88, Protocol.TIMESTAMP_LENGTH);
        if (timestamp == null)
        {
            return Outcome.AUTH;
        }
        hash = NoiseHash.hash(hash, Arrays.copyOfRange(message, 88, 116));
        found[0] = peer;
        if (Arrays.compareUnsigned(timestamp, peer.greatestTimestamp) <= 0)
        {
            return Outcome.REPLAY;
        }
        if (peer.lastInitiationReceivedMs != 0 && nowMs - peer.lastInitiationReceivedMs < Protocol.INITIATION_MIN_GAP_MS)
        {
            return Outcome.FLOOD;
        }
        System.arraycopy(timestamp, 0, peer.greatestTimestamp, 0, Protocol.TIMESTAMP_LENGTH);
        peer.lastInitiationReceivedMs = nowMs;
        // the responder's state apart from the initiator's: both sides may initiate at once, and both complete
        peer.remoteIndex = sender;
        peer.remoteEphemeral = ephemeral;
        peer.responderChain = chain;
        peer.responderHash = hash;
        return Outcome.OK;
    }

    /** Writes the 92-byte response to a consumed initiation; returns the responder's (unconfirmed) keypair. */
    Keypair createResponse(final Peer peer, final int localIndex, final long nowMs, final MutableDirectBuffer out,
        final int at)
    {
        final byte[] message = new byte[Protocol.RESPONSE_LENGTH];
        final ByteBuffer view = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        view.putInt(0, Protocol.TYPE_RESPONSE);
        view.putInt(4, localIndex);
        view.putInt(8, peer.remoteIndex);
        final byte[] ephemeralPrivate = fixedEphemeral != null ? fixedEphemeral.clone() : X25519Keys.generatePrivate();
        final byte[] ephemeral = X25519Keys.publicOf(ephemeralPrivate);
        System.arraycopy(ephemeral, 0, message, 12, 32);
        byte[] chain = NoiseHash.kdf(1, peer.responderChain, ephemeral)[0];
        byte[] hash = NoiseHash.hash(peer.responderHash, ephemeral);
        chain = NoiseHash.kdf(1, chain, orZero(X25519Keys.agree(ephemeralPrivate, peer.remoteEphemeral)))[0];
        chain = NoiseHash.kdf(1, chain, orZero(X25519Keys.agree(ephemeralPrivate, peer.publicKey)))[0];
        final byte[][] kdf = NoiseHash.kdf(3, chain, ZERO_KEY);
        chain = kdf[0];
        hash = NoiseHash.hash(hash, kdf[1]);
        seal(kdf[2], hash, EMPTY, message, 44);
        addMacs(peer, nowMs, message, 60);
        out.putBytes(at, message);
        final byte[][] keys = NoiseHash.kdf(2, chain, EMPTY);
        peer.responderChain = null;
        peer.responderHash = null;
        peer.remoteEphemeral = null;
        return new Keypair(peer, keys[1], keys[0], localIndex, peer.remoteIndex, false, nowMs);
    }

    /**
     * Takes a response to the initiation {@code peer} sent (found by the receiver index, by the caller): checks
     * mac1 and the empty payload's tag; returns the initiator's keypair, or null with {@code outcome[0]} saying why.
     */
    Keypair consumeResponse(final Peer peer, final DirectBuffer in, final int at, final int length, final long nowMs,
        final Outcome[] outcome)
    {
        if (length != Protocol.RESPONSE_LENGTH)
        {
            outcome[0] = Outcome.MALFORMED;
            return null;
        }
        final byte[] message = new byte[length];
        in.getBytes(at, message);
        if (!macMatches(mac1Key, message, 60))
        {
            outcome[0] = Outcome.BAD_MAC;
            return null;
        }
        if (peer.handshakeState != Peer.INITIATION_SENT)
        {
            outcome[0] = Outcome.UNKNOWN_INDEX;
            return null;
        }
        final ByteBuffer view = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        final int sender = view.getInt(4);
        final byte[] ephemeral = Arrays.copyOfRange(message, 12, 44);
        byte[] chain = NoiseHash.kdf(1, peer.chainKey, ephemeral)[0];
        byte[] hash = NoiseHash.hash(peer.hash, ephemeral);
        final byte[] ee = X25519Keys.agree(peer.ephemeralPrivate, ephemeral);
        final byte[] se = X25519Keys.agree(privateKey, ephemeral);
        if (ee == null || se == null)
        {
            outcome[0] = Outcome.AUTH;
            return null;
        }
        chain = NoiseHash.kdf(1, chain, ee)[0];
        chain = NoiseHash.kdf(1, chain, se)[0];
        final byte[][] kdf = NoiseHash.kdf(3, chain, ZERO_KEY);
        chain = kdf[0];
        hash = NoiseHash.hash(hash, kdf[1]);
        if (open(kdf[2], hash, message, 44, 0) == null)
        {
            outcome[0] = Outcome.AUTH;
            return null;
        }
        final byte[][] keys = NoiseHash.kdf(2, chain, EMPTY);
        peer.handshakeState = Peer.NO_HANDSHAKE;
        peer.chainKey = null;
        peer.hash = null;
        peer.ephemeralPrivate = null;
        outcome[0] = Outcome.OK;
        return new Keypair(peer, keys[0], keys[1], peer.handshakeIndex, sender, true, nowMs);
    }

    /** mac1 over everything before it, with the peer's label key; mac2 with its cookie if fresh, else zeros. */
    private void addMacs(final Peer peer, final long nowMs, final byte[] message, final int mac1At)
    {
        final byte[] mac1 = NoiseHash.mac(peer.mac1Key, message, 0, mac1At);
        System.arraycopy(mac1, 0, message, mac1At, Protocol.MAC_LENGTH);
        peer.lastMac1Sent = mac1;
        if (peer.hasCookie(nowMs))
        {
            System.arraycopy(NoiseHash.mac(peer.cookie, message, 0, mac1At + Protocol.MAC_LENGTH), 0, message,
                mac1At + Protocol.MAC_LENGTH, Protocol.MAC_LENGTH);
        }
    }

    /** Whether mac1 (at {@code mac1At}) is right for this host's key; constant time. */
    boolean mac1Matches(final DirectBuffer in, final int at, final int length, final int mac1At)
    {
        final byte[] message = new byte[length];
        in.getBytes(at, message);
        return macMatches(mac1Key, message, mac1At);
    }

    static boolean macMatches(final byte[] key, final byte[] message, final int macAt)
    {
        return MessageDigest.isEqual(NoiseHash.mac(key, message, 0, macAt),
            Arrays.copyOfRange(message, macAt, macAt + Protocol.MAC_LENGTH));
    }

    private void seal(final byte[] key, final byte[] hash, final byte[] plain, final byte[] into, final int at)
    {
        final UnsafeBuffer out = new UnsafeBuffer(into);
        out.putBytes(at, plain);
        aead.seal(ChaChaPoly.keyWords(key), 0, 0, 0, new UnsafeBuffer(hash), 0, hash.length, out, at, plain.length, out,
            at);
    }

    private byte[] open(final byte[] key, final byte[] hash, final byte[] message, final int at, final int plainLength)
    {
        final UnsafeBuffer in = new UnsafeBuffer(message);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[Math.max(plainLength, 1)]);
        if (!aead.open(ChaChaPoly.keyWords(key), 0, 0, 0, new UnsafeBuffer(hash), 0, hash.length, in, at, plainLength,
            out, 0))
        {
            return null;
        }
        return Arrays.copyOf(out.byteArray(), plainLength);
    }

    /** TAI64N: 2^62 + seconds, then nanoseconds, both big-endian. */
    static byte[] timestamp(final long nowMs)
    {
        return ByteBuffer.allocate(Protocol.TIMESTAMP_LENGTH).putLong(TAI64_BASE + nowMs / 1000)
            .putInt((int)(nowMs % 1000) * 1_000_000).array();
    }

    private static byte[] orZero(final byte[] shared)
    {
        return shared == null ? new byte[32] : shared;
    }
}
