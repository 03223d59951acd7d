package io.berth.l3;

import io.berth.dataplane.MemoryPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.berth.l3.Packets.*;
import static io.berth.l3.RouterRig.*;
import static org.junit.jupiter.api.Assertions.*;
import java.util.Arrays;

/** Bugs found in main code (reported to the lead; kept out of the commit until fixed). */
class RoutingBugsTest
{
    private static final long ATTACKER = mac("00:66:66:66:66:66");
    private final RouterRig rig = new RouterRig().withUplink(LAN_GATEWAY);

    @AfterEach
    void noLeaks()
    {
        assertEquals(rig.pool.capacity(), rig.pool.available());
    }

    private static byte[] take(final MemoryPort port)
    {
        final byte[] frame = port.takeTransmitted();
        assertNotNull(frame, port.name() + " sent nothing");
        return frame;
    }

    /** Bug 1: an ARP on the uplink claiming a container's address moves that neighbour onto the uplink. */
    @Test
    void arpOnTheUplinkCannotStealAContainersAddress()
    {
        rig.permitted = true;
        rig.send(rig.uplink, arpRequest(ATTACKER, IP_B, UPLINK_IP));
        assertArrayEquals(arpReply(UPLINK_MAC, UPLINK_IP, ATTACKER, IP_B), take(rig.uplink));
        assertEquals(Router.neighbor(rig.b.id(), MAC_B), rig.router.neighbor(IP_B));
        rig.send(rig.a, udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, 64, 8));
        assertNotNull(rig.b.takeTransmitted(), "a -> b still reaches b");
        assertEquals(List.of(), rig.leftovers(), "nothing leaves on the uplink");
    }

    /** Bug 1 again: or the host's address (the host link's neighbour). */
    @Test
    void arpOnTheUplinkCannotStealTheHost()
    {
        rig.send(rig.uplink, arpReply(ATTACKER, HOST_IP, UPLINK_MAC, UPLINK_IP));
        assertEquals(Router.neighbor(rig.host.id(), HOST_MAC), rig.router.neighbor(HOST_IP));
        rig.send(rig.a, udpFrame(MAC_A, GW_A_MAC, IP_A, HOST_IP, 64, 8));
        assertNotNull(rig.host.takeTransmitted());
        assertEquals(List.of(), rig.leftovers());
    }

    /** Bug 2: the host pings a network's gateway (as it pings docker0's address) and gets port unreachable. */
    @Test
    void theHostCanPingAGateway()
    {
        rig.send(rig.host, ping(HOST_MAC, HOST_LINK_MAC, HOST_IP, GW_A, 64));
        final byte[] reply = take(rig.host);
        assertEquals(0, u8(reply, 34), "echo reply, not " + u8(reply, 34) + "/" + u8(reply, 35));
        assertEquals(GW_A, intAt(reply, 26));
    }

    /** Bug 3: the ICMP error quotes Ethernet padding past the IPv4 total length. */
    @Test
    void theQuoteStopsWhereTheDatagramEnds()
    {
        final RouterRig noUplink = new RouterRig();
        final byte[] sent = Arrays.copyOf(ethernet(GW_A_MAC, MAC_A, IPV4, ipv4(IP_A, OUTSIDE, 47, 64, new byte[4])), 60);
        Arrays.fill(sent, 38, 60, (byte)0x55); // padding
        noUplink.send(noUplink.a, sent);
        final byte[] error = noUplink.a.takeTransmitted();
        assertEquals(14 + 20 + 8 + 24, error.length, () -> toHex(error));
        assertEquals(noUplink.pool.capacity(), noUplink.pool.available());
    }

    /** Bug 4 (minor): TTL 1 towards an unknown container earns host unreachable, not time exceeded. */
    @Test
    void ttlIsCheckedBeforeTheNeighbour()
    {
        rig.permitted = true;
        rig.send(rig.a, udpFrame(MAC_A, GW_A_MAC, IP_A, ip("172.19.0.99"), 1, 8));
        assertEquals(11, u8(take(rig.a), 34));
    }
}
