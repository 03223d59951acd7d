package io.berth.l3;

import io.berth.dataplane.WorkerCommands;

import java.util.concurrent.CompletableFuture;

/**
 * Typed proxy for the IPv6 router's tables (networks' prefixes, berthd's addresses on the host link and the
 * uplink, learned neighbours): every change and reading runs on the worker that owns the {@link Router6}. Any
 * thread.
 */
public final class Router6Commands
{
    private final Router6 router;
    private final Ipv6Neighbors neighbors;
    private final WorkerCommands worker;

    public Router6Commands(final Router6 router, final Ipv6Neighbors neighbors, final WorkerCommands worker)
    {
        this.router = router;
        this.neighbors = neighbors;
        this.worker = worker;
    }

    public CompletableFuture<Void> addDomain(final int id, final long prefixHi, final long prefixLo,
        final int prefixLength, final long gatewayHi, final long gatewayLo, final int ipv4Network,
        final boolean masquerade)
    {
        return worker.run(() -> router.addDomain(id, prefixHi, prefixLo, prefixLength, gatewayHi, gatewayLo,
            ipv4Network, masquerade));
    }

    public CompletableFuture<Void> removeDomain(final int id)
    {
        return worker.run(() -> router.removeDomain(id));
    }

    public CompletableFuture<Void> hostLink(final long ourHi, final long ourLo, final long hostHi, final long hostLo)
    {
        return worker.run(() -> router.hostLink(ourHi, ourLo, hostHi, hostLo));
    }

    public CompletableFuture<Void> uplink(final long hi, final long lo, final int prefixLength, final long gatewayHi,
        final long gatewayLo)
    {
        return worker.run(() -> router.uplink(hi, lo, prefixLength, gatewayHi, gatewayLo));
    }

    /** How many IPv6 neighbours the uplink taught. */
    public CompletableFuture<Integer> neighbors()
    {
        return worker.call(neighbors::size);
    }
}
