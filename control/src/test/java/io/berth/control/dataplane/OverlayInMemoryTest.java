package io.berth.control.dataplane;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.Frames;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PortCounters;
import io.berth.vxlan.VxlanDrops;
import io.berth.vxlan.VxlanTunnelPort;
import io.berth.vxlan.VxlanTunnels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.berth.dataplane.Frames.arpReply;
import static io.berth.dataplane.Frames.arpRequest;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.ping;
import static io.berth.dataplane.Frames.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts' production graphs joined by an underlay wire (each one's uplink frames handed to the other's), one
 * overlay network on VNI 4242 with a container on each and a tunnel port to the other VTEP: ARP floods by
 * head-end replication, the reply comes back through the MAC learned on the tunnel port, pings cross, a frame
 * from a tunnel is never relayed into another, and VXLAN from a stranger or for an unknown VNI is counted and
 * dropped.
 */
class OverlayInMemoryTest
{
    static final int VNI = 4242;
    static final int NET = 1;
    static final int VTEP_A = ip("192.168.50.1");
    static final int VTEP_B = ip("192.168.50.2");
    static final int VTEP_C = ip("192.168.50.3");
    static final long UPLINK_MAC_A = mac("02:00:c0:a8:32:01");
    static final long UPLINK_MAC_B = mac("02:00:c0:a8:32:02");
    static final int IP_A1 = ip("10.0.0.2");
    static final int IP_B1 = ip("10.0.0.3");
    static final int TUNNEL = 100;
    static final int TUNNEL_C = 101;

    final OverlayHost a = new OverlayHost(VNI, NET, TUNNEL, VTEP_A, UPLINK_MAC_A, VTEP_B, UPLINK_MAC_B);
    final OverlayHost b = new OverlayHost(VNI, NET, TUNNEL, VTEP_B, UPLINK_MAC_B, VTEP_A, UPLINK_MAC_A);

    @BeforeEach
    void containers()
    {
        a.path.container(a.container, NET, IP_A1);
        b.path.container(b.container, NET, IP_B1);
    }

    /** Runs both hosts until the wire is quiet. */
    void settle()
    {
        for (int round = 0; round < 10; round++)
        {
            a.path.cycle();
            b.path.cycle();
            boolean moved = false;
            byte[] f;
            while ((f = a.uplink.takeTransmitted()) != null)
            {
                b.uplink.inject(f);
                moved = true;
            }
            while ((f = b.uplink.takeTransmitted()) != null)
            {
                a.uplink.inject(f);
                moved = true;
            }
            if (!moved && round > 1)
            {
                return;
            }
        }
    }

    @Test
    void arpAndPingCrossTheOverlay()
    {
        final long macA1 = MemoryPacketPath.macFor(IP_A1);
        final long macB1 = MemoryPacketPath.macFor(IP_B1);
        final byte[] request = arpRequest(macA1, IP_A1, IP_B1);
        a.container.inject(request);
        settle();
        assertArrayEquals(request, b.container.takeTransmitted(), "the broadcast reached the other host's container, intact");

        final byte[] reply = arpReply(macB1, IP_B1, macA1, IP_A1);
        b.container.inject(reply);
        settle();
        assertArrayEquals(reply, a.container.takeTransmitted(), "the reply came back through the learned tunnel MAC");

        final byte[] echo = ping(macA1, macB1, IP_A1, IP_B1, 7, 1, new byte[1400]);
        a.container.inject(echo);
        settle();
        assertEquals(toHex(echo), toHex(b.container.takeTransmitted()), "a 1400-byte ping, unicast across");
        assertNull(a.container.takeTransmitted(), "and nothing else");
        assertEquals(0, a.path.graph().drops().get(VxlanDrops.VXLAN_MALFORMED) + b.path.graph().drops().get(VxlanDrops.VXLAN_MALFORMED));
    }

    @Test
    void framesFromOneTunnelAreNotRelayedIntoAnother()
    {
        // b has a second remote VTEP, c: a broadcast from a (over its tunnel) must reach b's container only
        final MemoryPort unused = new MemoryPort(99, "c-uplink");
        b.tunnels.addTunnel(VNI, VTEP_C, TUNNEL_C);
        final VxlanTunnelPort toC = new VxlanTunnelPort(TUNNEL_C, VNI, VTEP_C, b.tunnels, b.uplink, UPLINK_MAC_B,
            address -> mac("02:00:c0:a8:32:03"));
        b.path.tunnel(toC, NET);
        a.container.inject(arpRequest(MemoryPacketPath.macFor(IP_A1), IP_A1, ip("10.0.0.77")));
        a.path.cycle();
        final byte[] overWire = a.uplink.takeTransmitted();
        assertNotNull(overWire);
        b.uplink.inject(overWire);
        b.path.cycle();
        assertNotNull(b.container.takeTransmitted(), "flooded to b's own container");
        assertNull(b.uplink.takeTransmitted(), "but not into the tunnel to c (split horizon)");
        assertEquals(0, toC.counters().get(PortCounters.TX_PACKETS));
        assertEquals(0, unused.transmittedWaiting());
    }

    @Test
    void vxlanFromAStrangerOrForAnUnknownVniIsCountedAndDropped()
    {
        a.container.inject(arpRequest(MemoryPacketPath.macFor(IP_A1), IP_A1, IP_B1));
        a.path.cycle();
        final byte[] datagram = a.uplink.takeTransmitted();
        final byte[] stranger = datagram.clone();
        stranger[29] = 99; // outer source 192.168.50.99: no tunnel
        fixOuterChecksum(stranger);
        b.uplink.inject(stranger);
        final byte[] otherVni = datagram.clone();
        otherVni[48] = 1; // VNI 4242 + 65536
        b.uplink.inject(otherVni);
        b.path.cycle();
        assertNull(b.container.takeTransmitted());
        assertEquals(1, b.path.graph().drops().get(VxlanDrops.VXLAN_UNKNOWN_SOURCE));
        assertEquals(1, b.path.graph().drops().get(VxlanDrops.VXLAN_UNKNOWN_VNI));
        assertTrue(b.path.graph().drops().get(DropReason.NODE_EXCEPTION) == 0);
    }

    static void fixOuterChecksum(final byte[] frame)
    {
        frame[24] = 0;
        frame[25] = 0;
        final int sum = Frames.checksum(frame, 14, 20, 0);
        frame[24] = (byte)(sum >>> 8);
        frame[25] = (byte)sum;
    }
}
