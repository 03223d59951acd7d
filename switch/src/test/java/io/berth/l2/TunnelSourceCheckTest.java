package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.flyweight.Ipv6Addresses;
import io.berth.dataplane.PortTable;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.berth.dataplane.Frames.arp;
import static io.berth.dataplane.Frames.ethernet;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Port security for tunnels (issue 24): a store host's tunnel sends only as its store endpoints; a listed peer's
 * is learned, but never as a MAC or address the store gives another VTEP, a local container's, or the gateway's.
 */
class TunnelSourceCheckTest
{
    private static final int DOMAIN = 3;
    private static final long GATEWAY_MAC = mac("02:42:0a:0a:00:01");
    private static final int GATEWAY = ip("10.10.0.1");
    /** Host 1's tunnel (port 10) has endpoint .2; host 3's (port 11) has .3; port 12 is a listed peer's. */
    private static final int H1 = 10;
    private static final int H3 = 11;
    private static final int PEER = 12;
    private static final int LOCAL_PORT = 1;
    private static final long MAC_2 = mac("02:42:0a:0a:00:02");
    private static final int IP_2 = ip("10.10.0.2");
    private static final long MAC_3 = mac("02:42:0a:0a:00:03");
    private static final int IP_3 = ip("10.10.0.3");
    private static final long MAC_LOCAL = mac("02:42:0a:0a:00:09");
    private static final int IP_LOCAL = ip("10.10.0.9");
    private static final long VICTIM = MAC_LOCAL;
    private static final long FORGED = mac("02:66:66:66:66:66");

    private final L2Switch l2 = new L2Switch(new PortTable());
    private final PortSecurity security = new PortSecurity();
    private final TunnelSourceCheck check = new TunnelSourceCheck(l2, security);
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);

    @BeforeEach
    void build()
    {
        l2.addDomain(new BridgeDomain(DOMAIN, GATEWAY, GATEWAY_MAC, true));
        for (final int port : new int[] {LOCAL_PORT, H1, H3, PEER})
        {
            l2.addPort(port, DOMAIN);
        }
        security.bind(LOCAL_PORT, DOMAIN, MAC_LOCAL, IP_LOCAL);
        l2.putRemote(DOMAIN, IP_2, MAC_2, H1);
        l2.putRemote(DOMAIN, IP_3, MAC_3, H3);
    }

    private DropReason from(final int tunnel, final byte[] frame)
    {
        buffer.putBytes(0, frame);
        return check.check(tunnel, buffer, 0, frame.length);
    }

    private static byte[] arpReply(final long ethernetSource, final long senderMac, final int senderIp)
    {
        return ethernet(VICTIM, ethernetSource, 0x0806, arp(2, senderMac, senderIp, VICTIM, IP_LOCAL));
    }

    @Test
    void aStoreHostsTunnelSendsAsItsOwnEndpointsOnly()
    {
        assertNull(from(H1, udpFrame(MAC_2, VICTIM, IP_2, IP_LOCAL, 1, 2, 60)));
        assertNull(from(H1, arpReply(MAC_2, MAC_2, IP_2)));
        assertNull(from(H1, arpReply(MAC_2, MAC_2, 0)), "an RFC 5227 probe");
        // another host's endpoint, a local container's MAC, a MAC nobody has, the gateway's
        assertEquals(DropReason.MAC_SPOOF, from(H1, udpFrame(MAC_3, VICTIM, IP_3, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, from(H1, udpFrame(MAC_LOCAL, VICTIM, IP_LOCAL, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, from(H1, udpFrame(FORGED, VICTIM, IP_2, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, from(H1, udpFrame(GATEWAY_MAC, VICTIM, GATEWAY, IP_LOCAL, 1, 2, 60)));
        // "10.10.0.2 is-at 02:66:...", "10.10.0.3 is-at MAC_2", "10.10.0.99 is-at MAC_2"
        assertEquals(DropReason.ARP_SPOOF, from(H1, arpReply(MAC_2, FORGED, IP_2)));
        assertEquals(DropReason.ARP_SPOOF, from(H1, arpReply(MAC_2, MAC_2, IP_3)));
        assertEquals(DropReason.ARP_SPOOF, from(H1, arpReply(MAC_2, MAC_2, ip("10.10.0.99"))));
        // IPv4 from an address none of host 1's endpoints has
        assertEquals(DropReason.SPOOFED_SOURCE, from(H1, udpFrame(MAC_2, VICTIM, IP_3, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.SPOOFED_SOURCE, from(H1, udpFrame(MAC_2, VICTIM, ip("8.8.8.8"), IP_LOCAL, 1, 2, 60)));
    }

    @Test
    void aListedPeerIsLearnedButNeverAsWhatTheStoreOrThisHostOwns()
    {
        final long kernelMac = mac("0a:11:22:33:44:55");
        final int kernelIp = ip("10.10.0.50");
        assertNull(from(PEER, udpFrame(kernelMac, VICTIM, kernelIp, IP_LOCAL, 1, 2, 60)));
        assertNull(from(PEER, arpReply(kernelMac, kernelMac, kernelIp)));
        assertEquals(DropReason.MAC_SPOOF, from(PEER, udpFrame(MAC_2, VICTIM, IP_2, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, from(PEER, udpFrame(MAC_LOCAL, VICTIM, IP_LOCAL, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, from(PEER, udpFrame(GATEWAY_MAC, VICTIM, GATEWAY, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.ARP_SPOOF, from(PEER, arpReply(kernelMac, kernelMac, IP_2)));
        assertEquals(DropReason.ARP_SPOOF, from(PEER, arpReply(kernelMac, kernelMac, IP_LOCAL)));
        assertEquals(DropReason.ARP_SPOOF, from(PEER, arpReply(kernelMac, kernelMac, GATEWAY)));
        assertEquals(DropReason.ARP_SPOOF, from(PEER, arpReply(kernelMac, MAC_3, kernelIp)));
        assertEquals(DropReason.SPOOFED_SOURCE, from(PEER, udpFrame(kernelMac, VICTIM, IP_3, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.SPOOFED_SOURCE, from(PEER, udpFrame(kernelMac, VICTIM, IP_LOCAL, IP_LOCAL, 1, 2, 60)));
    }

    /** IPv6 (ICMPv6 echo request) from {@code srcHi}:{@code srcLo} with {@code mac}. */
    private static byte[] ipv6(final long mac, final long srcHi, final long srcLo)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 40 + 8);
        b.putShort((short)0x3333).putInt(1).putShort((short)(mac >>> 32)).putInt((int)mac).putShort((short)0x86DD);
        b.putInt(0x6000_0000).putShort((short)8).put((byte)58).put((byte)64).putLong(srcHi).putLong(srcLo)
            .putLong(0xfe80_0000_0000_0000L).putLong(1).put((byte)128);
        return b.array();
    }

    @Test
    void ipv6FromAStoreHostsTunnelOnlyFromItsEndpointsAddresses()
    {
        final long prefix = 0xfd00_0010_0000_0000L;
        l2.domain(DOMAIN).ipv6(prefix, 1, prefix, 64, ip("10.10.0.0"), false);
        assertNull(from(H1, ipv6(MAC_2, Ipv6Addresses.LINK_LOCAL_PREFIX, Ipv6Addresses.eui64(MAC_2))), "its link-local");
        assertNull(from(H1, ipv6(MAC_2, prefix, 2)), "its dual-stack address (the IPv4 host part .2)");
        assertEquals(DropReason.SPOOFED_SOURCE, from(H1, ipv6(MAC_2, prefix, 3)), "host 3's endpoint's address");
        assertEquals(DropReason.SPOOFED_SOURCE, from(H1, ipv6(MAC_2, Ipv6Addresses.LINK_LOCAL_PREFIX,
            Ipv6Addresses.eui64(MAC_3))));
        assertEquals(DropReason.SPOOFED_SOURCE, from(H1, ipv6(MAC_2, prefix, 9)), "a local container's");
        final byte[] advertisement = ipv6(MAC_2, Ipv6Addresses.LINK_LOCAL_PREFIX, Ipv6Addresses.eui64(MAC_2));
        advertisement[54] = (byte)134;
        assertEquals(L2Drops.RA_GUARD, from(H1, advertisement), "no router advertisement out of a tunnel");
        assertNull(from(PEER, ipv6(mac("02:00:00:00:77:01"), prefix, 77)), "a listed peer's IPv6 is learned");
    }

    @Test
    void anEndpointThatLeavesTakesItsRightsAlong()
    {
        l2.removeRemote(DOMAIN, IP_2, MAC_2);
        // host 1 has no endpoint left: its tunnel is held to nothing of the store (a peer's rules)
        assertEquals(DropReason.SPOOFED_SOURCE, from(H1, udpFrame(MAC_2, VICTIM, IP_3, IP_LOCAL, 1, 2, 60)));
        assertEquals(0, l2.domain(DOMAIN).remotesOn(H1));
        assertEquals(1, l2.domain(DOMAIN).remotesOn(H3));
        // the endpoint moves to host 3: the count follows it
        l2.putRemote(DOMAIN, IP_2, MAC_2, H3);
        l2.putRemote(DOMAIN, IP_2, MAC_2, H3);
        assertEquals(2, l2.domain(DOMAIN).remotesOn(H3));
        assertNull(from(H3, udpFrame(MAC_2, VICTIM, IP_2, IP_LOCAL, 1, 2, 60)));
        assertEquals(DropReason.MAC_SPOOF, from(H1, udpFrame(MAC_2, VICTIM, IP_2, IP_LOCAL, 1, 2, 60)));
    }
}
