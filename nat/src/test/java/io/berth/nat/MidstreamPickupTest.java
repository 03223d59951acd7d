package io.berth.nat;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConntrackCounter;
import io.berth.conntrack.MidstreamPickup;
import io.berth.conntrack.TestPackets;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.PacketPool;
import org.junit.jupiter.api.Test;

import static io.berth.conntrack.TestPackets.checksumsValid;
import static io.berth.conntrack.TestPackets.hex;
import static io.berth.conntrack.TestPackets.ip;
import static io.berth.dataplane.flyweight.Ipv4Flyweight.PROTO_TCP;
import static io.berth.dataplane.flyweight.TcpFlyweight.ACK;
import static io.berth.dataplane.flyweight.TcpFlyweight.FIN;
import static io.berth.dataplane.flyweight.TcpFlyweight.PSH;
import static io.berth.dataplane.flyweight.TcpFlyweight.RST;
import static io.berth.nat.NatHarness.U;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mid-stream pickup (issue 13): after a restart that lost the tables, the next packet of a connection through
 * SNAT or DNAT re-creates it with the translation it had, from whichever end it comes where that can be known,
 * and is dropped (never answered) where it cannot. The pickup rule is the production one's: the uplink address
 * U is berthd's own, published ports are placed at U.
 */
class MidstreamPickupTest
{
    static final int C = ip("172.17.0.2");
    static final int S = ip("93.184.216.34");
    static final int P = ip("203.0.113.7");

    final NatHarness nat = new NatHarness(1024, PortAllocator::new, new MidstreamPickup()
    {
        @Override
        public boolean mayOpen(final int source, final int sourcePort, final int destination, final int destinationPort)
        {
            return !nat().published.isInsideEnd(source, PROTO_TCP, sourcePort)
                && (destination != U || nat().published.lookup(destination, PROTO_TCP, destinationPort) != PublishedPorts.NONE);
        }

        @Override
        public long publishedAt(final int source, final int sourcePort, final int destination)
        {
            final long hostKey = nat().published.publishedOnto(source, PROTO_TCP, sourcePort);
            return hostKey == PublishedPorts.NONE ? NONE : MidstreamPickup.outsideEnd(U, PublishedPorts.hostPort(hostKey));
        }
    });
    final PacketPool pool = nat.pool;

    NatHarness nat()
    {
        return nat;
    }

    void assertGolden(final int expected, final int actual)
    {
        assertTrue(actual >= 0, "the packet was dropped");
        assertTrue(checksumsValid(pool, actual), "checksums of\n" + hex(pool, actual));
        assertEquals(hex(pool, expected), hex(pool, actual));
        pool.release(expected);
        pool.release(actual);
    }

    long pickedUp()
    {
        return nat.ctCounters.get(ConntrackCounter.PICKED_UP);
    }

    int entryOf(final int source, final int sourcePort, final int destination, final int destinationPort)
    {
        final int ref = nat.table.lookup(Tuples.key1(source, destination), Tuples.key2(PROTO_TCP, sourcePort, destinationPort));
        assertTrue(ref != ConnectionTable.NOT_FOUND, "a connection for the tuple");
        return ConnectionTable.entry(ref);
    }

    @Test
    void masqueradedConnectionIsPickedUpFromTheContainerWithItsPortKept()
    {
        assertGolden(TestPackets.tcp(pool, U, 40000, S, 80, ACK | PSH, 100),
            nat.out(TestPackets.tcp(pool, C, 40000, S, 80, ACK | PSH, 100)));
        assertEquals(1, pickedUp());
        final int entry = entryOf(C, 40000, S, 80);
        assertEquals(ConnState.ESTABLISHED, nat.table.state(entry));
        assertEquals(nat.clock.time() + nat.timeouts.tcpUnacknowledgedMillis(), nat.table.expiry(entry),
            "a stray ACK holds an entry only for the short timeout");

        assertGolden(TestPackets.tcp(pool, S, 80, C, 40000, ACK, 200), nat.in(TestPackets.tcp(pool, S, 80, U, 40000, ACK, 200)));
        assertTrue(nat.table.hasFlags(entry, ConnectionFlags.F_ASSURED), "both ends heard: assured");
        assertEquals(nat.clock.time() + nat.timeouts.tcpMillis(ConnState.ESTABLISHED), nat.table.expiry(entry));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void replyToAMasqueradedPortIsDroppedNotPickedUp()
    {
        assertEquals(-1, nat.in(TestPackets.tcp(pool, S, 80, U, 40000, ACK, 200)), "only the lost table knew the container");
        assertEquals(0, pickedUp());
        assertEquals(1, nat.ctCounters.get(ConntrackCounter.INVALID));
        assertEquals(0, nat.table.size());
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void publishedConnectionIsPickedUpFromThePeer()
    {
        assertTrue(nat.published.publish(PublishedPorts.ANY_ADDRESS, PROTO_TCP, 8080, C, 80));
        assertGolden(TestPackets.tcp(pool, P, 5555, C, 80, ACK | PSH, 10), nat.in(TestPackets.tcp(pool, P, 5555, U, 8080, ACK | PSH, 10)));
        assertGolden(TestPackets.tcp(pool, U, 8080, P, 5555, ACK, 20), nat.out(TestPackets.tcp(pool, C, 80, P, 5555, ACK, 20)));
        assertEquals(1, pickedUp());
        assertEquals(1, nat.table.size());
    }

    @Test
    void publishedConnectionIsPickedUpFromTheContainerAsThePeerMadeIt()
    {
        assertTrue(nat.published.publish(PublishedPorts.ANY_ADDRESS, PROTO_TCP, 8080, C, 80));
        assertGolden(TestPackets.tcp(pool, U, 8080, P, 5555, ACK | PSH, 20), nat.out(TestPackets.tcp(pool, C, 80, P, 5555, ACK | PSH, 20)));
        assertEquals(1, pickedUp());
        final int entry = entryOf(P, 5555, U, 8080);
        assertTrue(nat.table.hasFlags(entry, ConnectionFlags.F_DNAT), "re-created as the published connection it was");
        assertEquals(nat.clock.time() + nat.timeouts.tcpUnacknowledgedMillis(), nat.table.expiry(entry));

        assertGolden(TestPackets.tcp(pool, P, 5555, C, 80, ACK, 10), nat.in(TestPackets.tcp(pool, P, 5555, U, 8080, ACK, 10)));
        assertTrue(nat.table.hasFlags(entry, ConnectionFlags.F_ASSURED));
        assertEquals(nat.clock.time() + nat.timeouts.tcpMillis(ConnState.ESTABLISHED), nat.table.expiry(entry));
        assertEquals(1, nat.table.size());
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void containerPortPublishedTwiceIsNotGuessedNorMasqueraded()
    {
        assertTrue(nat.published.publish(PublishedPorts.ANY_ADDRESS, PROTO_TCP, 8080, C, 80));
        assertTrue(nat.published.publish(PublishedPorts.ANY_ADDRESS, PROTO_TCP, 8081, C, 80));
        assertEquals(-1, nat.out(TestPackets.tcp(pool, C, 80, P, 5555, ACK, 20)), "8080 or 8081: only the peer can say");
        assertEquals(0, nat.table.size());
        // the peer's next packet tells
        assertGolden(TestPackets.tcp(pool, P, 5555, C, 80, ACK, 10), nat.in(TestPackets.tcp(pool, P, 5555, U, 8081, ACK, 10)));
        assertGolden(TestPackets.tcp(pool, U, 8081, P, 5555, ACK, 20), nat.out(TestPackets.tcp(pool, C, 80, P, 5555, ACK, 20)));

        assertTrue(nat.published.unpublish(PublishedPorts.ANY_ADDRESS, PROTO_TCP, 8080));
        assertEquals(PublishedPorts.key(PublishedPorts.ANY_ADDRESS, PROTO_TCP, 8081), nat.published.publishedOnto(C, PROTO_TCP, 80),
            "unique again once the other is gone");
    }

    @Test
    void aStrayAckToAClosedHostPortIsNotPickedUp()
    {
        assertEquals(-1, nat.in(TestPackets.tcp(pool, P, 5555, U, 22, ACK)));
        assertEquals(0, nat.table.size());
    }

    @Test
    void finAndRstMidStream()
    {
        assertGolden(TestPackets.tcp(pool, U, 40000, S, 80, FIN | ACK), nat.out(TestPackets.tcp(pool, C, 40000, S, 80, FIN | ACK)));
        final int entry = entryOf(C, 40000, S, 80);
        assertEquals(ConnState.FIN_WAIT, nat.table.state(entry), "a FIN moves the picked-up connection on");

        assertEquals(-1, nat.out(TestPackets.tcp(pool, C, 40001, S, 80, RST)), "a RST for nothing creates nothing");
        assertEquals(1, nat.table.size());
        assertFalse(nat.table.hasFlags(entry, ConnectionFlags.F_ASSURED));
    }
}
