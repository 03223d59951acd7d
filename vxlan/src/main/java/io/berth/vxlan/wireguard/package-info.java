/**
 * Encrypted overlays: WireGuard (the whitepaper's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake, transport data
 * messages, cookies, timers) between VTEPs, in the dataplane. The packet inside each transport message is the VXLAN
 * datagram berth would otherwise send in clear, so a standard WireGuard peer with a kernel VXLAN device behind it
 * interoperates. {@link io.berth.vxlan.wireguard.WireGuardDevice} owns the peers and sessions,
 * {@link io.berth.vxlan.wireguard.WireGuardReceiveNode} takes datagrams off the uplink, the tunnel ports of an
 * encrypted network seal through the device. ChaCha20-Poly1305 is {@link io.berth.vxlan.wireguard.ChaChaPoly}
 * (allocation-free, on the packet buffer); BLAKE2s and X25519 are BouncyCastle's.
 */
package io.berth.vxlan.wireguard;
