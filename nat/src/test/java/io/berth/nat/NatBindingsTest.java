package io.berth.nat;

import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.MidstreamPickup;
import io.berth.conntrack.TestPackets;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.WorkerCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.berth.conntrack.TestPackets.ip;
import static io.berth.dataplane.flyweight.TcpFlyweight.ACK;
import static io.berth.dataplane.flyweight.TcpFlyweight.RST;
import static io.berth.dataplane.flyweight.TcpFlyweight.SYN;
import static io.berth.nat.NatHarness.U;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The NAT bindings mirrored into a mapped file as they are made are what a restart after SIGKILL reads back. */
class NatBindingsTest
{
    static final int C = ip("172.17.0.2");
    static final int C2 = ip("172.17.0.3");
    static final int S = ip("93.184.216.34");
    static final int P = ip("203.0.113.7");

    @TempDir
    Path dir;

    @Test
    void translatedConnectionsAreInTheFileUntilTheyEnd() throws Exception
    {
        final NatBindings bindings = new NatBindings(1024);
        final NatHarness nat = new NatHarness(1024, PortAllocator::new, MidstreamPickup.STRICT, bindings);
        final PacketPool pool = nat.pool;
        final Path file = dir.resolve("nat-bindings");
        new NatCommands(nat.table, nat.published, WorkerCommands.DIRECT, bindings).mirrorBindings(NatBindings.map(file, 1024)).join();
        assertTrue(nat.published.publish(PublishedPorts.ANY_ADDRESS, 6, 8080, C2, 80));

        pool.release(nat.out(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));  // masqueraded
        pool.release(nat.in(TestPackets.tcp(pool, P, 5555, U, 8080, SYN))); // published
        pool.release(nat.in(TestPackets.tcp(pool, C, 40001, C2, 22, SYN)));  // not translated: not mirrored

        List<ConnectionSnapshot> read = NatBindings.read(file);
        assertEquals(2, read.size(), read::toString);
        final ConnectionSnapshot masqueraded = read.stream().filter(c -> c.original().source() == C).findFirst().orElseThrow();
        assertEquals(new ConnectionSnapshot.Tuple(S, U, 80, 40000), masqueraded.reply());
        assertEquals(ConnState.ESTABLISHED, masqueraded.state());
        assertTrue((masqueraded.flags() & ConnectionFlags.F_SNAT) != 0);
        assertTrue((masqueraded.flags() & ConnectionFlags.F_PICKED_UP) != 0, "back on the short timeout until heard from");
        final ConnectionSnapshot published = read.stream().filter(c -> c.original().source() == P).findFirst().orElseThrow();
        assertEquals(new ConnectionSnapshot.Tuple(C2, P, 80, 5555), published.reply());
        assertTrue((published.flags() & ConnectionFlags.F_DNAT) != 0);

        pool.release(nat.out(TestPackets.tcp(pool, C, 40000, S, 80, RST)));
        nat.clock.update(nat.clock.time() + 60_000); // CLOSE expires after 10 s
        nat.table.doWork(nat.clock.time());
        nat.table.doWork(nat.clock.time());
        read = NatBindings.read(file);
        assertEquals(1, read.size(), "an ended connection leaves the file: " + read);

        // what a new run restores from the file is the connection as it was, translated
        final NatHarness after = new NatHarness();
        assertEquals(1, (int)new NatCommands(after.table, after.published, WorkerCommands.DIRECT).restore(read).join());
        after.published.publish(PublishedPorts.ANY_ADDRESS, 6, 8080, C2, 80);
        final int reply = after.out(TestPackets.tcp(after.pool, C2, 80, P, 5555, ACK));
        assertEquals(U, TestPackets.source(after.pool, reply));
        assertEquals(8080, TestPackets.sourcePort(after.pool, reply));
        bindings.detach();
    }

    @Test
    void anEmptyOrMissingFileRecoversNothing() throws Exception
    {
        assertEquals(List.of(), NatBindings.read(dir.resolve("none")));
        NatBindings.map(dir.resolve("empty"), 64);
        assertEquals(List.of(), NatBindings.read(dir.resolve("empty")));
    }
}
