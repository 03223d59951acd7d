package io.berth.control.dataplane;

/**
 * One WireGuard peer as {@code berth node ls} shows it (a snapshot from the worker). Immutable.
 *
 * @param lastHandshakeMs wall-clock time of the last completed handshake, 0 for never.
 * @param session         whether keys to send with exist now.
 */
public record WireGuardPeerView(String publicKey, int vtep, int endpointIp, int endpointPort, long lastHandshakeMs,
                                long handshakes, long transmittedBytes, long receivedBytes, boolean session)
{
}
