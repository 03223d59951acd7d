package io.berth.l2;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import io.berth.dataplane.graph.TestGraphs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.berth.dataplane.Frames.arpReply;
import static io.berth.dataplane.Frames.arpRequest;
import static io.berth.dataplane.Frames.ethernet;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Port security on its own: bound ports send only as themselves; unbound ports never as a bound port's MAC. */
class PortSecurityNodeTest
{
    private static final long MAC_A = mac("02:42:ac:12:00:02");
    private static final int IP_A = ip("172.18.0.2");
    private static final long MAC_B = mac("02:42:ac:12:00:03");
    private static final int IP_B = ip("172.18.0.3");
    private static final long STRANGER = mac("02:00:00:00:00:99");

    private final PacketPool pool = new PacketPool(32);
    private final DropCounters drops = new DropCounters();
    private final PortTable ports = new PortTable();
    private final L2Switch l2 = new L2Switch(ports);
    private final PortSecurity security = new PortSecurity();
    private final List<Integer> passed = new ArrayList<>();
    private Graph graph;

    @BeforeEach
    void build()
    {
        l2.addDomain(new BridgeDomain(1, ip("172.18.0.1"), mac("02:42:ac:12:00:01"), true));
        l2.addPort(1, 1);
        l2.addPort(2, 1);
        l2.addPort(9, 1); // a port in the domain that is no container's (a future parent or tunnel port)
        security.bind(1, 1, MAC_A, IP_A);
        security.bind(2, 1, MAC_B, IP_B);
        graph = TestGraphs.autowire(pool, drops, new PortSecurityNode(security, l2), new Node("sink")
        {
            @Override
            protected void process(final PacketBatch batch)
            {
                for (int i = 0; i < batch.count(); i++)
                {
                    passed.add(graph().pool().inPort(batch.get(i)));
                    graph().transmitted(batch.get(i));
                }
            }
        });
    }

    private DropReason send(final int port, final byte[] frame)
    {
        final long[] before = new long[DropReason.capacity()];
        for (final DropReason r : DropReason.values())
        {
            before[r.ordinal()] = drops.get(r);
        }
        final int handle = pool.allocate();
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        pool.inPort(handle, port);
        graph.inject(handle);
        graph.run();
        for (final DropReason r : DropReason.values())
        {
            if (drops.get(r) != before[r.ordinal()])
            {
                return r;
            }
        }
        return null;
    }

    @Test
    void aBoundPortSendsOnlyAsItself()
    {
        assertEquals(null, send(1, udpFrame(MAC_A, MAC_B, IP_A, IP_B, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, send(1, udpFrame(MAC_B, MAC_A, IP_B, IP_A, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, send(1, udpFrame(STRANGER, MAC_B, IP_A, IP_B, 1, 2, 60)));
        assertEquals(DropReason.SPOOFED_SOURCE, send(1, udpFrame(MAC_A, MAC_B, IP_B, IP_A, 1, 2, 60)));
        assertEquals(DropReason.ARP_SPOOF, send(1, arpReply(MAC_A, IP_B, MAC_B, IP_B)));
        assertEquals(DropReason.ARP_SPOOF, send(1, ethernet(MAC_B, MAC_A, 0x0806,
            Arrays.copyOfRange(arpReply(MAC_B, IP_A, MAC_B, IP_B), 14, 42)))); // ARP sender MAC not the frame's
        assertEquals(null, send(1, arpRequest(MAC_A, IP_A, IP_B)));
        assertEquals(null, send(1, arpRequest(MAC_A, 0, IP_B)), "an RFC 5227 probe");
        assertEquals(null, send(1, ethernet(MAC_B, MAC_A, 0x86DD, new byte[40])), "IPv6 from its own MAC");
        assertEquals(List.of(1, 1, 1, 1), passed);
    }

    @Test
    void anUnboundPortMayNotUseABoundPortsMac()
    {
        assertEquals(DropReason.MAC_SPOOF, send(9, udpFrame(MAC_A, MAC_B, ip("10.0.0.9"), IP_B, 1, 2, 60)));
        assertEquals(null, send(9, udpFrame(STRANGER, MAC_B, ip("10.0.0.9"), IP_B, 1, 2, 60)));
        assertEquals(null, send(7, udpFrame(MAC_A, MAC_B, IP_A, IP_B, 1, 2, 60)), "a port in no domain (uplink)");
        security.unbind(1);
        assertEquals(null, send(9, udpFrame(MAC_A, MAC_B, ip("10.0.0.9"), IP_B, 1, 2, 60)), "A's port is gone");
        assertEquals(pool.capacity(), pool.available());
    }
}
