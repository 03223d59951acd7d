package io.berth.vxlan;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import io.berth.dataplane.graph.TestGraphs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 24: a container's datagram to a known VTEP's tunnel port never reaches the router. */
class TunnelPortGuardNodeTest
{
    private static final long CONTAINER = mac("02:42:ac:12:00:02");
    private static final long GATEWAY = mac("02:42:ac:12:00:01");
    private static final int FROM = ip("172.18.0.2");
    private static final int LOCAL_VTEP = ip("10.240.0.11");
    private static final int REMOTE_VTEP = ip("10.240.0.12");
    private static final int ELSEWHERE = ip("10.240.0.60");

    private final PacketPool pool = new PacketPool(16);
    private final DropCounters drops = new DropCounters();
    private final VxlanTunnels tunnels = new VxlanTunnels();
    private final List<Integer> passed = new ArrayList<>();
    private Graph graph;

    @BeforeEach
    void build()
    {
        graph = TestGraphs.autowire(pool, drops, new TunnelPortGuardNode(tunnels), new Node("sink")
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                for (int i = 0; i < batch.count(); i++)
                {
                    passed.add(batch.get(i));
                    graph().transmitted(batch.get(i));
                }
            }
        });
    }

    private boolean passes(final int destination, final int port)
    {
        final byte[] frame = udpFrame(CONTAINER, GATEWAY, FROM, destination, 40000, port, 80);
        final int handle = pool.allocate();
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        passed.clear();
        graph.inject(handle);
        graph.run();
        return passed.size() == 1;
    }

    @Test
    void dropsDatagramsToAKnownVtepsTunnelPortOnceAnOverlayIsHere()
    {
        tunnels.local(LOCAL_VTEP, 4789);
        assertTrue(passes(REMOTE_VTEP, 4789), "no overlay yet: nothing to guard");
        tunnels.addNetwork(4096, 1);
        tunnels.addTunnel(4096, REMOTE_VTEP, 7);
        assertTrue(!passes(REMOTE_VTEP, 4789) && !passes(LOCAL_VTEP, 4789));
        assertTrue(passes(REMOTE_VTEP, 80), "another port of that host");
        assertTrue(passes(ELSEWHERE, 4789), "VXLAN to an address that is no VTEP here");
        tunnels.addNetwork(4343, 2, 8472);
        assertTrue(!passes(REMOTE_VTEP, 8472), "the Linux port a network uses");
        tunnels.removeTunnel(4096, REMOTE_VTEP);
        assertTrue(passes(REMOTE_VTEP, 4789), "a VTEP no tunnel leads to any more");
        assertEquals(3, drops.get(VxlanDrops.VXLAN_FROM_CONTAINER));
        assertEquals(pool.capacity(), pool.available());
    }
}
