package io.berth.l2;

import io.berth.dataplane.WorkerCommands;

import java.util.concurrent.CompletableFuture;

/**
 * Typed proxy for the switch's tables (bridge domains, port membership, MACs), in Aeron's proxy style: every
 * change and every listing runs on the worker that owns the {@link L2Switch}; listings come back as snapshots
 * made there. Any thread.
 */
public final class L2Commands
{
    private final L2Switch l2;
    private final PortSecurity security;
    private final WorkerCommands worker;

    public L2Commands(final L2Switch l2, final PortSecurity security, final WorkerCommands worker)
    {
        this.l2 = l2;
        this.security = security;
        this.worker = worker;
    }

    /** Port security: {@code portId} (a container's port on {@code domainId}) may send only as {@code mac}, {@code ip}. */
    public CompletableFuture<Void> bindPort(final int portId, final int domainId, final long mac, final int ip)
    {
        return worker.run(() -> security.bind(portId, domainId, mac, ip));
    }

    /** Port security: a bound port's global IPv6 address (its link-local one comes from its MAC). */
    public CompletableFuture<Void> bindPortIpv6(final int portId, final long hi, final long lo)
    {
        return bindPortIpv6(portId, hi, lo, 0);
    }

    /** @param linkLocal the port's link-local interface id when not its MAC's EUI-64 (ipvlan), else 0. */
    public CompletableFuture<Void> bindPortIpv6(final int portId, final long hi, final long lo, final long linkLocal)
    {
        return worker.run(() -> security.bindIpv6(portId, hi, lo, linkLocal));
    }

    /** A dual-stack domain: its gateway answers NS and ping for the IPv6 gateway, and with {@code advertise} RS. */
    public CompletableFuture<Void> ipv6(final int domainId, final long gatewayHi, final long gatewayLo,
        final long prefixHi, final int prefixLength, final int ipv4Network, final boolean advertise)
    {
        return worker.run(() -> l2.domain(domainId).ipv6(gatewayHi, gatewayLo, prefixHi, prefixLength, ipv4Network,
            advertise));
    }

    public CompletableFuture<Void> unbindPort(final int portId)
    {
        return worker.run(() -> security.unbind(portId));
    }

    public CompletableFuture<Void> addDomain(final int id, final int gatewayIp, final long gatewayMac, final boolean icc)
    {
        return worker.run(() -> l2.addDomain(new BridgeDomain(id, gatewayIp, gatewayMac, icc)));
    }

    /** A macvlan or ipvlan network's domain, see {@link BridgeDomain#lan}. */
    public CompletableFuture<Void> addLanDomain(final int id, final int mode, final int hostIp, final long hostMac,
        final long lanMac, final boolean icc)
    {
        return worker.run(() -> l2.addDomain(BridgeDomain.lan(id, mode, hostIp, hostMac, lanMac, icc)));
    }

    public CompletableFuture<Void> addLanPort(final int portId, final int domainId)
    {
        return worker.run(() -> l2.addLanPort(portId, domainId));
    }

    public CompletableFuture<Void> putLanEndpoint(final int domainId, final int portId, final int ip, final long mac)
    {
        return worker.run(() -> l2.putLanEndpoint(domainId, portId, ip, mac));
    }

    /** Port security for an ipvlan container: it sends as {@code mac} (the parent's, shared) without owning it. */
    public CompletableFuture<Void> bindPortSharedMac(final int portId, final int domainId, final long mac, final int ip)
    {
        return worker.run(() -> security.bind(portId, domainId, mac, ip, false));
    }

    public CompletableFuture<Void> removeDomain(final int id)
    {
        return worker.run(() -> l2.removeDomain(id));
    }

    public CompletableFuture<Void> addPort(final int portId, final int domainId)
    {
        return worker.run(() -> l2.addPort(portId, domainId));
    }

    public CompletableFuture<Void> removePort(final int portId)
    {
        return worker.run(() -> l2.removePort(portId));
    }

    /** An overlay network's remote endpoint (static MAC entry and proxy ARP), see {@link L2Switch#putRemote}. */
    public CompletableFuture<Void> putRemote(final int domainId, final int ip, final long mac, final int tunnelPort)
    {
        return worker.run(() -> l2.putRemote(domainId, ip, mac, tunnelPort));
    }

    public CompletableFuture<Void> removeRemote(final int domainId, final int ip, final long mac)
    {
        return worker.run(() -> l2.removeRemote(domainId, ip, mac));
    }
}
