package io.berth.l3;

import io.berth.dataplane.WorkerCommands;

import java.util.concurrent.CompletableFuture;

/**
 * Typed proxy for the router's tables (networks' subnets, endpoints, routed ports, learned neighbours): every
 * change and listing runs on the worker that owns the {@link Router}. Any thread.
 */
public final class RouterCommands
{
    private final Router router;
    private final WorkerCommands worker;

    public RouterCommands(final Router router, final WorkerCommands worker)
    {
        this.router = router;
        this.worker = worker;
    }

    public CompletableFuture<Void> addDomain(final int id, final int subnet, final int prefixLength, final int gatewayIp,
        final long gatewayMac, final boolean internal)
    {
        return worker.run(() -> router.addDomain(id, subnet, prefixLength, gatewayIp, gatewayMac, internal));
    }

    /** A macvlan or ipvlan network's subnet, see {@link Router#addLanDomain}. */
    public CompletableFuture<Void> addLanDomain(final int id, final int subnet, final int prefixLength, final int hostIp,
        final long hostMac)
    {
        return worker.run(() -> router.addLanDomain(id, subnet, prefixLength, hostIp, hostMac));
    }

    /** An ipvlan L3 network's further subnets, isolation and router on its LAN, see {@link Router#lanRouter}. */
    public CompletableFuture<Void> routedLan(final int id, final int[] moreSubnets, final boolean isolated,
        final int routerPort, final int address, final int prefixLength, final long mac, final int gateway)
    {
        return worker.run(() ->
        {
            for (int i = 0; i + 1 < moreSubnets.length; i += 2)
            {
                router.addSubnet(id, moreSubnets[i], moreSubnets[i + 1]);
            }
            router.isolate(id, isolated);
            if (routerPort != Router.NONE)
            {
                router.lanRouter(routerPort, id, address, prefixLength, mac, gateway);
            }
        });
    }

    public CompletableFuture<Void> removeDomain(final int id)
    {
        return worker.run(() -> router.removeDomain(id));
    }

    public CompletableFuture<Void> putEndpoint(final int address, final int portId, final long mac)
    {
        return worker.run(() -> router.putNeighbor(address, portId, mac));
    }

    public CompletableFuture<Void> removeEndpoint(final int address)
    {
        return worker.run(() -> router.removeNeighbor(address));
    }

    public CompletableFuture<Void> uplink(final int portId, final int address, final int prefixLength, final long mac,
        final int gateway)
    {
        return worker.run(() -> router.uplink(portId, address, prefixLength, mac, gateway));
    }

    public CompletableFuture<Void> hostLink(final int portId, final int ourAddress, final long ourMac,
        final int hostAddress, final long hostMac)
    {
        return worker.run(() -> router.hostLink(portId, ourAddress, ourMac, hostAddress, hostMac));
    }
}
