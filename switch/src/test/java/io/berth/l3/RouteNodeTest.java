package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.berth.l3.Packets.ICMP;
import static io.berth.l3.Packets.IPV4;
import static io.berth.l3.Packets.UDP;
import static io.berth.l3.Packets.ethernet;
import static io.berth.l3.Packets.icmp;
import static io.berth.l3.Packets.icmpError;
import static io.berth.l3.Packets.icmpValid;
import static io.berth.l3.Packets.ip;
import static io.berth.l3.Packets.ipv4;
import static io.berth.l3.Packets.ipv4Valid;
import static io.berth.l3.Packets.mac;
import static io.berth.l3.Packets.ping;
import static io.berth.l3.Packets.slice;
import static io.berth.l3.Packets.toHex;
import static io.berth.l3.Packets.u8;
import static io.berth.l3.Packets.udpFrame;
import static io.berth.l3.RouterRig.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RouteNode (with NeighborResolver and IcmpErrors) in the router's packet path, with golden frames. */
class RouteNodeTest
{
    private final RouterRig rig = new RouterRig();

    @AfterEach
    void nothingLeaksOrIsLeftOver()
    {
        assertEquals(List.of(), rig.leftovers(), "frames nobody expected");
        assertEquals(0, rig.resolver.waiting(), "packets still waiting for ARP");
        assertEquals(rig.pool.capacity(), rig.pool.available(), "every packet went back to the pool");
    }

    private static byte[] take(final MemoryPort port)
    {
        final byte[] frame = port.takeTransmitted();
        assertNotNull(frame, port.name() + " sent nothing");
        return frame;
    }

    /** {@code sent} as it leaves a router: new MACs, TTL one less, IPv4 checksum recomputed from scratch. */
    private static byte[] routed(final byte[] sent, final long destinationMac, final long sourceMac)
    {
        final int ihl = (sent[14] & 0xF) * 4;
        final int ttl = u8(sent, 22);
        final byte[] packet = slice(sent, 14, sent.length);
        packet[8] = (byte)(ttl - 1);
        packet[10] = 0;
        packet[11] = 0;
        final int sum = Packets.checksum(packet, 0, ihl, 0);
        packet[10] = (byte)(sum >>> 8);
        packet[11] = (byte)sum;
        return ethernet(destinationMac, sourceMac, IPV4, packet);
    }

    private static void assertFrame(final byte[] expected, final byte[] actual)
    {
        assertArrayEquals(expected, actual, () -> "expected\n" + toHex(expected) + "\nactual\n" + toHex(actual));
        assertTrue(ipv4Valid(actual), "IPv4 checksum");
    }

    // 1. between bridge networks

    @Test
    void anotherNetworksContainerIsIsolatedWithoutAPermit()
    {
        rig.send(rig.a, udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, 64, 32));
        assertEquals(1, rig.drops(L3Drops.ISOLATED_NETWORKS));
        assertEquals(1, rig.permitAsked);
        rig.send(rig.b, udpFrame(MAC_B, GW_B_MAC, IP_B, IP_A, 64, 32));
        assertEquals(2, rig.drops(L3Drops.ISOLATED_NETWORKS));
        assertEquals(2, rig.totalDrops(), "nothing else counted, no ICMP sent");
    }

    @Test
    void withAPermitItIsRoutedIntoTheOtherNetwork()
    {
        rig.permitted = true;
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, 64, 32);
        rig.send(rig.a, sent);
        final byte[] out = take(rig.b);
        assertFrame(routed(sent, MAC_B, GW_B_MAC), out);
        assertEquals(63, u8(out, 22));
        assertArrayEquals(Packets.hex("02 42 ac 13 00 02  02 42 ac 13 00 01  08 00"), slice(out, 0, 14));
        assertTrue(Packets.l4Valid(out), "UDP untouched");

        final byte[] back = udpFrame(MAC_B, GW_B_MAC, IP_B, IP_A, 64, 0);
        rig.send(rig.b, back);
        assertFrame(routed(back, MAC_A, GW_A_MAC), take(rig.a));
        assertEquals(0, rig.totalDrops());
    }

    @Test
    void everyTtlIsDecrementedWithAValidChecksum()
    {
        rig.permitted = true;
        for (int ttl = 2; ttl <= 255; ttl++)
        {
            final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, ttl, ttl % 17);
            rig.send(rig.a, sent);
            final byte[] out = take(rig.b);
            assertFrame(routed(sent, MAC_B, GW_B_MAC), out);
        }
    }

    @Test
    void theSameNetworkThroughTheGatewayNeedsNoPermit()
    {
        final int otherA = ip("172.18.0.9");
        final MemoryPort a2 = new MemoryPort(6, "a2");
        rig.ports.put(a2);
        rig.l2.addPort(a2.id(), NET_A);
        rig.router.putNeighbor(otherA, a2.id(), mac("02:42:ac:12:00:09"));
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, otherA, 64, 8);
        rig.send(rig.a, sent);
        assertFrame(routed(sent, mac("02:42:ac:12:00:09"), GW_A_MAC), take(a2));
        assertEquals(0, rig.permitAsked);
    }

    @Test
    void anUnknownContainerInTheOtherNetworkIsHostUnreachable()
    {
        rig.permitted = true;
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, ip("172.19.0.99"), 64, 20);
        rig.send(rig.a, sent);
        final byte[] error = take(rig.a);
        assertFrame(icmpError(GW_A_MAC, GW_A, sent, 3, 1), error);
        assertTrue(icmpValid(error));
        assertEquals(1, rig.drops(L3Drops.NEIGHBOR_UNRESOLVED));
    }

    // 2. the host link

    @Test
    void containerToTheHostAndBack()
    {
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, HOST_IP, 64, 10);
        rig.send(rig.a, sent);
        assertFrame(routed(sent, HOST_MAC, HOST_LINK_MAC), take(rig.host));

        final byte[] reply = udpFrame(HOST_MAC, HOST_LINK_MAC, HOST_IP, IP_A, 64, 10);
        rig.send(rig.host, reply);
        assertFrame(routed(reply, MAC_A, GW_A_MAC), take(rig.a));

        final byte[] toB = udpFrame(HOST_MAC, HOST_LINK_MAC, HOST_IP, IP_B, 64, 10);
        rig.send(rig.host, toB);
        assertFrame(routed(toB, MAC_B, GW_B_MAC), take(rig.b));
        assertEquals(0, rig.permitAsked, "the host is in no bridge network: it reaches every network");
        assertEquals(0, rig.totalDrops());
    }

    @Test
    void theHostWithoutAnUplinkGetsNetUnreachableFromTheHostLinkAddress()
    {
        final byte[] sent = udpFrame(HOST_MAC, HOST_LINK_MAC, HOST_IP, OUTSIDE, 64, 10);
        rig.send(rig.host, sent);
        final byte[] error = take(rig.host);
        assertFrame(icmpError(HOST_LINK_MAC, HOST_LINK_IP, sent, 3, 0), error);
        assertTrue(icmpValid(error));
    }

    // 3. the outside

    @Test
    void withoutAnUplinkTheOutsideIsNetUnreachable()
    {
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, OUTSIDE, 64, 100);
        rig.send(rig.a, sent);
        final byte[] error = take(rig.a);
        // golden: from the gateway, TTL 64, id 0, DF; type 3 code 0; the offending header + 8 bytes quoted
        final byte[] expected = Packets.hex(
            "02 42 ac 12 00 02  02 42 ac 12 00 01  08 00"
            + "45 00 00 38 00 00 40 00 40 01" + hex16(Packets.checksum(Packets.hex(
                "45 00 00 38 00 00 40 00 40 01 00 00 ac 12 00 01 ac 12 00 02"), 0, 20, 0))
            + "ac 12 00 01 ac 12 00 02"
            + "03 00 00 00  00 00 00 00"
            + toHex(slice(sent, 14, 42)));
        assertEquals(expected.length, error.length, () -> toHex(error));
        assertArrayEquals(slice(expected, 0, 36), slice(error, 0, 36), () -> toHex(error));
        assertArrayEquals(slice(expected, 38, expected.length), slice(error, 38, error.length), () -> toHex(error));
        assertTrue(ipv4Valid(error), "IPv4 checksum");
        assertTrue(icmpValid(error), "ICMP checksum");
        assertFrame(icmpError(GW_A_MAC, GW_A, sent, 3, 0), error);
        assertEquals(1, rig.drops(DropReason.NO_ROUTE));
    }

    private static String hex16(final int value)
    {
        return String.format("%02x %02x ", value >>> 8, value & 0xFF);
    }

    @Test
    void anUnknownNextHopIsAskedForAndThePacketWaitsForTheAnswer()
    {
        rig.withUplink(LAN_GATEWAY);
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, OUTSIDE, 64, 40);
        rig.send(rig.a, sent);
        // who has 192.168.1.1? tell 192.168.1.50
        assertArrayEquals(Packets.hex(
            "ff ff ff ff ff ff  02 aa 00 00 00 50  08 06"
            + "00 01 08 00 06 04 00 01  02 aa 00 00 00 50  c0 a8 01 32  00 00 00 00 00 00  c0 a8 01 01"),
            take(rig.uplink));
        assertEquals(1, rig.resolver.waiting());
        assertEquals(List.of(), rig.leftovers());

        rig.send(rig.uplink, Packets.arpReply(LAN_GATEWAY_MAC, LAN_GATEWAY, UPLINK_MAC, UPLINK_IP));
        assertEquals(0, rig.resolver.waiting());
        assertFrame(routed(sent, LAN_GATEWAY_MAC, UPLINK_MAC), take(rig.uplink));
        assertEquals(Router.neighbor(rig.uplink.id(), LAN_GATEWAY_MAC), rig.router.neighbor(LAN_GATEWAY));

        // now known: the next packet goes at once, with no ARP
        final byte[] next = udpFrame(MAC_A, GW_A_MAC, IP_A, ip("1.1.1.1"), 30, 1);
        rig.send(rig.a, next);
        assertFrame(routed(next, LAN_GATEWAY_MAC, UPLINK_MAC), take(rig.uplink));
        assertEquals(0, rig.totalDrops());
    }

    @Test
    void aFewPacketsWaitTogetherAndLeaveInOrder()
    {
        rig.withUplink(LAN_GATEWAY);
        final byte[][] sent = new byte[5][];
        for (int n = 0; n < sent.length; n++)
        {
            sent[n] = udpFrame(MAC_A, GW_A_MAC, IP_A, OUTSIDE, 64, n);
            rig.a.inject(sent[n]);
        }
        rig.run();
        assertEquals(5, rig.resolver.waiting());
        assertArrayEquals(Packets.arpRequest(UPLINK_MAC, UPLINK_IP, LAN_GATEWAY), take(rig.uplink), "one ARP request");
        assertEquals(List.of(), rig.leftovers(), "not one per packet");
        rig.send(rig.uplink, Packets.arpReply(LAN_GATEWAY_MAC, LAN_GATEWAY, UPLINK_MAC, UPLINK_IP));
        for (final byte[] frame : sent)
        {
            assertFrame(routed(frame, LAN_GATEWAY_MAC, UPLINK_MAC), take(rig.uplink));
        }
    }

    @Test
    void aPacketWaitingLongerThanTheLimitIsDroppedAndTheRequestRepeatedMeanwhile()
    {
        rig.withUplink(LAN_GATEWAY);
        final long before = System.currentTimeMillis();
        rig.send(rig.a, udpFrame(MAC_A, GW_A_MAC, IP_A, OUTSIDE, 64, 40));
        final long after = System.currentTimeMillis();
        final byte[] request = take(rig.uplink);
        assertEquals(1, rig.resolver.waiting());

        assertEquals(0, rig.resolver.doWork(after + 10), "too early to ask again or give up");
        assertEquals(List.of(), rig.leftovers());
        assertEquals(0, rig.resolver.doWork(after + NeighborResolver.REQUEST_INTERVAL_MILLIS));
        assertArrayEquals(request, take(rig.uplink), "asked again: the first request may have been lost");
        assertEquals(1, rig.resolver.waiting());
        assertTrue(after + NeighborResolver.REQUEST_INTERVAL_MILLIS - before <= NeighborResolver.WAIT_MILLIS);

        assertEquals(1, rig.resolver.doWork(after + NeighborResolver.WAIT_MILLIS + 1));
        assertEquals(0, rig.resolver.waiting());
        assertEquals(1, rig.drops(L3Drops.NEIGHBOR_UNRESOLVED));
        rig.leftovers(); // a repeated request may or may not have gone out with the drop: not what this test is about

        // a late answer finds nothing waiting
        rig.send(rig.uplink, Packets.arpReply(LAN_GATEWAY_MAC, LAN_GATEWAY, UPLINK_MAC, UPLINK_IP));
        assertEquals(List.of(), rig.leftovers());
    }

    @Test
    void anInternalNetworkNeverReachesTheUplink()
    {
        rig.withUplink(LAN_GATEWAY);
        rig.router.putNeighbor(LAN_GATEWAY, rig.uplink.id(), LAN_GATEWAY_MAC);
        final byte[] sent = udpFrame(MAC_I, GW_I_MAC, IP_I, OUTSIDE, 64, 12);
        rig.send(rig.i, sent);
        final byte[] error = take(rig.i);
        assertFrame(icmpError(GW_I_MAC, GW_I, sent, 3, 0), error);
        assertTrue(icmpValid(error));
        assertEquals(1, rig.drops(L3Drops.INTERNAL_NETWORK));

        final byte[] lan = udpFrame(MAC_I, GW_I_MAC, IP_I, LAN_PEER, 64, 12);
        rig.send(rig.i, lan);
        assertFrame(icmpError(GW_I_MAC, GW_I, lan, 3, 0), take(rig.i));
        assertEquals(2, rig.drops(L3Drops.INTERNAL_NETWORK));
    }

    @Test
    void offSubnetGoesToTheGatewayOnSubnetGoesDirect()
    {
        rig.withUplink(LAN_GATEWAY);
        rig.router.putNeighbor(LAN_GATEWAY, rig.uplink.id(), LAN_GATEWAY_MAC);
        rig.router.putNeighbor(LAN_PEER, rig.uplink.id(), LAN_PEER_MAC);
        final byte[] far = udpFrame(MAC_A, GW_A_MAC, IP_A, OUTSIDE, 64, 5);
        final byte[] near = udpFrame(MAC_A, GW_A_MAC, IP_A, LAN_PEER, 64, 5);
        rig.send(rig.a, far);
        assertFrame(routed(far, LAN_GATEWAY_MAC, UPLINK_MAC), take(rig.uplink));
        rig.send(rig.a, near);
        assertFrame(routed(near, LAN_PEER_MAC, UPLINK_MAC), take(rig.uplink));

        // an unknown LAN host is asked for itself, not the gateway
        final int other = ip("192.168.1.200");
        final byte[] unknown = udpFrame(MAC_A, GW_A_MAC, IP_A, other, 64, 5);
        rig.send(rig.a, unknown);
        assertArrayEquals(Packets.arpRequest(UPLINK_MAC, UPLINK_IP, other), take(rig.uplink));
        rig.send(rig.uplink, Packets.arpReply(mac("00:11:22:33:44:c8"), other, UPLINK_MAC, UPLINK_IP));
        assertFrame(routed(unknown, mac("00:11:22:33:44:c8"), UPLINK_MAC), take(rig.uplink));
    }

    @Test
    void anUplinkWithoutAGatewayReachesOnlyItsSubnet()
    {
        rig.withUplink(0);
        rig.router.putNeighbor(LAN_PEER, rig.uplink.id(), LAN_PEER_MAC);
        final byte[] near = udpFrame(MAC_A, GW_A_MAC, IP_A, LAN_PEER, 64, 5);
        rig.send(rig.a, near);
        assertFrame(routed(near, LAN_PEER_MAC, UPLINK_MAC), take(rig.uplink));
        final byte[] far = udpFrame(MAC_A, GW_A_MAC, IP_A, OUTSIDE, 64, 5);
        rig.send(rig.a, far);
        assertFrame(icmpError(GW_A_MAC, GW_A, far, 3, 0), take(rig.a));
        assertEquals(1, rig.drops(DropReason.NO_ROUTE));
    }

    // 4. TTL and ICMP errors

    @Test
    void ttlOneIsTimeExceededWhereverItWasGoing()
    {
        rig.permitted = true;
        rig.withUplink(LAN_GATEWAY);
        rig.router.putNeighbor(LAN_GATEWAY, rig.uplink.id(), LAN_GATEWAY_MAC);
        final int[] destinations = {IP_B, HOST_IP, OUTSIDE, LAN_PEER};
        for (final int destination : destinations)
        {
            final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, destination, 1, 30);
            rig.send(rig.a, sent);
            final byte[] error = take(rig.a);
            assertFrame(icmpError(GW_A_MAC, GW_A, sent, 11, 0), error);
            assertEquals(11, u8(error, 34));
            assertTrue(icmpValid(error), "ICMP checksum");
        }
        final byte[] ping = ping(MAC_A, GW_A_MAC, IP_A, IP_B, 1);
        rig.send(rig.a, ping);
        assertFrame(icmpError(GW_A_MAC, GW_A, ping, 11, 0), take(rig.a));
        assertEquals(5, rig.drops(L3Drops.TTL_EXCEEDED));
        assertEquals(List.of(), rig.leftovers());

        final byte[] zero = udpFrame(MAC_A, GW_A_MAC, IP_A, IP_B, 0, 30);
        rig.send(rig.a, zero);
        assertFrame(icmpError(GW_A_MAC, GW_A, zero, 11, 0), take(rig.a));
    }

    @Test
    void anIpHeaderWithOptionsIsQuotedWhole()
    {
        rig.permitted = true;
        final byte[] plain = ipv4(IP_A, IP_B, UDP, 1, Packets.udp(IP_A, IP_B, 1, 2, new byte[20]));
        // the same with 4 bytes of options (NOP NOP NOP EOL): IHL 6
        final byte[] packet = new byte[plain.length + 4];
        System.arraycopy(plain, 0, packet, 0, 20);
        packet[20] = 1;
        packet[21] = 1;
        packet[22] = 1;
        System.arraycopy(plain, 20, packet, 24, plain.length - 20);
        packet[0] = 0x46;
        packet[2] = (byte)(packet.length >>> 8);
        packet[3] = (byte)packet.length;
        packet[10] = 0;
        packet[11] = 0;
        final int sum = Packets.checksum(packet, 0, 24, 0);
        packet[10] = (byte)(sum >>> 8);
        packet[11] = (byte)sum;
        final byte[] sent = ethernet(GW_A_MAC, MAC_A, IPV4, packet);
        rig.send(rig.a, sent);
        final byte[] error = take(rig.a);
        assertEquals(14 + 20 + 8 + 24 + 8, error.length);
        assertFrame(icmpError(GW_A_MAC, GW_A, sent, 11, 0), error);
        assertTrue(icmpValid(error));
    }

    @Test
    void anIcmpErrorIsNeverAnsweredWithAnIcmpError()
    {
        rig.permitted = true;
        final byte[] quoted = slice(udpFrame(MAC_B, GW_B_MAC, IP_B, IP_A, 64, 8), 14, 14 + 28);
        final int[][] errors = {{3, 3}, {11, 0}, {3, 1}, {12, 0}};
        for (final int[] typeCode : errors)
        {
            // TTL 1 towards b, and towards the outside with no uplink: both would earn an ICMP error
            rig.send(rig.a, ethernet(GW_A_MAC, MAC_A, IPV4, ipv4(IP_A, IP_B, ICMP, 1, icmp(typeCode[0], typeCode[1], 0, quoted))));
            rig.send(rig.a, ethernet(GW_A_MAC, MAC_A, IPV4, ipv4(IP_A, OUTSIDE, ICMP, 64, icmp(typeCode[0], typeCode[1], 0, quoted))));
        }
        assertEquals(List.of(), rig.leftovers());
        assertEquals(4, rig.drops(L3Drops.TTL_EXCEEDED));
        assertEquals(4, rig.drops(DropReason.NO_ROUTE));

        // but an echo request or reply is no error: those are answered
        rig.send(rig.a, ethernet(GW_A_MAC, MAC_A, IPV4, ipv4(IP_A, OUTSIDE, ICMP, 64, icmp(0, 0, 0x10001, new byte[4]))));
        assertEquals(3, u8(take(rig.a), 34));
    }

    @Test
    void aFragmentEarnsNoIcmpError()
    {
        final byte[] tail = ethernet(GW_A_MAC, MAC_A, IPV4, ipv4(IP_A, OUTSIDE, UDP, 64, 0x0010, new byte[16]));
        rig.send(rig.a, tail);
        final byte[] head = ethernet(GW_A_MAC, MAC_A, IPV4, ipv4(IP_A, OUTSIDE, UDP, 64, 0x2000, new byte[16]));
        rig.send(rig.a, head);
        assertEquals(List.of(), rig.leftovers());
        assertEquals(2, rig.drops(DropReason.NO_ROUTE));
    }

    @Test
    void anotherNetworksGatewayIsLocalButClosed()
    {
        final byte[] sent = udpFrame(MAC_A, GW_A_MAC, IP_A, GW_B, 64, 8);
        rig.send(rig.a, sent);
        assertFrame(icmpError(GW_A_MAC, GW_A, sent, 3, 3), take(rig.a));
        assertEquals(1, rig.drops(L3Drops.LOCAL_UNHANDLED));
    }
}
