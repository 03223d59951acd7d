package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.TestPackets;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static io.berth.conntrack.TestPackets.checksumsValid;
import static io.berth.conntrack.TestPackets.destination;
import static io.berth.conntrack.TestPackets.destinationPort;
import static io.berth.conntrack.TestPackets.hex;
import static io.berth.conntrack.TestPackets.ip;
import static io.berth.conntrack.TestPackets.source;
import static io.berth.conntrack.TestPackets.sourcePort;
import static io.berth.dataplane.flyweight.Ipv4Flyweight.PROTO_TCP;
import static io.berth.dataplane.flyweight.Ipv4Flyweight.PROTO_UDP;
import static io.berth.dataplane.flyweight.TcpFlyweight.ACK;
import static io.berth.dataplane.flyweight.TcpFlyweight.PSH;
import static io.berth.dataplane.flyweight.TcpFlyweight.SYN;
import static io.berth.nat.NatHarness.U;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.berth.conntrack.Tuples;
import java.util.HashSet;
import java.util.Set;

class NatNodesTest
{
    static final int C = ip("172.17.0.2");
    static final int C2 = ip("172.17.0.3");
    static final int S = ip("93.184.216.34");
    static final int X = ip("203.0.113.7");
    static final int R = ip("10.9.9.1");

    final NatHarness nat = new NatHarness();
    final PacketPool pool = nat.pool;

    /** The translated packet must equal, byte for byte, one built from scratch with the expected header. */
    void assertGolden(final int expected, final int actual)
    {
        assertTrue(checksumsValid(pool, actual), "checksums of\n" + hex(pool, actual));
        assertEquals(hex(pool, expected), hex(pool, actual));
        pool.release(expected);
        pool.release(actual);
    }

    @Test
    void masqueradeTcpBothWaysKeepingThePort()
    {
        assertGolden(TestPackets.tcp(pool, U, 40000, S, 80, SYN), nat.out(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        assertGolden(TestPackets.tcp(pool, S, 80, C, 40000, SYN | ACK), nat.in(TestPackets.tcp(pool, S, 80, U, 40000, SYN | ACK)));
        assertGolden(TestPackets.tcp(pool, U, 40000, S, 80, ACK | PSH, 333), nat.out(TestPackets.tcp(pool, C, 40000, S, 80, ACK | PSH, 333)));
        assertGolden(TestPackets.tcp(pool, S, 80, C, 40000, ACK, 1001), nat.in(TestPackets.tcp(pool, S, 80, U, 40000, ACK, 1001)));
        assertEquals(1, nat.natCounters.get(NatCounter.SNAT_CONNECTIONS));
        assertEquals(1, nat.natCounters.get(NatCounter.SNAT_PORT_KEPT));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void trafficNotLeavingByTheUplinkIsNotTranslated()
    {
        assertGolden(TestPackets.tcp(pool, C, 40000, C2, 80, SYN), nat.in(TestPackets.tcp(pool, C, 40000, C2, 80, SYN)));
        assertGolden(TestPackets.tcp(pool, C2, 80, C, 40000, SYN | ACK), nat.in(TestPackets.tcp(pool, C2, 80, C, 40000, SYN | ACK)));
        assertEquals(0, nat.natCounters.get(NatCounter.SNAT_CONNECTIONS));
    }

    @Test
    void secondContainerWithTheSamePortGetsAnotherOne()
    {
        pool.release(nat.out(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        final int second = nat.out(TestPackets.tcp(pool, C2, 40000, S, 80, SYN));
        assertEquals(U, source(pool, second));
        final int port = sourcePort(pool, second);
        assertNotEquals(40000, port);
        assertTrue(port >= 1024);
        assertTrue(checksumsValid(pool, second));
        pool.release(second);

        final int toFirst = nat.in(TestPackets.tcp(pool, S, 80, U, 40000, SYN | ACK));
        assertEquals(C, destination(pool, toFirst));
        assertEquals(40000, destinationPort(pool, toFirst));
        pool.release(toFirst);
        final int toSecond = nat.in(TestPackets.tcp(pool, S, 80, U, port, SYN | ACK));
        assertEquals(C2, destination(pool, toSecond));
        assertEquals(40000, destinationPort(pool, toSecond));
        assertTrue(checksumsValid(pool, toSecond));
        pool.release(toSecond);

        final int otherServer = nat.out(TestPackets.tcp(pool, C2, 40000, X, 80, SYN));
        assertEquals(40000, sourcePort(pool, otherServer), "ports are unique per remote endpoint: kept");
        pool.release(otherServer);
    }

    @Test
    void udpWithAndWithoutChecksum()
    {
        assertGolden(TestPackets.udp(pool, U, 5353, S, 53, 31), nat.out(TestPackets.udp(pool, C, 5353, S, 53, 31)));
        assertGolden(TestPackets.udp(pool, S, 53, C, 5353, 77), nat.in(TestPackets.udp(pool, S, 53, U, 5353, 77)));

        final int noSum = TestPackets.udp(pool, C, 6000, S, 53, 10);
        pool.buffer().putShort(TestPackets.l4(pool, noSum) + 6, (short)0);
        final int out = nat.out(noSum);
        assertEquals(0, TestPackets.u16(pool, TestPackets.l4(pool, out) + 6), "no checksum stays no checksum");
        assertEquals(U, source(pool, out));
        assertTrue(TestPackets.ipChecksumValid(pool.buffer(), TestPackets.ipOffset(pool, out)));
        pool.release(out);
    }

    @Test
    void partialChecksumsFromTapOffloadsOnlyTakeTheAddressChange()
    {
        for (final int protocol : new int[] {PROTO_TCP, PROTO_UDP})
        {
            // two containers on the same port, so the second is renumbered: port change with a partial checksum
            for (final int container : new int[] {C, C2})
            {
                final int h = protocol == PROTO_TCP ? TestPackets.tcp(pool, container, 41000, S, 443, SYN, 100)
                    : TestPackets.udp(pool, container, 41000, S, 443, 100);
                TestPackets.makePartial(pool, h);
                final int out = nat.out(h);
                assertEquals(U, source(pool, out));
                final int field = TestPackets.u16(pool, TestPackets.l4(pool, out) + TestPackets.checksumOffset(protocol));
                assertEquals(TestPackets.expectedPartial(pool, out), field, "pseudo-header sum for the new source");
                TestPackets.completePartial(pool, out);
                assertTrue(checksumsValid(pool, out), "completed checksum of\n" + hex(pool, out));
                if (container == C2)
                {
                    assertNotEquals(41000, sourcePort(pool, out));
                }
                pool.release(out);
            }
            final int reply = protocol == PROTO_TCP ? TestPackets.tcp(pool, S, 443, U, 41000, SYN | ACK, 10)
                : TestPackets.udp(pool, S, 443, U, 41000, 10);
            TestPackets.makePartial(pool, reply);
            final int in = nat.in(reply);
            assertEquals(C, destination(pool, in));
            assertEquals(TestPackets.expectedPartial(pool, in), TestPackets.u16(pool, TestPackets.l4(pool, in) + TestPackets.checksumOffset(protocol)));
            TestPackets.completePartial(pool, in);
            assertTrue(checksumsValid(pool, in));
            pool.release(in);
        }
    }

    @Test
    void pingThroughMasqueradeByIdentifier()
    {
        assertGolden(TestPackets.echo(pool, U, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 77, 1),
            nat.out(TestPackets.echo(pool, C, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 77, 1)));
        final int second = nat.out(TestPackets.echo(pool, C2, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 77, 1));
        final int id = TestPackets.u16(pool, TestPackets.l4(pool, second) + 4);
        assertNotEquals(77, id);
        assertTrue(checksumsValid(pool, second));
        pool.release(second);
        assertGolden(TestPackets.echo(pool, S, C2, IcmpFlyweight.TYPE_ECHO_REPLY, 77, 1),
            nat.in(TestPackets.echo(pool, S, U, IcmpFlyweight.TYPE_ECHO_REPLY, id, 1)));
        assertGolden(TestPackets.echo(pool, S, C, IcmpFlyweight.TYPE_ECHO_REPLY, 77, 1),
            nat.in(TestPackets.echo(pool, S, U, IcmpFlyweight.TYPE_ECHO_REPLY, 77, 1)));
    }

    @Test
    void publishedPortBothWays()
    {
        assertTrue(nat.published.publish(U, PROTO_TCP, 8080, C, 80));
        assertGolden(TestPackets.tcp(pool, X, 50000, C, 80, SYN), nat.in(TestPackets.tcp(pool, X, 50000, U, 8080, SYN)));
        // the reply leaves by the uplink: de-DNAT, and no masquerade for a reply
        assertGolden(TestPackets.tcp(pool, U, 8080, X, 50000, SYN | ACK), nat.out(TestPackets.tcp(pool, C, 80, X, 50000, SYN | ACK)));
        assertGolden(TestPackets.tcp(pool, X, 50000, C, 80, ACK, 500), nat.in(TestPackets.tcp(pool, X, 50000, U, 8080, ACK, 500)));
        assertEquals(1, nat.natCounters.get(NatCounter.DNAT_CONNECTIONS));
        assertEquals(0, nat.natCounters.get(NatCounter.SNAT_CONNECTIONS));
        assertEquals(1, nat.table.size());

        assertTrue(nat.published.publish(PublishedPorts.ANY_ADDRESS, PROTO_UDP, 53, C2, 5353));
        final int partial = TestPackets.udp(pool, X, 40000, U, 53, 40);
        TestPackets.makePartial(pool, partial);
        final int in = nat.in(partial);
        assertEquals(C2, destination(pool, in));
        assertEquals(5353, destinationPort(pool, in));
        assertEquals(TestPackets.expectedPartial(pool, in), TestPackets.u16(pool, TestPackets.l4(pool, in) + 6));
        TestPackets.completePartial(pool, in);
        assertTrue(checksumsValid(pool, in));
        pool.release(in);
        assertGolden(TestPackets.udp(pool, U, 53, X, 40000, 9), nat.out(TestPackets.udp(pool, C2, 5353, X, 40000, 9)));
    }

    @Test
    void hairpinThroughTheUplinkAddress()
    {
        final NatHarness hairpin = new NatHarness();
        // a policy that also masquerades container -> published port of another container (as Docker does)
        final PacketPool p = hairpin.pool;
        assertTrue(hairpin.published.publish(U, PROTO_TCP, 8080, C2, 80));
        final int h = TestPackets.tcp(p, C, 45000, U, 8080, SYN);
        final int out = hairpin.send(h, NatHarness.UPLINK_PORT); // egress uplink: masqueraded too
        assertEquals(U, source(p, out));
        assertEquals(C2, destination(p, out));
        assertEquals(80, destinationPort(p, out));
        assertTrue(checksumsValid(p, out));
        final int port = sourcePort(p, out);
        p.release(out);
        final int back = hairpin.in(TestPackets.tcp(p, C2, 80, U, port, SYN | ACK));
        assertEquals(U, source(p, back));
        assertEquals(8080, sourcePort(p, back));
        assertEquals(C, destination(p, back));
        assertEquals(45000, destinationPort(p, back));
        assertTrue(checksumsValid(p, back));
        p.release(back);
    }

    @Test
    void icmpErrorsForMasqueradedConnectionsAreTranslatedInside()
    {
        final int udp = nat.out(TestPackets.udp(pool, C, 5353, S, 53, 12));
        final int original = TestPackets.udp(pool, C, 5353, S, 53, 12);
        // the server says port unreachable to the uplink address, quoting what it got (the whole datagram)
        final int error = TestPackets.icmpError(pool, S, U, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, 3, udp, 64);
        assertTrue(checksumsValid(pool, error));
        assertGolden(TestPackets.icmpError(pool, S, C, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, 3, original, 64), nat.in(error));
        pool.release(udp);
        pool.release(original);

        // a router on the path: time exceeded for a SYN whose port had to change, quoting 8 bytes (no TCP checksum)
        pool.release(nat.out(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        final int syn = nat.out(TestPackets.tcp(pool, C2, 40000, S, 80, SYN));
        final int synOriginal = TestPackets.tcp(pool, C2, 40000, S, 80, SYN);
        assertNotEquals(40000, sourcePort(pool, syn));
        final int exceeded = TestPackets.icmpError(pool, R, U, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, syn, 8);
        assertGolden(TestPackets.icmpError(pool, R, C2, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, synOriginal, 8), nat.in(exceeded));
        pool.release(syn);
        pool.release(synOriginal);

        // full quote of a renumbered SYN: the quoted TCP checksum is patched too
        pool.release(nat.out(TestPackets.tcp(pool, C, 40001, S, 80, SYN)));
        final int syn2 = nat.out(TestPackets.tcp(pool, C2, 40001, S, 80, SYN));
        assertNotEquals(40001, sourcePort(pool, syn2));
        final int exceeded2 = TestPackets.icmpError(pool, R, U, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, syn2, 20);
        final int syn2Original = TestPackets.tcp(pool, C2, 40001, S, 80, SYN);
        assertGolden(TestPackets.icmpError(pool, R, C2, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, syn2Original, 20), nat.in(exceeded2));
        pool.release(syn2);
        pool.release(syn2Original);

        // ping with a renumbered identifier: time exceeded quoting the echo request
        pool.release(nat.out(TestPackets.echo(pool, C, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 5, 1)));
        final int ping = nat.out(TestPackets.echo(pool, C2, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 5, 1));
        final int pingOriginal = TestPackets.echo(pool, C2, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 5, 1);
        final int pingError = TestPackets.icmpError(pool, R, U, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, ping, 24);
        assertGolden(TestPackets.icmpError(pool, R, C2, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, pingOriginal, 24), nat.in(pingError));
        pool.release(ping);
        pool.release(pingOriginal);
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void icmpErrorFromAPublishedContainerLooksLikeItCameFromTheHost()
    {
        assertTrue(nat.published.publish(U, PROTO_UDP, 9999, C, 7777));
        final int in = nat.in(TestPackets.udp(pool, X, 40000, U, 9999, 16));
        // the container has nothing on 7777: port unreachable back to the client
        final int error = TestPackets.icmpError(pool, C, X, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, 3, in, 64);
        final int asSent = TestPackets.udp(pool, X, 40000, U, 9999, 16);
        assertGolden(TestPackets.icmpError(pool, U, X, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, 3, asSent, 64), nat.out(error));
        pool.release(in);
        pool.release(asSent);
    }

    @Test
    void portExhaustionRefusesTheConnection()
    {
        final NatHarness small = new NatHarness(1024, table -> new PortAllocator(table, 1024, 1027, 0, 65535, 128));
        final PacketPool p = small.pool;
        for (int i = 0; i < 5; i++)
        {
            final int out = small.out(TestPackets.tcp(p, C + i, 40000, S, 80, SYN));
            assertTrue(out >= 0);
            final int port = sourcePort(p, out);
            assertTrue(port == 40000 || (port >= 1024 && port <= 1027), "port " + port);
            p.release(out);
        }
        assertEquals(-1, small.out(TestPackets.tcp(p, C + 5, 40000, S, 80, SYN)));
        assertEquals(1, small.natCounters.get(NatCounter.SNAT_NO_PORT));
        assertEquals(-1, small.out(TestPackets.tcp(p, C + 5, 40000, S, 80, SYN)), "retransmit: still no port");
        final int elsewhere = small.out(TestPackets.tcp(p, C + 5, 40000, X, 80, SYN));
        assertEquals(40000, sourcePort(p, elsewhere), "another remote endpoint has all its ports");
        p.release(elsewhere);
        assertEquals(p.capacity(), p.available());
    }

    @Test
    void aContainersDatagramNeverLeavesFromTheVtepsTunnelPort()
    {
        // issue 24: a container sending from UDP 4789 would leave as the VTEP's tunnel port
        final NatHarness h = new NatHarness(1024, table -> new PortAllocator(table).reserveUdp(port -> port == 4789));
        final PacketPool p = h.pool;
        final int out = h.out(TestPackets.udp(p, C, 4789, S, 4789, 16));
        assertTrue(out >= 0);
        final int port = sourcePort(p, out);
        assertTrue(port != 4789 && port >= 1024, "masqueraded to port " + port);
        p.release(out);
        // TCP keeps its port: only UDP datagrams could be taken for tunnel traffic
        final int tcp = h.out(TestPackets.tcp(p, C, 4789, S, 80, SYN));
        assertEquals(4789, sourcePort(p, tcp));
        p.release(tcp);
    }

    @Test
    void allocatorKeepsFreePortsAndNeverCollides()
    {
        final NatHarness h = new NatHarness(70_000, PortAllocator::new);
        final ConnectionTable table = h.table;
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++)
        {
            final long k1 = Tuples.key1(C + (i % 200), S);
            final long k2 = Tuples.key2(PROTO_TCP, 30000 + i / 200, 443);
            final int e = table.create(k1, k2, 1, 0, Long.MAX_VALUE / 2, 0);
            final int port = h.ports.allocate(e, U);
            assertTrue(port > 0, "allocation " + i);
            assertTrue(seen.add(port), "port " + port + " twice");
            if (i < 200 * 1)
            {
                assertTrue(i == 0 ? port == 30000 : port != 30000);
            }
        }
        assertEquals(20_000, table.size());
    }
}
