package io.berth.dataplane;

import java.util.concurrent.CompletableFuture;

/**
 * Typed proxy for the worker's port set: attach and detach ports from the control thread. Any thread; the
 * changes run on the worker.
 */
public final class PortCommands
{
    private final WorkerCommands worker;
    private final DataplaneWorker owner;

    public PortCommands(final DataplaneWorker owner, final WorkerCommands worker)
    {
        this.owner = owner;
        this.worker = worker;
    }

    public CompletableFuture<Void> attach(final Port port)
    {
        return worker.run(() -> owner.attachPort(port));
    }

    /** Attaches with the IPv4 MTU of the port's far side (routing fragments to it, or answers DF senders). */
    public CompletableFuture<Void> attach(final Port port, final int mtu)
    {
        return worker.run(() ->
        {
            owner.ports().mtu(port.id(), mtu); // before the first packet can be routed to it
            owner.attachPort(port);
        });
    }

    public CompletableFuture<Void> detach(final Port port)
    {
        return worker.run(() -> owner.detachPort(port));
    }
}
