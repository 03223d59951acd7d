package io.berth.l3;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.l2.L2Drops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static io.berth.l3.Packets.ICMP;
import static io.berth.l3.Packets.IPV4;
import static io.berth.l3.Packets.TCP;
import static io.berth.l3.Packets.ethernet;
import static io.berth.l3.Packets.hex;
import static io.berth.l3.Packets.icmp;
import static io.berth.l3.Packets.icmpError;
import static io.berth.l3.Packets.icmpValid;
import static io.berth.l3.Packets.intAt;
import static io.berth.l3.Packets.ip;
import static io.berth.l3.Packets.ipv4;
import static io.berth.l3.Packets.ipv4Valid;
import static io.berth.l3.Packets.l4Valid;
import static io.berth.l3.Packets.mac;
import static io.berth.l3.Packets.tcp;
import static io.berth.l3.Packets.toHex;
import static io.berth.l3.Packets.u8;
import static io.berth.l3.RouterRig.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The routed ports (uplink, host link): ARP and ping for berthd's own address on them, what a host answers for
 * its closed ports, and silence for everything that is somebody else's.
 */
class RoutedPortNodeTest
{
    private static final int PEER = ip("192.168.1.77");
    private static final long PEER_MAC = mac("00:11:22:33:44:77");

    private final RouterRig rig = new RouterRig().withUplink(LAN_GATEWAY);

    @AfterEach
    void nothingLeaksOrIsLeftOver()
    {
        assertEquals(List.of(), rig.leftovers(), "frames nobody expected");
        assertEquals(rig.pool.capacity(), rig.pool.available(), "every packet went back to the pool");
    }

    private static byte[] take(final MemoryPort port)
    {
        final byte[] frame = port.takeTransmitted();
        assertNotNull(frame, port.name() + " sent nothing");
        return frame;
    }

    private static void assertFrame(final byte[] expected, final byte[] actual)
    {
        assertArrayEquals(expected, actual, () -> "expected\n" + toHex(expected) + "\nactual\n" + toHex(actual));
    }

    // 5. ARP and ping for the uplink address

    @Test
    void anArpRequestForTheUplinkAddressIsAnsweredExactly()
    {
        // who has 192.168.1.50? tell 192.168.1.77
        rig.send(rig.uplink, hex(
            "ff ff ff ff ff ff  00 11 22 33 44 77  08 06"
            + "00 01 08 00 06 04 00 01  00 11 22 33 44 77  c0 a8 01 4d  00 00 00 00 00 00  c0 a8 01 32"));
        // 192.168.1.50 is at 02:aa:00:00:00:50
        assertFrame(hex(
            "00 11 22 33 44 77  02 aa 00 00 00 50  08 06"
            + "00 01 08 00 06 04 00 02  02 aa 00 00 00 50  c0 a8 01 32  00 11 22 33 44 77  c0 a8 01 4d"),
            take(rig.uplink));
        assertEquals(Router.neighbor(rig.uplink.id(), PEER_MAC), rig.router.neighbor(PEER), "the asker is learned (RFC 826)");
        assertEquals(0, rig.totalDrops());

        // padded to the 60-byte minimum, as on a real wire: the padding comes back untouched
        rig.send(rig.uplink, pad(Packets.arpRequest(PEER_MAC, PEER, UPLINK_IP), 60));
        assertFrame(pad(Packets.arpReply(UPLINK_MAC, UPLINK_IP, PEER_MAC, PEER), 60), take(rig.uplink));
    }

    private static byte[] pad(final byte[] frame, final int length)
    {
        return Arrays.copyOf(frame, Math.max(length, frame.length));
    }

    @Test
    void anArpRequestForAnotherAddressIsIgnored()
    {
        rig.send(rig.uplink, Packets.arpRequest(PEER_MAC, PEER, ip("192.168.1.99")));
        rig.send(rig.uplink, Packets.arpRequest(PEER_MAC, PEER, GW_A)); // a gateway lives in its network only
        rig.send(rig.uplink, Packets.arpRequest(PEER_MAC, PEER, HOST_LINK_IP));
        assertEquals(List.of(), rig.leftovers());
        assertEquals(3, rig.drops.get(L2Drops.NOT_FOR_US), "somebody else's ARP is counted as such");
        assertEquals(3, rig.totalDrops(), "and as nothing else");
        assertEquals(Router.NO_NEIGHBOR, rig.router.neighbor(PEER), "nor is its sender worth remembering");
    }

    @Test
    void anArpFromAKnownNeighbourUpdatesIt()
    {
        rig.router.learnNeighbor(PEER, rig.uplink.id(), PEER_MAC, System.currentTimeMillis());
        final long moved = mac("00:11:22:33:44:78");
        rig.send(rig.uplink, Packets.arpRequest(moved, PEER, ip("192.168.1.99")));
        assertEquals(Router.neighbor(rig.uplink.id(), moved), rig.router.neighbor(PEER));
        assertEquals(List.of(), rig.leftovers());
    }

    @Test
    void aPingToTheUplinkAddressIsAnswered()
    {
        final byte[] request = Packets.ping(PEER_MAC, UPLINK_MAC, PEER, UPLINK_IP, 57);
        rig.send(rig.uplink, request);
        final byte[] reply = take(rig.uplink);
        assertFrame(ethernet(PEER_MAC, UPLINK_MAC, IPV4,
            ipv4(UPLINK_IP, PEER, ICMP, 64, icmp(0, 0, 0x4711_0001, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))), reply);
        assertTrue(ipv4Valid(reply) && icmpValid(reply));
        assertEquals(0, rig.totalDrops());
    }

    @Test
    void theHostLinkAddressAnswersArpAndPingToo()
    {
        rig.send(rig.host, Packets.arpRequest(HOST_MAC, HOST_IP, HOST_LINK_IP));
        assertFrame(Packets.arpReply(HOST_LINK_MAC, HOST_LINK_IP, HOST_MAC, HOST_IP), take(rig.host));
        rig.send(rig.host, Packets.ping(HOST_MAC, HOST_LINK_MAC, HOST_IP, HOST_LINK_IP, 64));
        final byte[] reply = take(rig.host);
        assertFrame(ethernet(HOST_MAC, HOST_LINK_MAC, IPV4,
            ipv4(HOST_LINK_IP, HOST_IP, ICMP, 64, icmp(0, 0, 0x4711_0001, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))), reply);
        assertEquals(0, rig.totalDrops());
    }

    @Test
    void anotherMacsTrafficOnAPromiscuousUplinkIsCountedAsNotForUs()
    {
        final long stranger = mac("00:11:22:33:44:99");
        rig.send(rig.uplink, Packets.udpFrame(PEER_MAC, stranger, PEER, ip("192.168.1.99"), 64, 20));
        rig.send(rig.uplink, Packets.ping(PEER_MAC, stranger, PEER, UPLINK_IP, 64)); // our address, not our MAC
        rig.send(rig.uplink, ethernet(Packets.BROADCAST, PEER_MAC, IPV4,
            ipv4(PEER, ip("192.168.1.255"), Packets.UDP, 64, Packets.udp(PEER, ip("192.168.1.255"), 137, 137, new byte[4]))));
        rig.send(rig.uplink, ethernet(UPLINK_MAC, PEER_MAC, 0x86DD, new byte[40])); // IPv6 to us: not ours to route
        assertEquals(List.of(), rig.leftovers());
        assertEquals(4, rig.drops.get(L2Drops.NOT_FOR_US));
        assertEquals(4, rig.totalDrops());
    }

    @Test
    void aTruncatedPingIsCounted()
    {
        final byte[] short4 = Arrays.copyOf(icmp(8, 0, 1, new byte[0]), 4);
        rig.send(rig.uplink, pad(ethernet(UPLINK_MAC, PEER_MAC, IPV4, ipv4(PEER, UPLINK_IP, ICMP, 64, short4)), 60));
        assertEquals(1, rig.drops(DropReason.L4_TRUNCATED));
    }

    // 6. closed ports on the uplink address, and strangers' traffic

    @Test
    void aSynToAClosedPortGetsRstAck()
    {
        final byte[] syn = ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, TCP, 64, tcp(PEER, UPLINK_IP, 51000, 8080, 0x1000_0000, 0, 0x02, 64240, new byte[0])));
        rig.send(rig.uplink, syn);
        final byte[] rst = take(rig.uplink);
        assertFrame(ethernet(PEER_MAC, UPLINK_MAC, IPV4,
            ipv4(UPLINK_IP, PEER, TCP, 64, tcp(UPLINK_IP, PEER, 8080, 51000, 0, 0x1000_0001, 0x14, 0, new byte[0]))), rst);
        assertEquals(0x1000_0001, intAt(rst, 14 + 20 + 8), "ack = their seq + 1");
        assertEquals(0x14, u8(rst, 14 + 20 + 13), "RST|ACK");
        assertTrue(ipv4Valid(rst) && l4Valid(rst));
    }

    @Test
    void aSegmentWithAckGetsRstWithTheirAckAsSequence()
    {
        final byte[] data = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] segment = ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, TCP, 64, tcp(PEER, UPLINK_IP, 51000, 8080, 0x1000_0001, 0xCAFE_BABE, 0x18, 502, data)));
        rig.send(rig.uplink, segment);
        final byte[] rst = take(rig.uplink);
        assertFrame(ethernet(PEER_MAC, UPLINK_MAC, IPV4,
            ipv4(UPLINK_IP, PEER, TCP, 64, tcp(UPLINK_IP, PEER, 8080, 51000, 0xCAFE_BABE, 0, 0x04, 0, new byte[0]))), rst);
        assertTrue(ipv4Valid(rst) && l4Valid(rst));
    }

    @Test
    void aFinWithDataIsAcknowledgedWhole()
    {
        final byte[] segment = ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, TCP, 64, tcp(PEER, UPLINK_IP, 51000, 8080, 100, 0, 0x01, 502, new byte[5])));
        rig.send(rig.uplink, segment);
        assertFrame(ethernet(PEER_MAC, UPLINK_MAC, IPV4,
            ipv4(UPLINK_IP, PEER, TCP, 64, tcp(UPLINK_IP, PEER, 8080, 51000, 0, 106, 0x14, 0, new byte[0]))), take(rig.uplink));
    }

    @Test
    void udpToAClosedPortGetsPortUnreachableFromTheUplinkAddress()
    {
        final byte[] datagram = Packets.udpFrame(PEER_MAC, UPLINK_MAC, PEER, UPLINK_IP, 64, 48);
        rig.send(rig.uplink, datagram);
        final byte[] error = take(rig.uplink);
        assertFrame(icmpError(UPLINK_MAC, UPLINK_IP, datagram, 3, 3), error);
        assertTrue(ipv4Valid(error) && icmpValid(error));
        assertEquals(1, rig.drops(L3Drops.LOCAL_UNHANDLED));
    }

    @Test
    void aRstOrAnIcmpErrorToTheUplinkAddressIsNotAnswered()
    {
        rig.send(rig.uplink, ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, TCP, 64, tcp(PEER, UPLINK_IP, 51000, 8080, 5, 0, 0x04, 0, new byte[0]))));
        rig.send(rig.uplink, ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, TCP, 64, tcp(PEER, UPLINK_IP, 51000, 8080, 5, 9, 0x14, 0, new byte[0]))));
        rig.send(rig.uplink, ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, ICMP, 64, icmp(3, 3, 0, new byte[28]))));
        rig.send(rig.uplink, ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, UPLINK_IP, ICMP, 64, icmp(0, 0, 0x10001, new byte[8])))); // an echo reply nobody asked for
        assertEquals(List.of(), rig.leftovers());
    }

    @Test
    void outsideToOutsideIsDroppedSilently()
    {
        rig.router.putNeighbor(LAN_GATEWAY, rig.uplink.id(), LAN_GATEWAY_MAC);
        rig.send(rig.uplink, Packets.udpFrame(PEER_MAC, UPLINK_MAC, PEER, OUTSIDE, 64, 20));
        rig.send(rig.uplink, ethernet(UPLINK_MAC, PEER_MAC, IPV4,
            ipv4(PEER, OUTSIDE, TCP, 64, tcp(PEER, OUTSIDE, 51000, 443, 1, 0, 0x02, 64240, new byte[0]))));
        rig.send(rig.uplink, Packets.ping(PEER_MAC, UPLINK_MAC, PEER, OUTSIDE, 64));
        rig.send(rig.uplink, Packets.udpFrame(PEER_MAC, UPLINK_MAC, PEER, OUTSIDE, 1, 20)); // not even time exceeded
        rig.send(rig.uplink, Packets.udpFrame(PEER_MAC, UPLINK_MAC, PEER, ip("192.168.1.99"), 64, 20));
        assertEquals(List.of(), rig.leftovers(), "berthd routes nobody else's traffic, and says nothing about it");
        assertEquals(0, rig.resolver.waiting());
    }

    @Test
    void theHostLinkAddressAnswersUdpWithPortUnreachable()
    {
        final byte[] datagram = Packets.udpFrame(HOST_MAC, HOST_LINK_MAC, HOST_IP, HOST_LINK_IP, 64, 8);
        rig.send(rig.host, datagram);
        final byte[] error = take(rig.host);
        assertFrame(icmpError(HOST_LINK_MAC, HOST_LINK_IP, datagram, 3, 3), error);
        assertTrue(icmpValid(error));
    }
}
