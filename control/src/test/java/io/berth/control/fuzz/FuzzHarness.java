package io.berth.control.fuzz;

import io.berth.control.dataplane.DataplaneOptions;
import io.berth.control.dataplane.MemoryPacketPath;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.Node;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import org.agrona.concurrent.SystemEpochClock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.berth.dataplane.Frames.arpReply;
import static io.berth.dataplane.Frames.arpRequest;
import static io.berth.dataplane.Frames.ethernet;
import static io.berth.dataplane.Frames.concat;
import static io.berth.dataplane.Frames.icmpEcho;
import static io.berth.dataplane.Frames.ipv6Frame;
import static io.berth.dataplane.Frames.l4v6;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.ipv4;
import static io.berth.dataplane.Frames.mac;
import static io.berth.dataplane.Frames.ping;
import static io.berth.dataplane.Frames.tcpFrame;
import static io.berth.dataplane.Frames.udpFrame;

/**
 * Pushes random and mutated frames through berthd's production graph ({@link MemoryPacketPath}) on every port
 * kind at once: containers on a plain network, on an icc=false network and on an internal one, the host link
 * and the uplink (with published ports, so DNAT, SNAT and hairpin paths are all reachable). Afterwards it
 * checks that no node threw, that every frame was sent, dropped with a reason its node declared, or delivered,
 * and that the pool is full again. Used by the unit test (short) and by the benchmark run (10^7 frames).
 * Single-threaded.
 */
public final class FuzzHarness
{
    static final int NET_A = 1;
    static final int NET_ISOLATED = 2;
    static final int NET_INTERNAL = 3;
    static final int GW_A = ip("172.18.0.1");
    static final int IP_A = ip("172.18.0.2");
    static final int IP_B = ip("172.18.0.3");
    static final int GW_C = ip("172.19.0.1");
    static final int IP_C = ip("172.19.0.2");
    static final int IP_C2 = ip("172.19.0.3");
    static final int GW_I = ip("172.20.0.1");
    static final int IP_I = ip("172.20.0.2");
    static final int HOST_OURS = ip("169.254.123.2");
    static final int HOST_IP = ip("169.254.123.1");
    static final long HOST_OUR_MAC = mac("02:42:a9:fe:7b:02");
    static final long HOST_MAC = mac("02:42:a9:fe:7b:01");
    static final int UPLINK_IP = ip("10.99.0.1");
    static final long UPLINK_MAC = mac("02:aa:0a:63:00:01");
    static final int LAN_GW = ip("10.99.0.254");
    static final long LAN_GW_MAC = mac("00:11:22:33:44:fe");
    static final int LAN_PEER = ip("10.99.0.7");
    static final long LAN_PEER_MAC = mac("00:11:22:33:44:07");
    static final long V6_A = 0xfd00_0018_0000_0000L;
    static final long V6_C = 0x2001_0db8_0019_0000L;
    static final long[] HOST6_OURS = {0xfd00_a9fe_7b00_0000L, 2};
    static final long[] HOST6 = {0xfd00_a9fe_7b00_0000L, 1};
    static final long[] UPLINK6 = {0xfd00_0099_0000_0000L, 1};
    static final long[] LAN_GW6 = {0xfd00_0099_0000_0000L, 0xfe};
    static final long[] OUTSIDE6 = {0x2001_0db8_ffff_0000L, 5};
    static final int OUTSIDE = ip("203.0.113.7");

    /** What a run saw. */
    public record Result(long frames, long received, long created, long transmitted, long dropped, long delivered,
        long merged, long exceptions,
        long undeclaredDrops, long doubleReleases, int poolAvailable, int poolCapacity, long nanos,
        Map<String, Long> drops, Map<String, Long> nodePackets)
    {
        public boolean accounted()
        {
            return received + created == transmitted + dropped + delivered + merged;
        }

        public double framesPerSecond()
        {
            return frames * 1e9 / nanos;
        }
    }

    private final MemoryPacketPath path;
    private final List<FuzzPort> ports = new ArrayList<>();

    public FuzzHarness(final long seed)
    {
        final FrameMutator mutator = new FrameMutator(seeds(), seed);
        path = new MemoryPacketPath(1024, DataplaneOptions.defaults().withOverlay(true), SystemEpochClock.INSTANCE);
        path.network(NET_A, ip("172.18.0.0"), 16, GW_A, true, false)
            .network(NET_ISOLATED, ip("172.19.0.0"), 16, GW_C, false, false)
            .network(NET_INTERNAL, ip("172.20.0.0"), 16, GW_I, true, true);
        final FuzzPort a = port(1, "a", true, mutator);
        final FuzzPort b = port(2, "b", false, mutator);
        final FuzzPort c = port(3, "c", true, mutator);
        final FuzzPort c2 = port(4, "c2", false, mutator);
        final FuzzPort i = port(5, "i", false, mutator);
        final FuzzPort host = port(6, "berth0", true, mutator);
        final FuzzPort uplink = port(7, "uplink", false, mutator);
        path.container(a, NET_A, IP_A).container(b, NET_A, IP_B)
            .container(c, NET_ISOLATED, IP_C).container(c2, NET_ISOLATED, IP_C2)
            .container(i, NET_INTERNAL, IP_I)
            .hostLink(host, HOST_OURS, HOST_OUR_MAC, HOST_IP, HOST_MAC)
            .uplink(uplink, UPLINK_IP, 24, UPLINK_MAC, LAN_GW)
            .mtu(uplink.id(), 1000) // larger routed frames are fragmented, or answered with frag-needed under DF
            .neighbor(LAN_GW, uplink.id(), LAN_GW_MAC)
            .publish(UPLINK_IP, Ipv4Flyweight.PROTO_TCP, 12211, IP_A, 8080)
            .publish(UPLINK_IP, Ipv4Flyweight.PROTO_UDP, 12212, IP_A, 53)
            .publish(0, Ipv4Flyweight.PROTO_TCP, 12213, IP_C, 80);
        // IPv6 on network A (masqueraded) and the isolated one (routed), the host link and the uplink (issue 27)
        path.ipv6Network(NET_A, V6_A, ip("172.18.0.0"), true).ipv6Network(NET_ISOLATED, V6_C, ip("172.19.0.0"), false)
            .ipv6Container(a, V6_A, 2).ipv6Container(c, V6_C, 2)
            .ipv6Routes(HOST6_OURS, HOST6, UPLINK6, LAN_GW6);
        // vxlan-decap in the graph and active: every uplink frame passes it (VNI 4096 is network A)
        path.tunnels().local(UPLINK_IP, 4789);
        path.tunnels().addNetwork(4096, NET_A, 4789);
    }

    private FuzzPort port(final int id, final String name, final boolean offloads, final FrameMutator mutator)
    {
        final FuzzPort port = new FuzzPort(id, name, offloads, mutator);
        ports.add(port);
        return port;
    }

    public MemoryPacketPath path()
    {
        return path;
    }

    /** Pushes {@code frames} frames, spread over every port, then waits out parked packets. */
    public Result run(final long frames)
    {
        final long perPort = frames / ports.size();
        long given = 0;
        for (int n = 0; n < ports.size(); n++)
        {
            final long share = n == ports.size() - 1 ? frames - given : perPort;
            ports.get(n).budget(share);
            given += share;
        }
        final long start = System.nanoTime();
        long received;
        do
        {
            path.cycle();
            received = 0;
            for (final FuzzPort port : ports)
            {
                received += port.received();
            }
        }
        while (received < frames);
        final long nanos = System.nanoTime() - start;
        final long deadline = System.currentTimeMillis() + 5_000;
        while ((path.parked() > 0 || path.graph().entry().count() > 0) && System.currentTimeMillis() < deadline)
        {
            path.cycle(); // packets waiting for ARP time out after a second
            Thread.onSpinWait();
        }
        path.expireReassembly(); // incomplete datagrams hold their packets until they time out
        return result(frames, nanos);
    }

    private Result result(final long frames, final long nanos)
    {
        final Graph graph = path.graph();
        long exceptions = 0;
        long undeclared = 0;
        final Map<String, Long> nodePackets = new LinkedHashMap<>();
        for (final Node node : graph.nodes())
        {
            exceptions += graph.exceptions(node);
            nodePackets.put(node.name(), graph.packets(node));
            for (final DropReason reason : DropReason.values())
            {
                if (!node.declaredDrops().contains(reason) && reason != DropReason.NODE_EXCEPTION)
                {
                    undeclared += graph.drops(node, reason);
                }
            }
        }
        final Map<String, Long> drops = new LinkedHashMap<>();
        for (final DropReason reason : DropReason.values())
        {
            final long n = graph.drops().get(reason);
            if (n != 0)
            {
                drops.put(reason.counterName(), n);
            }
        }
        final PacketPool pool = graph.pool();
        return new Result(frames, graph.totals().get(Graph.RECEIVED), graph.totals().get(Graph.CREATED),
            graph.totals().get(Graph.TRANSMITTED), graph.totals().get(Graph.DROPPED), graph.totals().get(Graph.DELIVERED),
            graph.totals().get(Graph.MERGED), exceptions, undeclared,
            pool.counters().get(PacketPool.DOUBLE_RELEASES), pool.available(), pool.capacity(), nanos, drops,
            nodePackets);
    }

    /** Well-formed frames of every kind berth parses, from every side; the mutator starts from these. */
    static byte[][] seeds()
    {
        final long macA = MemoryPacketPath.macFor(IP_A);
        final long macB = MemoryPacketPath.macFor(IP_B);
        final long macC = MemoryPacketPath.macFor(IP_C);
        final long macI = MemoryPacketPath.macFor(IP_I);
        final long gwA = MemoryPacketPath.macFor(GW_A);
        final long gwC = MemoryPacketPath.macFor(GW_C);
        final long gwI = MemoryPacketPath.macFor(GW_I);
        final byte[] data = new byte[32];
        final List<byte[]> s = new ArrayList<>();
        // a container on a plain network
        s.add(arpRequest(macA, IP_A, GW_A));
        s.add(arpRequest(macA, IP_A, IP_B));
        s.add(arpReply(macA, IP_A, macB, IP_B));
        s.add(ping(macA, gwA, IP_A, GW_A, 1, 1, data));
        s.add(ping(macA, macB, IP_A, IP_B, 1, 2, data));
        s.add(ping(macA, gwA, IP_A, IP_C, 1, 3, data));
        s.add(ping(macA, gwA, IP_A, OUTSIDE, 1, 4, data));
        s.add(ping(macA, gwA, IP_A, UPLINK_IP, 1, 5, data));
        s.add(ping(macA, gwA, IP_A, HOST_IP, 1, 6, data));
        s.add(udpFrame(macA, gwA, IP_A, OUTSIDE, 40000, 53, 80));
        // larger than the uplink's MTU of 1000: with DF, answered with frag-needed; without, fragmented
        s.add(udpFrame(macA, gwA, IP_A, OUTSIDE, 40010, 5060, 1400));
        final byte[] noDf = udpFrame(macA, gwA, IP_A, OUTSIDE, 40011, 5060, 1400);
        noDf[14 + 6] = 0; // clear DF; the header checksum goes wrong, which the parser does not check
        s.add(noDf);
        s.add(udpFrame(macA, 0xFFFF_FFFF_FFFFL, IP_A, ip("172.18.255.255"), 68, 67, 300));
        s.add(tcpFrame(macA, gwA, IP_A, OUTSIDE, 40001, 443, 0x02, new byte[0]));
        s.add(tcpFrame(macA, gwA, IP_A, OUTSIDE, 40001, 443, 0x10, data));
        s.add(tcpFrame(macA, macB, IP_A, IP_B, 40002, 80, 0x02, new byte[0]));
        s.add(tcpFrame(macA, gwA, IP_A, UPLINK_IP, 40003, 12211, 0x02, new byte[0])); // hairpin
        s.add(tcpFrame(macB, gwA, IP_B, UPLINK_IP, 40004, 12211, 0x02, new byte[0]));
        s.add(ethernet(macB, macA, 0x86DD, new byte[60]));
        s.add(ethernet(0x3333_0000_0001L, macA, 0x86DD, new byte[60]));
        // icc=false and internal networks
        s.add(ping(macC, gwC, IP_C, IP_A, 2, 1, data));
        s.add(ping(macC, MemoryPacketPath.macFor(IP_C2), IP_C, IP_C2, 2, 2, data));
        s.add(ping(macC, gwC, IP_C, OUTSIDE, 2, 3, data));
        s.add(ping(macI, gwI, IP_I, OUTSIDE, 3, 1, data));
        s.add(ping(macI, gwI, IP_I, UPLINK_IP, 3, 2, data));
        s.add(arpRequest(macI, IP_I, GW_I));
        // the outside, on the uplink
        s.add(arpRequest(LAN_GW_MAC, LAN_GW, UPLINK_IP));
        s.add(arpReply(LAN_PEER_MAC, LAN_PEER, UPLINK_MAC, UPLINK_IP));
        s.add(arpRequest(LAN_PEER_MAC, LAN_PEER, ip("10.99.0.99")));
        s.add(ping(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 4, 1, data));
        s.add(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50000, 12211, 0x02, new byte[0]));
        s.add(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50000, 12211, 0x10, data));
        s.add(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50001, 12213, 0x02, new byte[0]));
        s.add(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50002, 22, 0x02, new byte[0]));
        s.add(udpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50003, 12212, 100));
        s.add(udpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 50004, 9999, 100));
        s.add(tcpFrame(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, UPLINK_IP, 443, 40001, 0x12, new byte[0]));
        s.add(ping(LAN_GW_MAC, UPLINK_MAC, OUTSIDE, IP_A, 4, 2, data));
        s.add(ping(LAN_PEER_MAC, mac("00:11:22:33:44:99"), LAN_PEER, ip("10.99.0.99"), 4, 3, data));
        s.add(ethernet(UPLINK_MAC, LAN_GW_MAC, 0x0800, ipv4(OUTSIDE, UPLINK_IP, 1, 64,
            icmpEcho(3, 0, 0, ipv4(UPLINK_IP, OUTSIDE, 17, 64, new byte[8]))))); // unreachable, quoting a datagram
        // the host, on berth0
        s.add(arpRequest(HOST_MAC, HOST_IP, HOST_OURS));
        s.add(ping(HOST_MAC, HOST_OUR_MAC, HOST_IP, IP_A, 5, 1, data));
        s.add(ping(HOST_MAC, HOST_OUR_MAC, HOST_IP, HOST_OURS, 5, 2, data));
        s.add(tcpFrame(HOST_MAC, HOST_OUR_MAC, HOST_IP, IP_A, 51000, 8080, 0x02, new byte[0]));
        s.add(udpFrame(HOST_MAC, HOST_OUR_MAC, HOST_IP, IP_I, 51001, 53, 70));
        ipv6Seeds(s, macA, gwA, macC, gwC);
        return s.toArray(new byte[0][]);
    }

    /** Bytes [offset, offset + length) of an unfragmented IPv6 frame's payload as a fragment of datagram {@code id}. */
    private static byte[] ipv6Fragment(final byte[] frame, final int offset, final int length, final boolean more,
        final int id)
    {
        final byte[] piece = new byte[62 + length];
        System.arraycopy(frame, 0, piece, 0, 54);
        piece[14 + 4] = (byte)((8 + length) >>> 8);
        piece[14 + 5] = (byte)(8 + length);
        piece[14 + 6] = 44;
        piece[54] = frame[14 + 6];
        piece[56] = (byte)(offset >>> 8);
        piece[57] = (byte)(offset | (more ? 1 : 0));
        piece[61] = (byte)id;
        System.arraycopy(frame, 54 + offset, piece, 62, length);
        return piece;
    }

    /** IPv6 routed, tracked and translated (issue 27): from containers, the host, the outside. */
    private static void ipv6Seeds(final List<byte[]> s, final long macA, final long gwA, final long macC, final long gwC)
    {
        final long[] a = {V6_A, 2};
        final long[] c = {V6_C, 2};
        final byte[] data = new byte[32];
        s.add(ipv6Frame(gwA, macA, a, OUTSIDE6, 58, 64, l4v6(58, 128, 7, data)));
        s.add(ipv6Frame(gwA, macA, a, OUTSIDE6, 6, 64, l4v6(6, 40100, 443, new byte[0])));
        s.add(ipv6Frame(gwA, macA, a, OUTSIDE6, 17, 1, l4v6(17, 40101, 53, data)));
        s.add(ipv6Frame(gwA, macA, a, OUTSIDE6, 17, 64, l4v6(17, 40102, 53, new byte[1200]))); // > uplink MTU 1000
        s.add(ipv6Frame(gwA, macA, a, HOST6, 17, 64, l4v6(17, 40103, 53, data)));
        s.add(ipv6Frame(gwA, macA, a, c, 58, 64, l4v6(58, 128, 8, data)));
        s.add(ipv6Frame(gwA, macA, a, UPLINK6, 58, 64, l4v6(58, 128, 9, data)));
        s.add(ipv6Frame(gwA, macA, a, new long[] {V6_A, 99}, 58, 64, l4v6(58, 128, 10, data)));
        s.add(ipv6Frame(gwC, macC, c, OUTSIDE6, 6, 64, l4v6(6, 40104, 80, new byte[0])));
        // the outside: neighbour discovery for and from the uplink, replies, an unasked connection
        s.add(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, LAN_GW6, UPLINK6, 58, 255, concat(l4v6(58, 136, 0, new byte[0]),
            new byte[] {(byte)0xfd, 0, 0, (byte)0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xfe,
                2, 1, 0, 0x11, 0x22, 0x33, 0x44, (byte)0xfe})));
        s.add(ipv6Frame(0x3333_ff00_0001L, LAN_GW_MAC, LAN_GW6, new long[] {0xff02_0000_0000_0000L, 0x1_ff00_0001L}, 58,
            255, concat(l4v6(58, 135, 0, new byte[0]), new byte[] {(byte)0xfd, 0, 0, (byte)0x99, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 1, 1, 1, 0, 0x11, 0x22, 0x33, 0x44, (byte)0xfe})));
        s.add(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, UPLINK6, 58, 64, l4v6(58, 129, 7, data)));
        s.add(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, UPLINK6, 6, 64, l4v6(6, 443, 40100, new byte[0])));
        s.add(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, c, 6, 64, l4v6(6, 80, 40104, new byte[0])));
        s.add(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, c, 58, 64, l4v6(58, 128, 11, data)));
        s.add(ipv6Frame(UPLINK_MAC, LAN_GW_MAC, OUTSIDE6, UPLINK6, 58, 64, concat(l4v6(58, 1, 0, new byte[0]),
            Arrays.copyOfRange(ipv6Frame(0, 0, UPLINK6, OUTSIDE6, 17, 64, l4v6(17, 40101, 53, data)), 14, 62))));
        // fragments: reassembled, translated and cut again (900-byte pieces), or too big for the uplink's 1000
        final byte[] big = ipv6Frame(gwA, macA, a, OUTSIDE6, 17, 64, l4v6(17, 40105, 53, new byte[1600]));
        s.add(ipv6Fragment(big, 0, 848, true, 77));
        s.add(ipv6Fragment(big, 848, big.length - 54 - 848, false, 77));
        s.add(ipv6Fragment(big, 0, 1200, true, 78));
        s.add(ipv6Fragment(big, 1200, big.length - 54 - 1200, false, 78));
        // the host, on berth0
        s.add(ipv6Frame(HOST_OUR_MAC, HOST_MAC, HOST6, a, 58, 64, l4v6(58, 128, 12, data)));
        s.add(ipv6Frame(HOST_OUR_MAC, HOST_MAC, HOST6, HOST6_OURS, 58, 64, l4v6(58, 128, 13, data)));
        s.add(ipv6Frame(HOST_OUR_MAC, HOST_MAC, HOST6, a, 6, 64, l4v6(6, 51100, 8080, new byte[0])));
    }
}
