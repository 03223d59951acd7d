package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Egress;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.ArpFlyweight;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Learn, look up, forward or flood, within the inbound port's bridge domain only (so no frame ever crosses
 * between networks). Frames for the domain's gateway, and ARP requests for the gateway address, go to the
 * gateway stage instead of being flooded. A one-entry cache remembers the last destination looked up, as VPP's
 * l2-fwd does: a TCP stream hits it on nearly every packet. Worker thread; allocation-free.
 */
public final class L2ForwardNode extends Node
{
    private final L2Switch l2;
    private final MacTable macs;
    private final Arc gatewayNode = declareArc("gateway");
    private final Arc txNode = declareArc("tx");
    private final Arc routedPortNode = declareOptionalArc("routed-port");
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    private long cachedKey = -1;
    private int cachedPort;
    private long cachedGeneration = -1;

    /**
     * Arcs: {@code gateway}, {@code tx}, and optionally {@code routed-port}, where frames from ports in no bridge
     * domain (uplink, host link) go; unconnected, they are dropped as unknown_port.
     */
    public L2ForwardNode(final L2Switch l2)
    {
        super("l2-forward", DropReason.UNKNOWN_PORT, DropReason.MAC_LIMIT, DropReason.ISOLATED, DropReason.SAME_PORT);
        this.l2 = l2;
        this.macs = l2.macs();
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        final int nowSeconds = (int)(System.currentTimeMillis() / 1000);
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final DropReason problem = forward(pool, buffer, handle, nowSeconds);
            if (problem != null)
            {
                graph.drop(handle, problem);
            }
        }
    }

    private DropReason forward(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final int nowSeconds)
    {
        final int inPort = pool.inPort(handle);
        final int domainId = l2.domainOfPort(inPort);
        if (domainId < 0)
        {
            if (!routedPortNode.connected())
            {
                return DropReason.UNKNOWN_PORT;
            }
            pool.domain(handle, -1);
            graph.enqueue(routedPortNode, handle);
            return null;
        }
        final BridgeDomain domain = l2.domain(domainId);
        pool.domain(handle, domainId);
        ethernet.wrap(buffer, pool.frameOffset(handle));
        final long destination = ethernet.destination();

        final int learned = macs.learn(domainId, ethernet.source(), inPort, nowSeconds);
        if (learned == MacTable.LEARN_LIMITED)
        {
            return DropReason.MAC_LIMIT;
        }

        if (destination == domain.gatewayMac())
        {
            graph.enqueue(gatewayNode, handle);
            return null;
        }
        if (EthernetFlyweight.isMulticast(destination))
        {
            if (ethernet.etherType() == EthernetFlyweight.TYPE_ARP)
            {
                final int target = arp.wrap(buffer, ethernet.payloadOffset()).targetIp();
                if (target == domain.gatewayIp()
                    || (arp.operation() == ArpFlyweight.OP_REQUEST && domain.proxyArpMac(target) != BridgeDomain.NO_MAC))
                {
                    graph.enqueue(gatewayNode, handle); // answered here: no need to bother the others
                    return null;
                }
            }
            if (!domain.interContainer())
            {
                return DropReason.ISOLATED;
            }
            pool.egress(handle, Egress.flood(domainId));
            graph.enqueue(txNode, handle);
            return null;
        }

        int outPort = lookup(domainId, destination);
        if (outPort == MacTable.NO_PORT)
        {
            outPort = domain.staticPort(destination); // a remote endpoint of an overlay, from the store
        }
        if (outPort == MacTable.NO_PORT)
        {
            if (!domain.interContainer())
            {
                return DropReason.ISOLATED;
            }
            pool.egress(handle, Egress.flood(domainId)); // unknown unicast
            graph.enqueue(txNode, handle);
            return null;
        }
        if (outPort == inPort)
        {
            return DropReason.SAME_PORT;
        }
        if (!domain.interContainer())
        {
            return DropReason.ISOLATED;
        }
        pool.egress(handle, outPort);
        graph.enqueue(txNode, handle);
        return null;
    }

    private int lookup(final int domainId, final long mac)
    {
        final long key = MacTable.key(domainId, mac);
        if (key == cachedKey && cachedGeneration == macs.generation())
        {
            return cachedPort;
        }
        final int port = macs.lookup(domainId, mac);
        if (port != MacTable.NO_PORT)
        {
            cachedKey = key;
            cachedPort = port;
            cachedGeneration = macs.generation();
        }
        return port;
    }
}
