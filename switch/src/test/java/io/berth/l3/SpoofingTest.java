package io.berth.l3;

import io.berth.dataplane.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.berth.l3.RouterRig.GW_A_MAC;
import static io.berth.l3.RouterRig.HOST_LINK_IP;
import static io.berth.l3.RouterRig.IP_A;
import static io.berth.l3.RouterRig.IP_B;
import static io.berth.l3.RouterRig.MAC_A;
import static io.berth.l3.RouterRig.UPLINK_IP;
import static io.berth.l3.RouterRig.UPLINK_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reverse-path checks in the route stage: a sender may only use its own address. */
class SpoofingTest
{
    private final RouterRig rig = new RouterRig();

    @AfterEach
    void nothingLeaks()
    {
        assertEquals(List.of(), rig.leftovers(), "frames nobody expected");
        assertEquals(rig.pool.capacity(), rig.pool.available(), "every packet went back to the pool");
    }

    @Test
    void aContainerSendingFromAnotherContainersAddressIsDropped()
    {
        rig.permitted = true;
        rig.send(rig.a, Packets.udpFrame(MAC_A, GW_A_MAC, IP_B, IP_B, 64, 8)); // a claims b's address
        rig.send(rig.a, Packets.udpFrame(MAC_A, GW_A_MAC, Packets.ip("172.18.0.99"), IP_B, 64, 8)); // nobody's
        assertEquals(2, rig.drops(DropReason.SPOOFED_SOURCE));
        assertEquals(2, rig.refusals, "conntrack is told so it forgets the connection");
        rig.send(rig.a, Packets.udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, 64, 8)); // its own: routed
        assertEquals(1, rig.b.transmittedWaiting());
        rig.b.takeTransmitted();
    }

    @Test
    void theOutsideCannotClaimAContainersOrBerthdsAddress()
    {
        rig.withUplink(0).permitted = true;
        rig.send(rig.uplink, Packets.udpFrame(Packets.mac("00:11:22:33:44:77"), UPLINK_MAC, IP_A, IP_B, 64, 8));
        rig.send(rig.uplink, Packets.udpFrame(Packets.mac("00:11:22:33:44:77"), UPLINK_MAC, HOST_LINK_IP, IP_B, 64, 8));
        rig.send(rig.uplink, Packets.udpFrame(Packets.mac("00:11:22:33:44:77"), UPLINK_MAC, UPLINK_IP, IP_B, 64, 8));
        assertEquals(3, rig.drops(DropReason.SPOOFED_SOURCE));
        assertEquals(0, rig.b.transmittedWaiting());
    }
}
