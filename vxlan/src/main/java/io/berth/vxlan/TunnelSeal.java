package io.berth.vxlan;

import io.berth.dataplane.DropReason;

/**
 * What an encrypted network's tunnel port sends through instead of the uplink: it seals the VXLAN datagram to the
 * remote VTEP's peer and sends it, or keeps it until a session exists (WireGuard,
 * {@link io.berth.vxlan.wireguard.WireGuardDevice}). Worker thread.
 */
public interface TunnelSeal
{
    /**
     * Seals the VXLAN datagram in {@code handle} (an Ethernet frame, left as it was) towards {@code remoteVtep}.
     *
     * @return false when it was neither sent nor kept ({@link #dropReason()}).
     */
    boolean seal(int handle, int remoteVtep);

    DropReason dropReason();
}
