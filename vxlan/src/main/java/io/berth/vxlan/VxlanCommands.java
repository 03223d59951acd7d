package io.berth.vxlan;

import io.berth.dataplane.WorkerCommands;

import java.util.concurrent.CompletableFuture;

/**
 * Typed proxy for the VXLAN tables ({@link VxlanTunnels}: this host's VTEP, which bridge domain each VNI is, which
 * remote VTEPs have tunnels), in Aeron's proxy style: each call is one command that the worker owning the tables
 * runs; the logic stays on {@link VxlanTunnels}. Any thread.
 */
public final class VxlanCommands
{
    private final VxlanTunnels tunnels;
    private final WorkerCommands worker;

    public VxlanCommands(final VxlanTunnels tunnels, final WorkerCommands worker)
    {
        this.tunnels = tunnels;
        this.worker = worker;
    }

    /** This host's VTEP address, its datagrams on {@code udpPort}. */
    public CompletableFuture<Void> localVtep(final int address, final int udpPort)
    {
        return worker.run(() -> tunnels.local(address, udpPort));
    }

    /** Bridge domain {@code domain} is VXLAN network {@code vni}, its datagrams on {@code udpPort}. */
    public CompletableFuture<Void> addNetwork(final int vni, final int domain, final int udpPort)
    {
        return worker.run(() -> tunnels.addNetwork(vni, domain, udpPort));
    }

    /** As {@link #addNetwork(int, int, int)}; an encrypted network's datagrams are taken only out of WireGuard. */
    public CompletableFuture<Void> addNetwork(final int vni, final int domain, final int udpPort, final boolean encrypted)
    {
        return worker.run(() ->
        {
            tunnels.addNetwork(vni, domain, udpPort);
            tunnels.encrypted(vni, encrypted);
        });
    }

    public CompletableFuture<Void> removeNetwork(final int vni)
    {
        return worker.run(() -> tunnels.removeNetwork(vni));
    }
}
