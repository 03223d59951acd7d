package io.berth.vxlan.wireguard;

import io.berth.dataplane.PacketPool;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The peers and their sessions: peers by VTEP (the tunnel ports' lookup) and by public key (a handshake's), and
 * every index this host handed out (a keypair's, or a handshake's in progress) to what it names. Rotates a
 * peer's keypairs as the whitepaper does and forgets their indices as they go. Worker thread; lookups
 * allocation-free.
 */
final class Sessions
{
    private final Int2ObjectHashMap<Peer> peersByVtep = new Int2ObjectHashMap<>();
    private final Map<String, Peer> peersByKey = new HashMap<>();
    /** Local index -> the {@link Keypair} or the {@link Peer} (its handshake) it names. */
    private final Int2ObjectHashMap<Object> byIndex = new Int2ObjectHashMap<>();
    private final List<Peer> peers = new ArrayList<>();
    private final PacketPool pool;
    /** The last peer number given: what a decrypted frame is marked with ({@link PacketPool#sealedBy}), never 0. */
    private int lastNumber;

    Sessions(final PacketPool pool)
    {
        this.pool = pool;
    }

    Peer byVtep(final int vtep)
    {
        return peersByVtep.get(vtep);
    }

    Peer byKey(final byte[] key)
    {
        return peersByKey.get(X25519Keys.encode(key));
    }

    Object byIndex(final int index)
    {
        return byIndex.get(index);
    }

    List<Peer> all()
    {
        return peers;
    }

    void add(final Peer peer)
    {
        final Peer before = peersByVtep.get(peer.vtep);
        if (before != null)
        {
            remove(before);
        }
        final Peer sameKey = peersByKey.get(peer.name);
        if (sameKey != null)
        {
            remove(sameKey);
        }
        lastNumber = lastNumber == Integer.MAX_VALUE ? 1 : lastNumber + 1;
        peer.number = lastNumber;
        peersByVtep.put(peer.vtep, peer);
        peersByKey.put(peer.name, peer);
        peers.add(peer);
    }

    void remove(final Peer peer)
    {
        peersByVtep.remove(peer.vtep);
        peersByKey.remove(peer.name);
        peers.remove(peer);
        dropKeys(peer);
        endHandshake(peer);
        unstageAll(peer);
    }

    /** A fresh index, unused and non-zero, for {@code owner}. */
    int newIndex(final Object owner)
    {
        int index;
        do
        {
            index = X25519Keys.random().nextInt();
        }
        while (index == 0 || byIndex.containsKey(index));
        byIndex.put(index, owner);
        return index;
    }

    /** An index that named nothing in the end. */
    void releaseIndex(final int index)
    {
        byIndex.remove(index);
    }

    /** A new initiation for {@code peer}: its previous handshake index goes. */
    int handshakeIndex(final Peer peer)
    {
        endHandshake(peer);
        return newIndex(peer);
    }

    void endHandshake(final Peer peer)
    {
        if (peer.handshakeState == Peer.INITIATION_SENT && byIndex.get(peer.handshakeIndex) == peer)
        {
            byIndex.remove(peer.handshakeIndex);
        }
        peer.handshakeState = Peer.NO_HANDSHAKE;
    }

    /** The initiator's new keypair: current at once; the old current (or an unconfirmed next) becomes previous. */
    void installAsInitiator(final Peer peer, final Keypair keypair)
    {
        byIndex.put(keypair.localIndex, keypair); // the handshake's index now names the keypair
        forget(peer.previous);
        if (peer.next != null)
        {
            // both sides initiated at once: the responder keys stay to receive on (the other side may use them)
            forget(peer.current);
            peer.previous = peer.next;
            peer.next = null;
        }
        else
        {
            peer.previous = peer.current;
        }
        peer.current = keypair;
    }

    /** The responder's new keypair: next, until the initiator's first message confirms it. */
    void installAsResponder(final Peer peer, final Keypair keypair)
    {
        byIndex.put(keypair.localIndex, keypair);
        forget(peer.next);
        peer.next = keypair;
    }

    /** The initiator used the responder's next keypair: it becomes current. */
    void confirm(final Peer peer)
    {
        forget(peer.previous);
        peer.previous = peer.current;
        peer.current = peer.next;
        peer.next = null;
    }

    /** Every keypair older than REJECT_AFTER_TIME goes (the whitepaper's zeroing of old keys). */
    void expire(final Peer peer, final long nowMs)
    {
        if (peer.previous != null && !peer.previous.usable(nowMs))
        {
            forget(peer.previous);
            peer.previous = null;
        }
        if (peer.next != null && !peer.next.usable(nowMs))
        {
            forget(peer.next);
            peer.next = null;
        }
        if (peer.current != null && !peer.current.usable(nowMs))
        {
            forget(peer.current);
            peer.current = null;
        }
    }

    void dropKeys(final Peer peer)
    {
        forget(peer.current);
        forget(peer.previous);
        forget(peer.next);
        peer.current = peer.previous = peer.next = null;
    }

    private void forget(final Keypair keypair)
    {
        if (keypair != null && byIndex.get(keypair.localIndex) == keypair)
        {
            byIndex.remove(keypair.localIndex);
        }
    }

    /** Keeps a copy of the datagram in {@code handle} until the handshake ends; false when 32 wait already. */
    boolean stage(final Peer peer, final int handle)
    {
        if (peer.stagedCount == Peer.MAX_STAGED)
        {
            return false;
        }
        final int copy = pool.allocate();
        if (copy == PacketPool.NO_PACKET)
        {
            return false;
        }
        pool.buffer().putBytes(pool.frameOffset(copy), pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle));
        pool.frameLength(copy, pool.frameLength(handle));
        pool.location(copy, PacketPool.PARKED);
        peer.staged[peer.stagedCount++] = copy;
        return true;
    }

    void unstageAll(final Peer peer)
    {
        for (int i = 0; i < peer.stagedCount; i++)
        {
            pool.release(peer.staged[i]);
        }
        peer.stagedCount = 0;
    }
}
