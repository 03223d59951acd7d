package io.berth.dataplane.graph;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Egress;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.flyweight.VirtioNetHeader;

/**
 * Last stage: hands each packet to its egress port, or to every port of its flood list but the one it came in
 * on, then releases it. Owned by the worker thread.
 */
public final class TxNode extends Node
{
    private final PortTable ports;
    private final VirtioNetHeader vnet = new VirtioNetHeader();

    public TxNode(final PortTable ports)
    {
        super("tx", DropReason.NO_EGRESS, DropReason.GSO_UNSUPPORTED, DropReason.TX_FAILED);
        this.ports = ports;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final int egress = pool.egress(handle);
            if (pool.trace(handle) < 0)
            {
                graph.transmitted(handle); // synthetic (berth trace): its way out is reported, it is never sent
                continue;
            }
            if (egress >= 0)
            {
                final DropReason problem = send(pool, handle, ports.get(egress));
                if (problem != null)
                {
                    graph.drop(handle, problem);
                    continue;
                }
            }
            else if (Egress.isFlood(egress))
            {
                final int[] members = ports.floodList(Egress.floodListId(egress));
                final int inPort = pool.inPort(handle);
                for (final int member : members)
                {
                    if (member != inPort)
                    {
                        final DropReason copyProblem = send(pool, handle, ports.get(member));
                        if (copyProblem != null)
                        {
                            graph.countDrop(copyProblem); // one copy lost; the others still go
                        }
                    }
                }
            }
            else
            {
                graph.drop(handle, DropReason.NO_EGRESS);
                continue;
            }
            graph.transmitted(handle);
        }
    }

    private DropReason send(final PacketPool pool, final int handle, final Port port)
    {
        if (port == null)
        {
            return DropReason.NO_EGRESS;
        }
        if (!port.offloads())
        {
            vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
            if (vnet.isSegmented())
            {
                return DropReason.GSO_UNSUPPORTED;
            }
            if ((vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0)
            {
                vnet.completeChecksum(pool.buffer(), pool.frameOffset(handle), pool.frameLength(handle)); // for every later copy too
            }
        }
        return port.transmit(pool, handle) ? null : DropReason.TX_FAILED;
    }
}
