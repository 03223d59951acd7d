package io.berth.control.dataplane;

import io.berth.tap.AfPacketPort;
import io.berth.vxlan.VxlanTunnelPort;
import io.berth.vxlan.wireguard.PeerStatus;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import static io.berth.control.dataplane.WorkerCalls.await;

/**
 * The overlay's share of the userspace dataplane: VNIs, tunnel ports, remote endpoints, and this VTEP's WireGuard
 * interface for encrypted networks (its key, its port, its peers). Control thread; each change is one command to
 * the worker that owns the tables.
 */
final class OverlayTunnels
{
    private final PacketPath pipeline;
    private final IntSupplier freePortId;
    private final Supplier<AfPacketPort> uplink;
    final Map<Integer, VxlanTunnelPort> ports = new TreeMap<>();

    OverlayTunnels(final PacketPath pipeline, final IntSupplier freePortId, final Supplier<AfPacketPort> uplink)
    {
        this.pipeline = pipeline;
        this.freePortId = freePortId;
        this.uplink = uplink;
    }

    void addOverlay(final int segmentId, final int vni, final int udpPort, final boolean encrypted)
    {
        if (uplink.get() == null)
        {
            throw new IllegalStateException("an overlay network needs the uplink (berthd --uplink)");
        }
        if (encrypted && !pipeline.wireGuard.active())
        {
            throw new IllegalStateException("an encrypted overlay needs this host's WireGuard interface, which " +
                "berthd starts with --store and --uplink");
        }
        await(pipeline.addOverlay(vni, segmentId, udpPort, encrypted));
    }

    void removeOverlay(final int vni)
    {
        await(pipeline.removeOverlay(vni));
    }

    int addTunnel(final int segmentId, final int vni, final int remoteVtep, final int mtu, final boolean encrypted)
    {
        final VxlanTunnelPort port = pipeline.newTunnelPort(freePortId.getAsInt(), vni, remoteVtep, encrypted);
        await(pipeline.attachTunnel(port, segmentId, mtu));
        ports.put(port.id(), port);
        return port.id();
    }

    void removeTunnel(final int portId)
    {
        final VxlanTunnelPort port = ports.remove(portId);
        if (port != null)
        {
            await(pipeline.detachTunnel(port));
        }
    }

    void startWireGuard(final byte[] privateKey, final int port, final int address, final long mac)
    {
        final AfPacketPort uplinkPort = uplink.get();
        if (uplinkPort == null)
        {
            throw new IllegalStateException("WireGuard needs the uplink (berthd --uplink)");
        }
        await(pipeline.wireGuardCommands().start(privateKey, uplinkPort, address, port, mac));
    }

    void putWireGuardPeer(final int vtep, final byte[] publicKey, final int endpointIp, final int endpointPort)
    {
        await(pipeline.wireGuardCommands().putPeer(publicKey, vtep, endpointIp, endpointPort));
    }

    void removeWireGuardPeer(final int vtep)
    {
        await(pipeline.wireGuardCommands().removePeer(vtep));
    }

    List<WireGuardPeerView> wireGuardPeers()
    {
        final List<PeerStatus> peers = await(pipeline.wireGuardCommands().status());
        return peers.stream().map(p -> new WireGuardPeerView(p.publicKey(), p.vtep(), p.endpointIp(),
            p.endpointPort(), p.lastHandshakeMs(), p.handshakes(), p.transmittedBytes(), p.receivedBytes(),
            p.session())).toList();
    }
}
