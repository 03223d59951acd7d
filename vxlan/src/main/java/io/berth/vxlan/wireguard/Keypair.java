package io.berth.vxlan.wireguard;

/**
 * The transport keys of one completed handshake: a sending and a receiving ChaCha20-Poly1305 key, this side's
 * index (what the peer puts in its messages' receiver field) and the peer's, the send counter and the replay
 * window. Worker thread.
 */
final class Keypair
{
    final Peer peer;
    final int[] sendKey;
    final int[] receiveKey;
    final int localIndex;
    final int remoteIndex;
    final boolean initiator;
    final long createdMs;
    final ReplayWindow replay = new ReplayWindow();
    long sendCounter;

    Keypair(final Peer peer, final byte[] sendKey, final byte[] receiveKey, final int localIndex, final int remoteIndex,
        final boolean initiator, final long createdMs)
    {
        this.peer = peer;
        this.sendKey = ChaChaPoly.keyWords(sendKey);
        this.receiveKey = ChaChaPoly.keyWords(receiveKey);
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = initiator;
        this.createdMs = createdMs;
    }

    long ageMs(final long nowMs)
    {
        return nowMs - createdMs;
    }

    /** Whether it may still seal or open anything (REJECT_AFTER_TIME, REJECT_AFTER_MESSAGES). */
    boolean usable(final long nowMs)
    {
        return ageMs(nowMs) < Protocol.REJECT_AFTER_TIME_MS && sendCounter < Protocol.REJECT_AFTER_MESSAGES;
    }
}
