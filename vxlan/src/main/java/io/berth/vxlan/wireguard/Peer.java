package io.berth.vxlan.wireguard;

import io.berth.dataplane.flyweight.Ipv4Flyweight;

/**
 * One WireGuard peer: another VTEP whose public key is known (a store host's, or one listed with
 * {@code encrypted.peers}). Its VTEP is the one inner source address its packets may carry (WireGuard's allowed
 * IPs, here a single /32: the peer speaks only VXLAN to this VTEP); its endpoint is where its datagrams go, and it
 * follows the peer when an authenticated datagram comes from elsewhere. Holds the handshake in progress, up to
 * three keypairs (current, previous, and next: a responder's, unconfirmed until the initiator's first message),
 * the packets waiting for a handshake, and the timers. Worker thread.
 */
final class Peer
{
    static final int NO_HANDSHAKE = 0;
    static final int INITIATION_SENT = 1;
    static final int MAX_STAGED = 32;

    final byte[] publicKey;
    final String name;
    /** HASH(LABEL_MAC1 || peer's key): the key of mac1 on what is sent to the peer. */
    final byte[] mac1Key;
    /** HASH(LABEL_COOKIE || peer's key): opens the peer's cookie replies. */
    final byte[] cookieKey;
    /** DH(our static, the peer's static), the same for every handshake. */
    final byte[] staticShared;
    final int vtep;
    /** Non-zero, set when the peer is added: the mark of the frames decrypted from it. */
    int number;
    int endpointIp;
    int endpointPort;

    int handshakeState = NO_HANDSHAKE;
    int handshakeIndex;
    int remoteIndex;
    byte[] chainKey;
    byte[] hash;
    byte[] ephemeralPrivate;
    byte[] remoteEphemeral;
    /** The responder's chaining key and hash between taking an initiation and answering it. */
    byte[] responderChain;
    byte[] responderHash;
    long handshakeStartedMs;
    long lastInitiationSentMs;
    long lastInitiationReceivedMs;
    final byte[] greatestTimestamp = new byte[Protocol.TIMESTAMP_LENGTH];
    byte[] lastMac1Sent;
    byte[] cookie;
    long cookieReceivedMs;

    Keypair current;
    Keypair previous;
    Keypair next;

    long lastHandshakeMs;
    long lastSentMs;
    long lastReceivedMs;
    long lastDataSentMs;
    long lastDataReceivedMs;
    long transmittedBytes;
    long receivedBytes;
    long handshakes;

    final int[] staged = new int[MAX_STAGED];
    int stagedCount;

    Peer(final byte[] publicKey, final byte[] staticShared, final int vtep, final int endpointIp, final int endpointPort)
    {
        this.publicKey = publicKey.clone();
        this.name = X25519Keys.encode(publicKey);
        this.mac1Key = NoiseHash.hash(Protocol.LABEL_MAC1, publicKey);
        this.cookieKey = NoiseHash.hash(Protocol.LABEL_COOKIE, publicKey);
        this.staticShared = staticShared;
        this.vtep = vtep;
        this.endpointIp = endpointIp;
        this.endpointPort = endpointPort;
    }

    /** Whether a cookie from the peer is fresh enough to put mac2 on an initiation. */
    boolean hasCookie(final long nowMs)
    {
        return cookie != null && nowMs - cookieReceivedMs < Protocol.COOKIE_LIFETIME_MS;
    }

    @Override
    public String toString()
    {
        return name + "@" + Ipv4Flyweight.format(endpointIp) + ":" + endpointPort;
    }
}
