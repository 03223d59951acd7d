package io.berth.vxlan.wireguard;

import io.berth.dataplane.DropReason;

import java.util.List;

/**
 * Why the WireGuard stage drops a datagram, declared beside it; {@code berth counters} and the metrics show them
 * in lower case on the node {@code wg-receive} (or, for what could not be sent, on the tunnel path). Constants.
 */
public final class WireGuardDrops
{
    public static final DropReason WG_MALFORMED = DropReason.declare("WG_MALFORMED",
        "WireGuard datagram of an unknown type or a wrong length, or fragmented");
    public static final DropReason WG_BAD_MAC = DropReason.declare("WG_BAD_MAC",
        "WireGuard handshake message whose mac1 is not for this host's key");
    public static final DropReason WG_AUTH = DropReason.declare("WG_AUTH",
        "WireGuard message that failed authentication (a forged or corrupted message, or keys this host does not have)");
    public static final DropReason WG_UNKNOWN_KEY = DropReason.declare("WG_UNKNOWN_KEY",
        "WireGuard handshake from a static key that is neither a store host's nor a listed peer's");
    public static final DropReason WG_REPLAY = DropReason.declare("WG_REPLAY",
        "WireGuard message replayed: a transport counter seen before or too old, or a handshake timestamp not newer");
    public static final DropReason WG_FLOOD = DropReason.declare("WG_FLOOD",
        "WireGuard initiation less than 20 ms after the peer's last");
    public static final DropReason WG_UNKNOWN_INDEX = DropReason.declare("WG_UNKNOWN_INDEX",
        "WireGuard message for a session this host does not have (expired, or from before a restart)");
    public static final DropReason WG_EXPIRED = DropReason.declare("WG_EXPIRED",
        "WireGuard transport message on keys older than 180 s");
    public static final DropReason WG_INNER_ADDRESS = DropReason.declare("WG_INNER_ADDRESS",
        "decrypted packet that is not the peer's VTEP speaking VXLAN to this VTEP (WireGuard's allowed IPs)");
    public static final DropReason WG_UNDER_LOAD = DropReason.declare("WG_UNDER_LOAD",
        "WireGuard handshake without a valid mac2 while under load: answered with a cookie reply, not worked on");
    public static final DropReason WG_NO_SESSION = DropReason.declare("WG_NO_SESSION",
        "packet for an encrypted tunnel while its handshake is under way and 32 already wait, or no peer is known");

    public static final List<DropReason> ALL = List.of(WG_MALFORMED, WG_BAD_MAC, WG_AUTH, WG_UNKNOWN_KEY, WG_REPLAY,
        WG_FLOOD, WG_UNKNOWN_INDEX, WG_EXPIRED, WG_INNER_ADDRESS, WG_UNDER_LOAD, WG_NO_SESSION);

    private WireGuardDrops()
    {
    }
}
