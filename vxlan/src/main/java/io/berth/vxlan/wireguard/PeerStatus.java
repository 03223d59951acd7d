package io.berth.vxlan.wireguard;

/**
 * What {@code berth node ls} shows of one WireGuard peer: a snapshot copied on the worker. Immutable.
 *
 * @param lastHandshakeMs wall-clock time of the last completed handshake, 0 for never.
 */
public record PeerStatus(String publicKey, int vtep, int endpointIp, int endpointPort, long lastHandshakeMs,
                         long handshakes, long transmittedBytes, long receivedBytes, boolean session)
{
}
