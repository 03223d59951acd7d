package io.berth.control.dataplane;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.graph.Graph;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.berth.dataplane.Frames.arpReply;
import static io.berth.dataplane.Frames.arpRequest;
import static io.berth.dataplane.Frames.ethernet;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.ping;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The three impersonation attacks of issue 13 through berthd's production graph: attacker A, victim V and T on
 * one network. Each is refused with its own reason, and V's traffic is undisturbed.
 */
class PortSecurityTest
{
    private static final int GW = ip("172.18.0.1");
    private static final int IP_A = ip("172.18.0.2");
    private static final int IP_V = ip("172.18.0.3");
    private static final int IP_T = ip("172.18.0.4");
    private static final long MAC_A = MemoryPacketPath.macFor(IP_A);
    private static final long MAC_V = MemoryPacketPath.macFor(IP_V);
    private static final long MAC_T = MemoryPacketPath.macFor(IP_T);

    private MemoryPacketPath path;
    private final MemoryPort a = new MemoryPort(1, "a");
    private final MemoryPort v = new MemoryPort(2, "v");
    private final MemoryPort t = new MemoryPort(3, "t");

    @BeforeEach
    void build()
    {
        path = new MemoryPacketPath(64, DataplaneOptions.defaults(), SystemEpochClock.INSTANCE)
            .network(1, ip("172.18.0.0"), 16, GW, true, false)
            .container(a, 1, IP_A).container(v, 1, IP_V).container(t, 1, IP_T);
        // everyone says who they are: their MACs are learned on their own ports
        a.inject(arpRequest(MAC_A, IP_A, GW));
        v.inject(arpRequest(MAC_V, IP_V, GW));
        t.inject(arpRequest(MAC_T, IP_T, GW));
        path.cycle();
        drain();
    }

    private void drain()
    {
        for (final MemoryPort port : new MemoryPort[] {a, v, t})
        {
            while (port.takeTransmitted() != null)
            {
                // gateway answers and floods of the set-up
            }
        }
    }

    private long drops(final DropReason reason)
    {
        return path.graph().drops().get(reason);
    }

    @Test
    void aFrameFromAnotherPortsMacIsRefusedAndTheMacStaysWithItsOwner()
    {
        a.inject(ethernet(MAC_T, MAC_V, 0x88B5, new byte[46])); // A pretends to be V
        path.cycle();
        assertEquals(1, drops(DropReason.MAC_SPOOF));
        assertNull(t.takeTransmitted(), "nothing reached T");

        // T's pings to V still go to V, not to A
        t.inject(ping(MAC_T, MAC_V, IP_T, IP_V, 1, 1, new byte[8]));
        path.cycle();
        assertNotNull(v.takeTransmitted(), "V gets T's ping");
        assertNull(a.takeTransmitted(), "A sees none of it");
        assertEquals(v.id(), path.path().l2.macs().lookup(1, MAC_V));
    }

    @Test
    void arpClaimingAnotherAddressIsRefused()
    {
        a.inject(arpReply(MAC_A, IP_V, MAC_T, IP_T)); // "V's IP is at A's MAC", to T
        a.inject(arpReply(MAC_A, GW, MAC_T, IP_T)); // "the gateway is at A's MAC"
        path.cycle();
        assertEquals(2, drops(DropReason.ARP_SPOOF));
        assertNull(t.takeTransmitted(), "T's neighbour table never hears it");

        a.inject(arpRequest(MAC_A, 0, IP_T)); // an RFC 5227 probe is fine
        a.inject(arpRequest(MAC_A, IP_A, IP_T)); // and so is asking as oneself
        path.cycle();
        assertEquals(2, drops(DropReason.ARP_SPOOF));
        assertNotNull(t.takeTransmitted());
    }

    @Test
    void ipv4FromAnotherAddressIsRefused()
    {
        a.inject(ping(MAC_A, MAC_T, IP_V, IP_T, 1, 1, new byte[8])); // from A's MAC, with V's address
        path.cycle();
        assertEquals(1, drops(DropReason.SPOOFED_SOURCE));
        assertNull(t.takeTransmitted(), "T never answers V for A");
        final Graph graph = path.graph();
        assertEquals(1, graph.drops(graph.node("port-security"), DropReason.SPOOFED_SOURCE));

        a.inject(ping(MAC_A, MAC_T, IP_A, IP_T, 1, 2, new byte[8]));
        a.inject(ethernet(MAC_T, MAC_A, 0x86DD, ipv6FromLinkLocal(MAC_A))); // IPv6 from A's own link-local
        path.cycle();
        assertNotNull(t.takeTransmitted());
        assertNotNull(t.takeTransmitted());
    }

    /** An empty IPv6 packet (next header 59) from fe80:: and the MAC's modified EUI-64 to ff02::1. */
    private static byte[] ipv6FromLinkLocal(final long mac)
    {
        final long eui = (((mac >>> 24) ^ 0x02_0000L) << 40) | (0xFF_FEL << 24) | (mac & 0xFF_FFFF);
        return ByteBuffer.allocate(40).putInt(0x6000_0000).putShort((short)0).put((byte)59).put((byte)64)
            .putLong(0xfe80_0000_0000_0000L).putLong(eui).putLong(0xff02_0000_0000_0000L).putLong(1).array();
    }
}
