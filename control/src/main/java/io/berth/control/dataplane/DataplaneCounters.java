package io.berth.control.dataplane;

import io.berth.conntrack.ConntrackCounter;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.PortWorker;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import io.berth.l3.frag.FragmentCounter;
import io.berth.nat.NatCounter;
import io.berth.nat.NatDrops;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code berth counters} of the packet path, as maps for the API and the metrics: drops by reason, MAC table
 * sizes, per node, routing, conntrack and NAT, fragments, the workers. Every figure is read as the worker
 * publishes it: reading counters never queues work for the worker. Any thread.
 */
final class DataplaneCounters
{
    private DataplaneCounters()
    {
    }

    /** The pipeline's sections, after the ports', into {@code result}. */
    static void pipeline(final Map<String, Object> result, final PacketPath pipeline,
        final Collection<SegmentSpec> networks, final List<PortWorker> portWorkers,
        final Map<Integer, PortWorker> portWorkerOf)
    {
        final Map<String, Object> drops = new LinkedHashMap<>();
        for (final DropReason reason : PacketPath.DROP_REASONS)
        {
            drops.put(reason.counterName(), pipeline.drops().get(reason));
        }
        result.put("drops", drops);
        final Map<String, Object> networkCounters = new LinkedHashMap<>();
        // every figure here is read as the worker publishes it: reading counters never queues work for the worker
        for (final SegmentSpec network : networks)
        {
            networkCounters.put(network.name(), Map.of("macs", pipeline.l2.macs().macsInDomainAnyThread(network.id())));
        }
        result.put("networks", networkCounters);
        result.put("nodes", nodeCounters(pipeline.graph()));
        final Map<String, Object> routing = new LinkedHashMap<>();
        final long[] neighbors = pipeline.router.learnedNeighbors().countsAnyThread();
        routing.put("neighbors", neighbors[0]);
        routing.put("neighbor_limit", (long)pipeline.router.learnedNeighbors().limit());
        routing.put("neighbor_refused", neighbors[1]);
        routing.put("neighbor_aged", neighbors[2]);
        routing.put("pool_double_releases", pipeline.graph.pool().counters().get(PacketPool.DOUBLE_RELEASES));
        result.put("routing", routing);
        final Map<String, Object> conntrack = new LinkedHashMap<>();
        conntrack.put("connections", pipeline.connections.sizeAnyThread());
        conntrack.put("nat_ports_in_use", pipeline.connections.sourceTranslatedAnyThread());
        for (final ConntrackCounter counter : ConntrackCounter.values())
        {
            conntrack.put(counter.name().toLowerCase(), pipeline.conntrackCounters().get(counter));
        }
        for (final NatCounter counter : NatCounter.values())
        {
            conntrack.put(counter.name().toLowerCase(), pipeline.natCounters().get(counter));
        }
        // the NAT nodes' drops, under the names this section has always had; counted once, as drops
        conntrack.put("nat_failed", pipeline.drops().get(NatDrops.NAT_FAILED));
        conntrack.put("untranslatable", pipeline.drops().get(NatDrops.NAT_UNTRANSLATABLE));
        result.put("conntrack", conntrack);
        final Map<String, Object> fragments = new LinkedHashMap<>();
        fragments.put("in_reassembly", pipeline.reassembly.sizeAnyThread());
        for (final FragmentCounter counter : FragmentCounter.values())
        {
            fragments.put(counter.name().toLowerCase(), pipeline.fragmentCounters.get(counter));
        }
        result.put("fragments", fragments);
        final Map<String, Object> worker = new LinkedHashMap<>();
        worker.put("cycles", pipeline.worker.cycles());
        worker.put("busy_cycles", pipeline.worker.busyCycles());
        worker.put("blocked_seconds", pipeline.worker.blockedNanos() / 1e9);
        result.put("worker", worker);
        if (!portWorkers.isEmpty())
        {
            final Map<String, Object> shards = new LinkedHashMap<>();
            for (final PortWorker portWorker : portWorkers)
            {
                final Map<String, Object> values = new LinkedHashMap<>();
                values.put("ports", portWorkerOf.values().stream().filter(w -> w == portWorker).count());
                values.put("cycles", portWorker.cycles());
                values.put("blocked_seconds", portWorker.blockedNanos() / 1e9);
                shards.put(portWorker.roleName(), values);
            }
            result.put("port_workers", shards);
        }
    }

    /** Per graph node: packets handed to it, exceptions, and the drops it declared (counters any thread may read). */
    static Map<String, Object> nodeCounters(final Graph graph)
    {
        final Map<String, Object> nodes = new LinkedHashMap<>();
        for (final Node node : graph.nodes())
        {
            final Map<String, Object> values = new LinkedHashMap<>();
            values.put("packets", graph.packets(node));
            values.put("exceptions", graph.exceptions(node));
            final Map<String, Object> dropped = new LinkedHashMap<>();
            for (final DropReason reason : PacketPath.DROP_REASONS)
            {
                final long n = graph.drops(node, reason);
                if (node.declaredDrops().contains(reason) || n != 0)
                {
                    dropped.put(reason.counterName(), n);
                }
            }
            values.put("drops", dropped);
            nodes.put(node.name(), values);
        }
        return nodes;
    }

    static Map<String, Object> portValues(final Port port, final String role)
    {
        final Map<String, Object> values = new LinkedHashMap<>();
        values.put("network", role);
        for (int i = 0; i < PortCounters.NAMES.length; i++)
        {
            values.put(PortCounters.NAMES[i], port.counters().get(i));
        }
        return values;
    }
}
