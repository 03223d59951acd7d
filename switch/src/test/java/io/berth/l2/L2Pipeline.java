package io.berth.l2;

import io.berth.dataplane.DataplaneWorker;
import io.berth.dataplane.DropCounters;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Poller;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.GraphBuilder;
import io.berth.dataplane.graph.ParseNode;
import io.berth.dataplane.graph.TxNode;

/**
 * Builds the bridge-network packet path: parse -> l2-forward -> gateway -> tx, with MAC aging as housekeeping,
 * on one worker. Setup time only; the result belongs to that worker.
 */
public final class L2Pipeline
{
    private final PortTable ports = new PortTable();
    private final DropCounters drops = new DropCounters();
    private final L2Switch l2;
    private final DataplaneWorker worker;

    public L2Pipeline(final PacketPool pool, final Poller poller, final int idleTimeoutMs)
    {
        l2 = new L2Switch(ports);
        final Graph graph = new GraphBuilder()
            .add(new ParseNode()).add(new L2ForwardNode(l2)).add(new GatewayNode(l2)).add(new TxNode(ports))
            .connect("parse", "next", "l2-forward")
            .connect("l2-forward", "gateway", "gateway")
            .connect("l2-forward", "tx", "tx")
            .connect("gateway", "tx", "tx")
            .build(pool, drops);
        worker = new DataplaneWorker("berth-l2", pool, graph, ports, poller, idleTimeoutMs);
        worker.addHousekeeping(new MacAging(l2));
    }

    public DataplaneWorker worker()
    {
        return worker;
    }

    public L2Switch l2()
    {
        return l2;
    }

    public DropCounters drops()
    {
        return drops;
    }

    public PortTable ports()
    {
        return ports;
    }
}
