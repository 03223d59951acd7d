package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounters;
import io.berth.conntrack.ConntrackNode;
import io.berth.conntrack.CtInfo;
import io.berth.conntrack.MidstreamPickup;
import io.berth.conntrack.Sink;
import io.berth.conntrack.Timeouts;
import io.berth.dataplane.DropCounters;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.TestGraphs;
import org.agrona.concurrent.CachedEpochClock;

import static io.berth.conntrack.TestPackets.ip;
import java.util.function.Function;

/** conntrack -> dnat -> snat -> sink, with the uplink as port 9 at 192.168.1.10 (routing is simulated by egress). */
final class NatHarness
{
    static final int UPLINK_PORT = 9;
    static final int CONTAINER_PORT = 1;
    static final int U = ip("192.168.1.10");

    final PacketPool pool = new PacketPool(128);
    final Graph graph;
    final ConntrackCounters ctCounters = new ConntrackCounters();
    final NatCounters natCounters = new NatCounters();
    final CachedEpochClock clock = new CachedEpochClock();
    final Timeouts timeouts = new Timeouts();
    final CtInfo info = new CtInfo(pool.capacity());
    final ConnectionTable table;
    final PublishedPorts published = new PublishedPorts();
    final PortAllocator ports;
    final Sink sink = new Sink();

    NatHarness(final int limit, final Function<ConnectionTable, PortAllocator> factory)
    {
        this(limit, factory, MidstreamPickup.STRICT);
    }

    NatHarness(final int limit, final Function<ConnectionTable, PortAllocator> factory,
        final MidstreamPickup pickup)
    {
        this(limit, factory, pickup, new NatBindings(0));
    }

    NatHarness(final int limit, final Function<ConnectionTable, PortAllocator> factory,
        final MidstreamPickup pickup, final NatBindings bindings)
    {
        clock.update(1_000_000);
        table = new ConnectionTable(limit, ctCounters);
        ports = factory.apply(table);
        graph = TestGraphs.autowire(pool, new DropCounters(), new ConntrackNode(table, info, timeouts, clock, true, pickup),
            new DnatNode(table, info, published, natCounters, bindings),
            new SnatNode(table, info, ports, SnatPolicy.uplink(UPLINK_PORT, U), natCounters, bindings), sink);
        table.onRemoval(bindings);
    }

    NatHarness()
    {
        this(1024, PortAllocator::new);
    }

    /** Routes the packet to {@code egress} and runs it through; the handle that came out, or -1 when dropped. */
    int send(final int handle, final int egress)
    {
        pool.egress(handle, egress);
        final int before = sink.count();
        graph.inject(handle);
        graph.run();
        return sink.count() == before ? -1 : sink.last();
    }

    int out(final int handle)
    {
        return send(handle, UPLINK_PORT);
    }

    int in(final int handle)
    {
        return send(handle, CONTAINER_PORT);
    }
}
