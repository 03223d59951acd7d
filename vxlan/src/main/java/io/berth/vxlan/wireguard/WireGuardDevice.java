package io.berth.vxlan.wireguard;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Housekeeping;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.vxlan.TunnelSeal;
import io.berth.vxlan.VxlanTunnelPort;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * This VTEP's WireGuard interface, in the dataplane: it seals the VXLAN datagrams of encrypted networks into
 * transport data messages to the peer's endpoint ({@link #seal}, called by the tunnel ports), opens the ones that
 * arrive on the listening port ({@link #receive}, called by {@link WireGuardReceiveNode}), answers and makes
 * handshakes, and runs the whitepaper's timers ({@link #doWork}: retransmit an initiation after 5 s, give up after
 * 90 s, rekey after 120 s, a keepalive after 10 s of receiving without sending, a new handshake after 15 s of
 * sending without receiving, keys gone after 180 s).
 * <p>
 * The packet inside is the VXLAN datagram as berth would send it in clear (IPv4 VTEP to VTEP, UDP, VXLAN, the
 * frame), so a standard WireGuard peer decrypts it to plain VXLAN. A packet waiting for a handshake is copied
 * aside (up to 32 a peer) and sent when it completes. Handshakes run here too, on the worker: they are rare, and a
 * flood of them is met with cookie replies ({@link Cookies}) instead of Diffie-Hellman. Worker thread; sealing
 * and opening allocate nothing.
 */
public final class WireGuardDevice implements Housekeeping, TunnelSeal
{
    public static final int DEFAULT_PORT = 51820;
    /** Outer IPv4 + UDP + the transport header and tag: what an encrypted overlay's MTU leaves out beyond VXLAN's. */
    public static final int OVERHEAD = Ipv4Flyweight.MIN_HEADER_LENGTH + UdpFlyweight.HEADER_LENGTH
        + Protocol.TRANSPORT_OVERHEAD;

    /** {@link #receive}: a frame for the decapsulation stage, marked with its peer. */
    public static final int DELIVER = 1;
    /** {@link #receive}: taken (a handshake, a keepalive, a cookie): the caller releases it. */
    public static final int CONSUMED = 2;
    /** {@link #receive}: refused for {@link #dropReason()}. */
    public static final int DROP = 3;

    private static final long TIMER_PERIOD_MS = 100;

    private final PacketPool pool;
    private final LongSupplier clock;
    private final UnsafeBuffer buffer;
    private final Sessions sessions;
    private final ChaChaPoly aead = new ChaChaPoly();
    private final WireGuardWire wire;
    private final Handshakes.Outcome[] outcome = new Handshakes.Outcome[1];
    private final Peer[] found = new Peer[1];
    private Handshakes handshakes;
    private Cookies cookies;
    private DropReason dropReason;
    private int deliveredPeer;
    private long nextTimersMs;
    private long nowMs;

    public WireGuardDevice(final PacketPool pool, final VxlanTunnelPort.NextHop nextHop)
    {
        this(pool, nextHop, System::currentTimeMillis);
    }

    /** @param clock wall-clock milliseconds (handshake timestamps are wall-clock time); tests move it. */
    public WireGuardDevice(final PacketPool pool, final VxlanTunnelPort.NextHop nextHop, final LongSupplier clock)
    {
        this.clock = clock;
        this.pool = pool;
        this.buffer = pool.buffer();
        this.sessions = new Sessions(pool);
        this.wire = new WireGuardWire(pool, nextHop);
    }

    // ------------------------------------------------------------------ configuration (commands on the worker)

    /** This host's static private key (made at its first start, kept in the state dir). */
    public void identity(final byte[] privateKey)
    {
        handshakes = new Handshakes(privateKey, sessions::byKey);
        cookies = new Cookies(handshakes.publicKey());
    }

    /** Where WireGuard datagrams are sent from and taken on: the uplink's address and port and MAC. */
    public void listen(final Port uplink, final int address, final int port, final long mac)
    {
        wire.listen(uplink, address, port, mac);
    }

    /**
     * A peer: its public key, its VTEP (the one inner source its packets may have) and its endpoint. Replaces the
     * peer of that VTEP or key, keeping its sessions when nothing changed but the endpoint.
     */
    public void putPeer(final byte[] publicKey, final int vtep, final int endpointIp, final int endpointPort)
    {
        final Peer existing = sessions.byVtep(vtep);
        if (existing != null && Arrays.equals(existing.publicKey, publicKey))
        {
            existing.endpointIp = endpointIp;
            existing.endpointPort = endpointPort;
            return;
        }
        final byte[] shared = handshakes.staticShared(publicKey);
        if (shared == null)
        {
            throw new IllegalArgumentException("WireGuard key " + X25519Keys.encode(publicKey) +
                " is a low-order point: no peer can have it");
        }
        sessions.add(new Peer(publicKey, shared, vtep, endpointIp, endpointPort));
    }

    public void removePeer(final int vtep)
    {
        final Peer peer = sessions.byVtep(vtep);
        if (peer != null)
        {
            sessions.remove(peer);
        }
    }

    public boolean active()
    {
        return handshakes != null && wire.ready();
    }

    public int localIp()
    {
        return wire.localIp();
    }

    public int listenPort()
    {
        return wire.listenPort();
    }

    /** Snapshot of every peer, for {@code berth node ls}. */
    public List<PeerStatus> status()
    {
        final List<PeerStatus> out = new ArrayList<>();
        for (final Peer peer : sessions.all())
        {
            out.add(new PeerStatus(peer.name, peer.vtep, peer.endpointIp, peer.endpointPort, peer.lastHandshakeMs,
                peer.handshakes, peer.transmittedBytes, peer.receivedBytes, peer.current != null));
        }
        return out;
    }

    // ------------------------------------------------------------------ sending

    /**
     * Seals the VXLAN datagram in {@code handle} (an Ethernet frame: the outer Ethernet header is replaced) to the
     * peer of {@code remoteVtep} and sends it by the uplink; without a session, keeps a copy and starts the
     * handshake. The packet itself is left as it was (the caller restores it for the next copy of a flood).
     *
     * @return false when nothing was sent or kept ({@link #dropReason()} or a transmit error).
     */
    @Override
    public boolean seal(final int handle, final int remoteVtep)
    {
        final long now = clock.getAsLong();
        final Peer peer = sessions.byVtep(remoteVtep);
        if (peer == null || !active())
        {
            dropReason = WireGuardDrops.WG_NO_SESSION;
            return false;
        }
        final Keypair keypair = peer.current;
        if (keypair == null || !keypair.usable(now))
        {
            final boolean kept = sessions.stage(peer, handle);
            initiate(peer, now, false);
            if (!kept)
            {
                dropReason = WireGuardDrops.WG_NO_SESSION;
            }
            return kept;
        }
        if (keypair.initiator && (keypair.ageMs(now) >= Protocol.REKEY_AFTER_TIME_MS
            || keypair.sendCounter >= Protocol.REKEY_AFTER_MESSAGES))
        {
            initiate(peer, now, false);
        }
        final int frame = pool.frameOffset(handle);
        return wire.sendTransport(peer, keypair, frame + EthernetFlyweight.HEADER_LENGTH,
            pool.frameLength(handle) - EthernetFlyweight.HEADER_LENGTH, now);
    }

    /** Sends an initiation unless one went out less than REKEY_TIMEOUT ago ({@code retry}: the timer's resend). */
    private void initiate(final Peer peer, final long now, final boolean retry)
    {
        if (!active() || (!retry && peer.handshakeState == Peer.INITIATION_SENT
            && now - peer.lastInitiationSentMs < Protocol.REKEY_TIMEOUT_MS))
        {
            return;
        }
        if (peer.handshakeState != Peer.INITIATION_SENT)
        {
            peer.handshakeStartedMs = now;
        }
        final int index = sessions.handshakeIndex(peer);
        wire.sendHandshake(peer.endpointIp, peer.endpointPort, Protocol.INITIATION_LENGTH,
            at -> handshakes.createInitiation(peer, index, now, buffer, at));
        peer.lastSentMs = now;
    }

    // ------------------------------------------------------------------ receiving

    /** Why the last {@link #receive} or {@link #seal} refused. */
    @Override
    public DropReason dropReason()
    {
        return dropReason;
    }

    /** The peer number of the last {@link #DELIVER} (the frame's {@link PacketPool#sealedBy} mark). */
    public int deliveredPeer()
    {
        return deliveredPeer;
    }

    /**
     * A UDP datagram to the listening port: {@code message} and {@code length} are its payload, {@code sourceIp}
     * and {@code sourcePort} where it came from. A transport message that opens is turned, in place, into an
     * Ethernet frame holding the VXLAN datagram inside ({@link #DELIVER}).
     */
    public int receive(final int handle, final int message, final int length, final int sourceIp, final int sourcePort)
    {
        nowMs = clock.getAsLong();
        if (!active() || length < 4)
        {
            dropReason = WireGuardDrops.WG_MALFORMED;
            return DROP;
        }
        final int type = buffer.getInt(message, ByteOrder.LITTLE_ENDIAN);
        switch (type)
        {
            case Protocol.TYPE_TRANSPORT:
                return transport(handle, message, length, sourceIp, sourcePort);
            case Protocol.TYPE_INITIATION:
                return initiation(message, length, sourceIp, sourcePort);
            case Protocol.TYPE_RESPONSE:
                return response(message, length, sourceIp, sourcePort);
            case Protocol.TYPE_COOKIE_REPLY:
                return cookieReply(message, length);
            default:
                dropReason = WireGuardDrops.WG_MALFORMED;
                return DROP;
        }
    }

    private int transport(final int handle, final int message, final int length, final int sourceIp,
        final int sourcePort)
    {
        if (length < Protocol.TRANSPORT_OVERHEAD)
        {
            return drop(WireGuardDrops.WG_MALFORMED);
        }
        final Object owner = sessions.byIndex(buffer.getInt(message + 4, ByteOrder.LITTLE_ENDIAN));
        if (!(owner instanceof Keypair))
        {
            nudge(sourceIp);
            return drop(WireGuardDrops.WG_UNKNOWN_INDEX);
        }
        final Keypair keypair = (Keypair)owner;
        final long counter = buffer.getLong(message + 8, ByteOrder.LITTLE_ENDIAN);
        if (!keypair.replay.mayAccept(counter))
        {
            return drop(WireGuardDrops.WG_REPLAY);
        }
        if (keypair.ageMs(nowMs) >= Protocol.REJECT_AFTER_TIME_MS)
        {
            return drop(WireGuardDrops.WG_EXPIRED);
        }
        final int data = message + Protocol.TRANSPORT_HEADER_LENGTH;
        final int sealed = length - Protocol.TRANSPORT_OVERHEAD;
        if (!aead.open(keypair.receiveKey, 0, (int)counter, (int)(counter >>> 32), null, 0, 0, buffer, data, sealed,
            buffer, data))
        {
            return drop(WireGuardDrops.WG_AUTH);
        }
        if (!keypair.replay.accept(counter))
        {
            return drop(WireGuardDrops.WG_REPLAY);
        }
        final Peer peer = keypair.peer;
        if (keypair == peer.next)
        {
            sessions.confirm(peer);
            flushStaged(peer);
        }
        peer.endpointIp = sourceIp; // roaming: the peer is where its authenticated datagrams come from
        peer.endpointPort = sourcePort;
        peer.lastReceivedMs = nowMs;
        if (peer.current != null && peer.current.initiator && peer.current.ageMs(nowMs) >=
            Protocol.REJECT_AFTER_TIME_MS - Protocol.KEEPALIVE_TIMEOUT_MS - Protocol.REKEY_TIMEOUT_MS)
        {
            initiate(peer, nowMs, false);
        }
        if (sealed == 0)
        {
            return CONSUMED; // a keepalive
        }
        // the inner packet: IPv4 from the peer's VTEP to this one (WireGuard's allowed IPs, one /32 here)
        final int versionIhl = buffer.getByte(data) & 0xFF;
        final int headerLength = (versionIhl & 0xF) * 4;
        final int total = buffer.getShort(data + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (sealed < Ipv4Flyweight.MIN_HEADER_LENGTH || versionIhl >> 4 != 4 || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH
            || total < headerLength || total > sealed
            || buffer.getInt(data + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN) != peer.vtep
            || buffer.getInt(data + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN) != wire.localIp())
        {
            return drop(WireGuardDrops.WG_INNER_ADDRESS);
        }
        peer.lastDataReceivedMs = nowMs;
        peer.receivedBytes += total;
        final int frame = pool.frameOffset(handle);
        final int newFrame = data - EthernetFlyweight.HEADER_LENGTH;
        buffer.putBytes(newFrame, buffer, frame, EthernetFlyweight.HEADER_LENGTH);
        pool.adjustFrameStart(handle, newFrame - frame);
        pool.frameLength(handle, EthernetFlyweight.HEADER_LENGTH + total);
        pool.clearVnetHeader(handle);
        deliveredPeer = peer.number;
        return DELIVER;
    }

    /**
     * A transport message for a session this host does not have, from a peer's endpoint: the peer still uses keys
     * from before this host restarted. A handshake now (at most one per REKEY_TIMEOUT) gets both sides new keys at
     * once instead of after the peer's 15 s timer.
     */
    private void nudge(final int sourceIp)
    {
        final List<Peer> peers = sessions.all();
        for (int i = 0, n = peers.size(); i < n; i++)
        {
            final Peer peer = peers.get(i);
            if (peer.endpointIp == sourceIp && (peer.current == null || !peer.current.usable(nowMs)))
            {
                initiate(peer, nowMs, false);
                return;
            }
        }
    }

    private int initiation(final int message, final int length, final int sourceIp, final int sourcePort)
    {
        if (length != Protocol.INITIATION_LENGTH)
        {
            return drop(WireGuardDrops.WG_MALFORMED);
        }
        if (!handshakes.mac1Matches(buffer, message, length, length - 2 * Protocol.MAC_LENGTH))
        {
            return drop(WireGuardDrops.WG_BAD_MAC);
        }
        if (cookies.underLoad(nowMs) && !cookies.mac2Valid(buffer, message, length, sourceIp, sourcePort, nowMs))
        {
            wire.sendHandshake(sourceIp, sourcePort, Protocol.COOKIE_REPLY_LENGTH,
                at -> cookies.reply(buffer, message, length, sourceIp, sourcePort, nowMs, buffer, at));
            return drop(WireGuardDrops.WG_UNDER_LOAD);
        }
        found[0] = null;
        final Handshakes.Outcome result = handshakes.consumeInitiation(buffer, message, length, nowMs, found);
        if (result != Handshakes.Outcome.OK)
        {
            return drop(reason(result));
        }
        final Peer peer = found[0];
        peer.endpointIp = sourceIp;
        peer.endpointPort = sourcePort;
        peer.lastReceivedMs = nowMs;
        final int index = sessions.newIndex(peer);
        final Keypair[] made = new Keypair[1];
        wire.sendHandshake(sourceIp, sourcePort, Protocol.RESPONSE_LENGTH,
            at -> made[0] = handshakes.createResponse(peer, index, nowMs, buffer, at));
        if (made[0] == null)
        {
            sessions.releaseIndex(index); // not sent (no next hop yet): the initiator retries
            return CONSUMED;
        }
        sessions.installAsResponder(peer, made[0]);
        sessionStarted(peer);
        return CONSUMED;
    }

    private int response(final int message, final int length, final int sourceIp, final int sourcePort)
    {
        if (length != Protocol.RESPONSE_LENGTH)
        {
            return drop(WireGuardDrops.WG_MALFORMED);
        }
        final Object owner = sessions.byIndex(buffer.getInt(message + 8, ByteOrder.LITTLE_ENDIAN));
        if (!(owner instanceof Peer))
        {
            return drop(WireGuardDrops.WG_UNKNOWN_INDEX);
        }
        final Peer peer = (Peer)owner;
        if (cookies.underLoad(nowMs) && handshakes.mac1Matches(buffer, message, length, length - 2 * Protocol.MAC_LENGTH)
            && !cookies.mac2Valid(buffer, message, length, sourceIp, sourcePort, nowMs))
        {
            wire.sendHandshake(sourceIp, sourcePort, Protocol.COOKIE_REPLY_LENGTH,
                at -> cookies.reply(buffer, message, length, sourceIp, sourcePort, nowMs, buffer, at));
            return drop(WireGuardDrops.WG_UNDER_LOAD);
        }
        final Keypair keypair = handshakes.consumeResponse(peer, buffer, message, length, nowMs, outcome);
        if (keypair == null)
        {
            return drop(reason(outcome[0]));
        }
        sessions.installAsInitiator(peer, keypair);
        peer.endpointIp = sourceIp;
        peer.endpointPort = sourcePort;
        peer.lastReceivedMs = nowMs;
        sessionStarted(peer);
        if (peer.stagedCount == 0)
        {
            wire.sendTransport(peer, keypair, 0, 0, nowMs); // a keepalive: the responder may use its keys once it has one
        }
        flushStaged(peer);
        return CONSUMED;
    }

    private int cookieReply(final int message, final int length)
    {
        final Object owner = length == Protocol.COOKIE_REPLY_LENGTH
            ? sessions.byIndex(buffer.getInt(message + 4, ByteOrder.LITTLE_ENDIAN)) : null;
        if (!(owner instanceof Peer))
        {
            return drop(length == Protocol.COOKIE_REPLY_LENGTH ? WireGuardDrops.WG_UNKNOWN_INDEX : WireGuardDrops.WG_MALFORMED);
        }
        return cookies.consume((Peer)owner, buffer, message, length, nowMs) ? CONSUMED : drop(WireGuardDrops.WG_AUTH);
    }

    private void sessionStarted(final Peer peer)
    {
        peer.lastHandshakeMs = nowMs;
        peer.handshakes++;
    }

    /** Sends what waited for the handshake, on the new current keypair. */
    private void flushStaged(final Peer peer)
    {
        final Keypair keypair = peer.current;
        for (int i = 0; i < peer.stagedCount; i++)
        {
            final int staged = peer.staged[i];
            if (keypair != null)
            {
                wire.sendTransport(peer, keypair, pool.frameOffset(staged) + EthernetFlyweight.HEADER_LENGTH,
                    pool.frameLength(staged) - EthernetFlyweight.HEADER_LENGTH, nowMs);
            }
            pool.release(staged);
        }
        peer.stagedCount = 0;
    }

    private int drop(final DropReason reason)
    {
        dropReason = reason;
        return DROP;
    }

    private static DropReason reason(final Handshakes.Outcome outcome)
    {
        return switch (outcome)
        {
            case MALFORMED, OK -> WireGuardDrops.WG_MALFORMED;
            case BAD_MAC -> WireGuardDrops.WG_BAD_MAC;
            case AUTH -> WireGuardDrops.WG_AUTH;
            case UNKNOWN_KEY -> WireGuardDrops.WG_UNKNOWN_KEY;
            case REPLAY -> WireGuardDrops.WG_REPLAY;
            case FLOOD -> WireGuardDrops.WG_FLOOD;
            case UNKNOWN_INDEX -> WireGuardDrops.WG_UNKNOWN_INDEX;
        };
    }

    // ------------------------------------------------------------------ timers

    @Override
    public int doWork(final long now)
    {
        if (now < nextTimersMs || !active())
        {
            return 0;
        }
        nextTimersMs = now + TIMER_PERIOD_MS;
        nowMs = now;
        int work = 0;
        final List<Peer> peers = sessions.all();
        for (int i = 0, n = peers.size(); i < n; i++)
        {
            final Peer peer = peers.get(i);
            if (peer.handshakeState == Peer.INITIATION_SENT)
            {
                if (now - peer.handshakeStartedMs >= Protocol.REKEY_ATTEMPT_TIME_MS)
                {
                    sessions.endHandshake(peer); // given up: what waited is dropped
                    sessions.unstageAll(peer);
                    work++;
                }
                else if (now - peer.lastInitiationSentMs >= Protocol.REKEY_TIMEOUT_MS)
                {
                    initiate(peer, now, true);
                    work++;
                }
            }
            sessions.expire(peer, now);
            final Keypair current = peer.current;
            if (current == null)
            {
                continue;
            }
            if (peer.lastDataReceivedMs > peer.lastSentMs && now - peer.lastSentMs >= Protocol.KEEPALIVE_TIMEOUT_MS
                && now - peer.lastDataReceivedMs < Protocol.KEEPALIVE_TIMEOUT_MS + Protocol.REKEY_TIMEOUT_MS)
            {
                wire.sendTransport(peer, current, 0, 0, now);
                work++;
            }
            if (peer.lastDataSentMs > peer.lastReceivedMs
                && now - peer.lastDataSentMs >= Protocol.KEEPALIVE_TIMEOUT_MS + Protocol.REKEY_TIMEOUT_MS)
            {
                initiate(peer, now, false);
                peer.lastDataSentMs = peer.lastReceivedMs; // once per silence
                work++;
            }
        }
        return work;
    }
}
