package io.berth.vxlan.wireguard;

import io.berth.dataplane.Port;
import io.berth.dataplane.WorkerCommands;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Typed proxy for the {@link WireGuardDevice} (Aeron's proxy style): each call is one command the worker that owns
 * the device runs. Any thread.
 */
public final class WireGuardCommands
{
    private final WireGuardDevice device;
    private final WorkerCommands worker;

    public WireGuardCommands(final WireGuardDevice device, final WorkerCommands worker)
    {
        this.device = device;
        this.worker = worker;
    }

    /** This host's static key, and where its datagrams leave and arrive: the uplink, its address, port and MAC. */
    public CompletableFuture<Void> start(final byte[] privateKey, final Port uplink, final int address, final int port,
        final long mac)
    {
        return worker.run(() ->
        {
            device.identity(privateKey);
            device.listen(uplink, address, port, mac);
        });
    }

    public CompletableFuture<Void> putPeer(final byte[] publicKey, final int vtep, final int endpointIp,
        final int endpointPort)
    {
        return worker.run(() -> device.putPeer(publicKey, vtep, endpointIp, endpointPort));
    }

    public CompletableFuture<Void> removePeer(final int vtep)
    {
        return worker.run(() -> device.removePeer(vtep));
    }

    public CompletableFuture<List<PeerStatus>> status()
    {
        return worker.call(device::status);
    }
}
