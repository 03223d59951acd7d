package io.berth.conntrack;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.TestGraphs;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static io.berth.conntrack.ConnectionFlags.F_ASSURED;
import static io.berth.conntrack.ConnectionTable.NOT_FOUND;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;
import static io.berth.conntrack.ConnectionTable.REPLY;
import static io.berth.conntrack.TestPackets.ip;
import static io.berth.dataplane.flyweight.TcpFlyweight.ACK;
import static io.berth.dataplane.flyweight.TcpFlyweight.FIN;
import static io.berth.dataplane.flyweight.TcpFlyweight.PSH;
import static io.berth.dataplane.flyweight.TcpFlyweight.RST;
import static io.berth.dataplane.flyweight.TcpFlyweight.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConntrackNodeTest
{
    static final int C = ip("172.17.0.2");
    static final int S = ip("93.184.216.34");
    static final int R = ip("10.9.9.1");

    final PacketPool pool = new PacketPool(64);
    final DropCounters drops = new DropCounters();
    Graph graph;
    final ConntrackCounters counters = new ConntrackCounters();
    final CachedEpochClock clock = new CachedEpochClock();
    final Timeouts timeouts = new Timeouts();
    final CtInfo info = new CtInfo(pool.capacity());
    ConnectionTable table;
    final Sink sink = new Sink();

    int lastClass;
    int lastDirection;
    int lastEntry;

    @BeforeEach
    void setUp()
    {
        clock.update(1_000_000);
        build(1024);
    }

    void build(final int limit)
    {
        table = new ConnectionTable(limit, 100, 1024, 64, counters);
        graph = TestGraphs.autowire(pool, drops, new ConntrackNode(table, info, timeouts, clock, true), sink);
    }

    /** Sends a packet through conntrack; true when it passed (its verdict is in last*). */
    boolean send(final int handle)
    {
        final int before = sink.count();
        final int available = pool.available();
        graph.inject(handle);
        graph.run();
        if (sink.count() == before)
        {
            assertEquals(available + 1, pool.available(), "a dropped packet goes back to the pool");
            return false;
        }
        lastClass = info.ctClass(handle);
        lastDirection = info.isTracked(handle) ? info.direction(handle) : -1;
        lastEntry = info.isTracked(handle) ? info.entry(handle) : -1;
        pool.release(handle);
        return true;
    }

    int tcpState()
    {
        return table.state(lastEntry);
    }

    void handshake()
    {
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        assertEquals(CtInfo.NEW, lastClass);
        assertEquals(ORIGINAL, lastDirection);
        assertEquals(ConnState.SYN_SENT, tcpState());
        assertEquals(clock.time() + 60_000, table.expiry(lastEntry));

        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, SYN | ACK)));
        assertEquals(CtInfo.ESTABLISHED, lastClass);
        assertEquals(REPLY, lastDirection);
        assertEquals(ConnState.SYN_RECV, tcpState());

        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, ACK)));
        assertEquals(CtInfo.ESTABLISHED, lastClass);
        assertEquals(ConnState.ESTABLISHED, tcpState());
        assertTrue(table.hasFlags(lastEntry, F_ASSURED));
        assertEquals(clock.time() + 7_200_000, table.expiry(lastEntry));
    }

    @Test
    void tcpHandshakeFoundFromBothDirections()
    {
        handshake();
        assertEquals(1, table.size());
        final int orig = table.lookup(Tuples.key1(C, S), Tuples.key2(6, 40000, 80));
        final int reply = table.lookup(Tuples.key1(S, C), Tuples.key2(6, 80, 40000));
        assertEquals(lastEntry, ConnectionTable.entry(orig));
        assertEquals(lastEntry, ConnectionTable.entry(reply));
        assertEquals(ORIGINAL, ConnectionTable.direction(orig));
        assertEquals(REPLY, ConnectionTable.direction(reply));
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, ACK | PSH, 100)));
        assertEquals(ConnState.ESTABLISHED, tcpState());
        assertEquals(1, counters.get(ConntrackCounter.CREATED));
    }

    @Test
    void teardownStartedByTheClient()
    {
        handshake();
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, FIN | ACK)));
        assertEquals(ConnState.FIN_WAIT, tcpState());
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, ACK)));
        assertEquals(ConnState.CLOSE_WAIT, tcpState());
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, FIN | ACK)));
        assertEquals(ConnState.LAST_ACK, tcpState());
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, FIN | ACK))); // retransmit
        assertEquals(ConnState.LAST_ACK, tcpState());
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, ACK)));
        assertEquals(ConnState.TIME_WAIT, tcpState());
        assertEquals(clock.time() + 120_000, table.expiry(lastEntry));
    }

    @Test
    void teardownStartedByTheServerWithCombinedFinAck()
    {
        handshake();
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, FIN | ACK)));
        assertEquals(ConnState.FIN_WAIT, tcpState());
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, FIN | ACK))); // ACK and FIN in one
        assertEquals(ConnState.LAST_ACK, tcpState());
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, ACK))); // same side as the last FIN: not the last ACK
        assertEquals(ConnState.LAST_ACK, tcpState());
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, ACK)));
        assertEquals(ConnState.TIME_WAIT, tcpState());
    }

    @Test
    void resetClosesAndShortensTheTimer()
    {
        handshake();
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, RST)));
        assertEquals(ConnState.CLOSE, tcpState());
        assertEquals(clock.time() + 10_000, table.expiry(lastEntry));
        clock.advance(10_300);
        int work = 0;
        for (int i = 0; i < 10; i++)
        {
            work += table.doWork(clock.time());
        }
        assertTrue(work > 0);
        assertEquals(0, table.size(), "the wheel re-filed the entry under its earlier deadline");
    }

    @Test
    void reopenAfterTimeWaitKeepsTheEntry()
    {
        teardownStartedByTheClient();
        final int entry = lastEntry;
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        assertEquals(entry, lastEntry);
        assertEquals(CtInfo.NEW, lastClass);
        assertEquals(ConnState.SYN_SENT, tcpState());
    }

    @Test
    void midStreamPacketsAndNonsenseAreInvalid()
    {
        assertFalse(send(TestPackets.tcp(pool, C, 40000, S, 80, ACK)));
        assertFalse(send(TestPackets.tcp(pool, C, 40000, S, 80, RST)));
        assertFalse(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN | ACK)));
        assertEquals(3, counters.get(ConntrackCounter.INVALID));
        assertEquals(0, table.size());

        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        assertFalse(send(TestPackets.tcp(pool, C, 40000, S, 80, ACK)), "ACK before SYN/ACK");
        assertFalse(send(TestPackets.tcp(pool, C, 40000, S, 80, 0)), "no flags at all");
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN)), "SYN retransmit");
        assertEquals(ConnState.SYN_SENT, tcpState());
    }

    @Test
    void truncatedTcpIsDropped()
    {
        final int h = TestPackets.udp(pool, C, 40000, S, 80, 0);
        pool.buffer().putByte(TestPackets.ipOffset(pool, h) + 9, (byte)6); // claims TCP with 8 bytes of header
        assertFalse(send(h));
        assertEquals(1, drops.get(DropReason.L4_TRUNCATED));
    }

    @Test
    void udpUnrepliedThenAssured()
    {
        assertTrue(send(TestPackets.udp(pool, C, 5353, S, 53, 20)));
        assertEquals(CtInfo.NEW, lastClass);
        assertEquals(ConnState.UNREPLIED, tcpState());
        assertEquals(clock.time() + 30_000, table.expiry(lastEntry));
        assertTrue(send(TestPackets.udp(pool, C, 5353, S, 53, 20)));
        assertEquals(CtInfo.NEW, lastClass, "still unreplied");

        clock.advance(1000);
        assertTrue(send(TestPackets.udp(pool, S, 53, C, 5353, 60)));
        assertEquals(CtInfo.ESTABLISHED, lastClass);
        assertEquals(REPLY, lastDirection);
        assertEquals(ConnState.REPLIED, tcpState());
        assertTrue(table.hasFlags(lastEntry, F_ASSURED));
        assertEquals(clock.time() + 120_000, table.expiry(lastEntry));
        assertTrue(send(TestPackets.udp(pool, C, 5353, S, 53, 20)));
        assertEquals(CtInfo.ESTABLISHED, lastClass);
        assertEquals(1, table.size());
    }

    @Test
    void icmpEchoByIdentifier()
    {
        assertFalse(send(TestPackets.echo(pool, S, C, IcmpFlyweight.TYPE_ECHO_REPLY, 7, 1)), "reply to nothing");
        assertTrue(send(TestPackets.echo(pool, C, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 7, 1)));
        assertEquals(CtInfo.NEW, lastClass);
        final int entry = lastEntry;
        assertTrue(send(TestPackets.echo(pool, C, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 8, 1)));
        assertNotEquals(entry, lastEntry, "another identifier, another connection");
        assertTrue(send(TestPackets.echo(pool, S, C, IcmpFlyweight.TYPE_ECHO_REPLY, 7, 1)));
        assertEquals(entry, lastEntry);
        assertEquals(REPLY, lastDirection);
        assertEquals(CtInfo.ESTABLISHED, lastClass);
        assertEquals(ConnState.REPLIED, tcpState());
        assertFalse(send(TestPackets.echo(pool, S, C, IcmpFlyweight.TYPE_ECHO_REQUEST, 7, 2)), "a request in the reply direction");
        assertEquals(2, table.size());
    }

    @Test
    void icmpErrorsAreRelatedToTheConnectionTheyQuote()
    {
        assertTrue(send(TestPackets.udp(pool, C, 5353, S, 53, 20)));
        final int udpEntry = lastEntry;
        final int quotedUdp = TestPackets.udp(pool, C, 5353, S, 53, 20);
        assertTrue(send(TestPackets.icmpError(pool, S, C, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, 3, quotedUdp, 8)));
        assertEquals(CtInfo.RELATED, lastClass);
        assertEquals(udpEntry, lastEntry);
        assertEquals(REPLY, lastDirection);

        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        final int tcpEntry = lastEntry;
        final int quotedSyn = TestPackets.tcp(pool, C, 40000, S, 80, SYN);
        assertTrue(send(TestPackets.icmpError(pool, R, C, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, quotedSyn, 8)));
        assertEquals(CtInfo.RELATED, lastClass);
        assertEquals(tcpEntry, lastEntry);
        assertEquals(REPLY, lastDirection);

        assertTrue(send(TestPackets.echo(pool, C, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 99, 1)));
        final int quotedEcho = TestPackets.echo(pool, C, S, IcmpFlyweight.TYPE_ECHO_REQUEST, 99, 1);
        assertTrue(send(TestPackets.icmpError(pool, R, C, IcmpFlyweight.TYPE_TIME_EXCEEDED, 0, quotedEcho, 8)));
        assertEquals(CtInfo.RELATED, lastClass);

        final int unknown = TestPackets.udp(pool, C, 1111, S, 2222, 0);
        assertFalse(send(TestPackets.icmpError(pool, S, C, IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE, 3, unknown, 8)));
        assertEquals(3, counters.get(ConntrackCounter.RELATED));
        assertEquals(1, counters.get(ConntrackCounter.INVALID));
        assertEquals(3, table.size(), "errors create nothing");
        pool.release(quotedUdp);
        pool.release(quotedSyn);
        pool.release(quotedEcho);
        pool.release(unknown);
    }

    @Test
    void tableLimitRefusesAndCounts()
    {
        table = new ConnectionTable(2, 100, 64, 16, counters);
        final Sink out = new Sink();
        final Graph small = TestGraphs.autowire(pool, drops, new ConntrackNode(table, info, timeouts, clock, true), out);
        for (int port = 1; port <= 3; port++)
        {
            small.inject(TestPackets.udp(pool, C, port, S, 53, 0));
        }
        small.run();
        assertEquals(2, out.count());
        assertEquals(2, table.size());
        assertEquals(1, counters.get(ConntrackCounter.REFUSED_FULL));
        assertEquals(62, pool.available());
    }

    @Test
    void expiredEntryFoundBeforeTheWheelGotToItIsGone()
    {
        assertTrue(send(TestPackets.udp(pool, C, 5353, S, 53, 0)));
        final int first = lastEntry;
        clock.advance(31_000);
        assertEquals(NOT_FOUND, table.find(Tuples.key1(C, S), Tuples.key2(17, 5353, 53), clock.time()));
        assertEquals(0, table.size());
        assertTrue(send(TestPackets.udp(pool, C, 5353, S, 53, 0)));
        assertEquals(CtInfo.NEW, lastClass);
        assertEquals(first, lastEntry, "the freed entry is reused");
    }

    @Test
    void fragmentsAndOtherProtocolsPassUntracked()
    {
        final int frag = TestPackets.udp(pool, C, 5353, S, 53, 0);
        pool.buffer().putShort(TestPackets.ipOffset(pool, frag) + 6, (short)0x0010, ByteOrder.BIG_ENDIAN);
        assertTrue(send(frag));
        assertEquals(CtInfo.UNTRACKED, lastClass);
        final int gre = TestPackets.udp(pool, C, 5353, S, 53, 0);
        pool.buffer().putByte(TestPackets.ipOffset(pool, gre) + 9, (byte)47);
        assertTrue(send(gre));
        assertEquals(CtInfo.UNTRACKED, lastClass);
        assertEquals(0, table.size());
        assertEquals(1, counters.get(ConntrackCounter.FRAGMENT));
    }
}
