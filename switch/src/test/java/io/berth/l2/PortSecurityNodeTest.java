package io.berth.l2;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.flyweight.Ipv6Addresses;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import io.berth.dataplane.graph.TestGraphs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
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
        assertEquals(List.of(1, 1, 1), passed);
    }

    private static final long LL = Ipv6Addresses.LINK_LOCAL_PREFIX;
    private static final long ALL_NODES_HI = 0xff02_0000_0000_0000L;

    /** IPv6 from {@code src} to ff02::1 with next header {@code next} and {@code payload} (checksums unchecked). */
    private static byte[] ipv6(final long mac, final long srcHi, final long srcLo, final int next, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000).putShort((short)payload.length).put((byte)next).put((byte)255);
        b.putLong(srcHi).putLong(srcLo).putLong(ALL_NODES_HI).putLong(1).put(payload);
        return ethernet(0x3333_0000_0001L, mac, 0x86DD, b.array());
    }

    /** ICMPv6 of {@code type}; for NS/NA a target and one link-layer option ({@code option} type, {@code mac}). */
    private static byte[] icmp6(final int type, final long targetHi, final long targetLo, final int option,
        final long optionMac)
    {
        final ByteBuffer b = ByteBuffer.allocate(option == 0 ? 24 : 32);
        b.put((byte)type).put((byte)0).putShort((short)0).putInt(0).putLong(targetHi).putLong(targetLo);
        if (option != 0)
        {
            b.put((byte)option).put((byte)1).putShort((short)(optionMac >>> 32)).putInt((int)optionMac);
        }
        return b.array();
    }

    @Test
    void ipv6FromItsOwnAddressesAndNeighbourDiscoveryForItselfOnly()
    {
        final long ownLl = Ipv6Addresses.eui64(MAC_A);
        assertEquals(0x0042_acff_fe12_0002L, ownLl, "the kernel's link-local interface id for 02:42:ac:12:00:02");
        final long globalHi = 0xfd00_0001_0000_0000L;
        assertEquals(null, send(1, ipv6(MAC_A, LL, ownLl, 17, new byte[16])), "UDP from its link-local address");
        assertEquals(DropReason.SPOOFED_SOURCE, send(1, ipv6(MAC_A, LL, Ipv6Addresses.eui64(MAC_B), 17, new byte[16])));
        assertEquals(DropReason.SPOOFED_SOURCE, send(1, ipv6(MAC_A, globalHi, 2, 17, new byte[16])), "no global yet");
        security.bindIpv6(1, globalHi, 2);
        assertEquals(null, send(1, ipv6(MAC_A, globalHi, 2, 17, new byte[16])), "its global address");
        assertEquals(DropReason.SPOOFED_SOURCE, send(1, ipv6(MAC_A, globalHi, 3, 17, new byte[16])));
        assertEquals(DropReason.SPOOFED_SOURCE, send(1, ipv6(MAC_A, 0, 0, 17, new byte[16])), "unspecified: UDP");

        // neighbour discovery
        assertEquals(null, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(135, LL, Ipv6Addresses.eui64(MAC_B), 1, MAC_A))));
        assertEquals(null, send(1, ipv6(MAC_A, 0, 0, 58, icmp6(135, globalHi, 2, 0, 0))), "DAD");
        assertEquals(L2Drops.ND_SPOOF, send(1, ipv6(MAC_A, 0, 0, 58, icmp6(135, globalHi, 2, 1, MAC_A))),
            "DAD with a link-layer option");
        assertEquals(L2Drops.ND_SPOOF, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(135, LL, 9, 1, MAC_B))));
        assertEquals(null, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(136, globalHi, 2, 2, MAC_A))), "NA for itself");
        assertEquals(L2Drops.ND_SPOOF, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(136, globalHi, 3, 2, MAC_A))),
            "NA for another address");
        assertEquals(L2Drops.ND_SPOOF, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(136, LL, ownLl, 2, MAC_B))),
            "NA for itself with another MAC");
        assertEquals(L2Drops.RA_GUARD, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(134, 0, 0, 0, 0))));
        assertEquals(L2Drops.RA_GUARD, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(137, 0, 0, 0, 0))));
        // an RA behind a destination-options header, and in a fragment
        final byte[] options = new byte[8 + 24];
        options[0] = 58;
        System.arraycopy(icmp6(134, 0, 0, 0, 0), 0, options, 8, 24);
        assertEquals(L2Drops.RA_GUARD, send(1, ipv6(MAC_A, LL, ownLl, 60, options)));
        final byte[] fragment = options.clone();
        assertEquals(L2Drops.RA_GUARD, send(1, ipv6(MAC_A, LL, ownLl, 44, fragment)));
        assertEquals(L2Drops.IPV6_MALFORMED, send(1, ethernet(0x3333_0000_0001L, MAC_A, 0x86DD, new byte[30])));
        assertEquals(null, send(1, ipv6(MAC_A, LL, ownLl, 58, icmp6(128, 0, 0, 0, 0))), "echo request");
        assertEquals(pool.capacity(), pool.available());
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
