package io.berth.nat;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.TestPackets;
import io.berth.dataplane.PacketPool;
import org.junit.jupiter.api.Test;

import static io.berth.conntrack.TestPackets.ip;
import static io.berth.dataplane.flyweight.TcpFlyweight.ACK;
import static io.berth.dataplane.flyweight.TcpFlyweight.PSH;
import static io.berth.dataplane.flyweight.TcpFlyweight.SYN;
import static io.berth.nat.NatHarness.U;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZeroAllocationTest
{
    static final int C = ip("172.17.0.2");
    static final int S = ip("93.184.216.34");
    static final int X = ip("203.0.113.7");

    @Test
    void establishedFlowsThroughConntrackDnatAndSnatAllocateNothing()
    {
        final NatHarness nat = new NatHarness();
        final PacketPool pool = nat.pool;
        nat.published.publish(U, io.berth.dataplane.flyweight.Ipv4Flyweight.PROTO_TCP, 8080, C, 80);
        // a masqueraded flow and a published-port flow, both established
        pool.release(nat.out(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        pool.release(nat.in(TestPackets.tcp(pool, S, 80, U, 40000, SYN | ACK)));
        pool.release(nat.out(TestPackets.tcp(pool, C, 40000, S, 80, ACK)));
        pool.release(nat.in(TestPackets.tcp(pool, X, 50000, U, 8080, SYN)));
        pool.release(nat.out(TestPackets.tcp(pool, C, 80, X, 50000, SYN | ACK)));
        pool.release(nat.in(TestPackets.tcp(pool, X, 50000, U, 8080, ACK)));
        assertEquals(2, nat.table.size());

        final int[] templates = {
            TestPackets.tcp(pool, C, 40000, S, 80, ACK | PSH, 1400), TestPackets.tcp(pool, S, 80, U, 40000, ACK, 0),
            TestPackets.tcp(pool, X, 50000, U, 8080, ACK | PSH, 600), TestPackets.tcp(pool, C, 80, X, 50000, ACK, 0)};
        final int[] egress = {NatHarness.UPLINK_PORT, NatHarness.CONTAINER_PORT, NatHarness.CONTAINER_PORT, NatHarness.UPLINK_PORT};

        run(nat, templates, egress, 200_000); // warm up: JIT, lazily sized structures
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long before = threads.getCurrentThreadAllocatedBytes();
        final int passed = run(nat, templates, egress, 100_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(100_000, passed);
        assertEquals(0, allocated, "bytes allocated for 100k packets");
        assertEquals(2, nat.table.size());
        final int entry = io.berth.conntrack.ConnectionTable.entry(nat.table.lookup(
            io.berth.conntrack.Tuples.key1(C, S), io.berth.conntrack.Tuples.key2(6, 40000, 80)));
        assertEquals(ConnState.ESTABLISHED, nat.table.state(entry));
        for (final int t : templates)
        {
            pool.release(t);
        }
        assertEquals(pool.capacity(), pool.available());
    }

    /** Copies the templates into fresh packets in batches of 32 and runs them; returns how many came out. */
    private static int run(final NatHarness nat, final int[] templates, final int[] egress, final int packets)
    {
        final PacketPool pool = nat.pool;
        int out = 0;
        for (int sent = 0; sent < packets; )
        {
            for (int j = 0; j < 32 && sent < packets; j++, sent++)
            {
                final int t = sent & 3;
                final int h = pool.allocate();
                pool.clearVnetHeader(h);
                pool.buffer().putBytes(pool.frameOffset(h), pool.buffer(), pool.frameOffset(templates[t]), pool.frameLength(templates[t]));
                pool.frameLength(h, pool.frameLength(templates[t]));
                pool.egress(h, egress[t]);
                nat.graph.inject(h);
            }
            nat.sink.clear();
            nat.graph.run();
            final int n = nat.sink.count();
            for (int k = 0; k < n; k++)
            {
                final int h = nat.sink.get(k);
                if ((k & 1) == 0 && !TestPackets.checksumsValid(pool, h)) // spot check; no allocation on this path
                {
                    throw new AssertionError("bad checksum");
                }
                pool.release(h);
            }
            out += n;
            nat.sink.clear();
        }
        return out;
    }
}
