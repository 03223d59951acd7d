package io.berth.control.dataplane;

import io.berth.dataplane.MemoryPort;
import io.berth.vxlan.VxlanTunnelPort;
import io.berth.vxlan.VxlanTunnels;
import org.agrona.concurrent.SystemEpochClock;

import java.util.List;

import static io.berth.dataplane.Frames.ip;

/**
 * One berthd's production graph with an overlay network, in memory: uplink port 9 on the underlay, a container
 * port 1 (not yet attached: the caller binds it), vxlan-decap spliced after parse, and one tunnel port to a peer
 * VTEP whose uplink MAC is known. For the overlay tests and the overlay benchmark. Not thread-safe.
 */
public final class OverlayHost
{
    public final VxlanTunnels tunnels;
    public final MemoryPort uplink = new MemoryPort(9, "uplink");
    public final MemoryPort container = new MemoryPort(1, "c");
    public final MemoryPacketPath path;
    public final VxlanTunnelPort tunnel;

    public OverlayHost(final int vni, final int network, final int tunnelPort, final int vtep, final long uplinkMac,
        final int peerVtep, final long peerMac)
    {
        path = new MemoryPacketPath(1024, DataplaneOptions.defaults().withOverlay(true), SystemEpochClock.INSTANCE, List.of());
        tunnels = path.tunnels();
        path.network(network, ip("10.0.0.0"), 24, ip("10.0.0.1"), true, false)
            .uplink(uplink, vtep, 24, uplinkMac, 0);
        tunnels.local(vtep, 4789);
        tunnels.addNetwork(vni, network);
        tunnels.addTunnel(vni, peerVtep, tunnelPort);
        tunnel = new VxlanTunnelPort(tunnelPort, vni, peerVtep, tunnels, uplink, uplinkMac,
            address -> address == peerVtep ? peerMac : VxlanTunnelPort.NextHop.UNRESOLVED);
        path.tunnel(tunnel, network);
    }
}
