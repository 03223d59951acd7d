package io.berth.control.dataplane;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.l3.L3Drops;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;

import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 13's negative conntrack gauge: several packets of one new connection that routing refuses in the same
 * batch used to free its entry once each, so the count went below zero and the free list held the entry twice.
 * The count must equal what the table lists, and the table must stay sound.
 */
class ConntrackGaugeTest
{
    @Test
    void refusedPacketsOfOneNewConnectionInOneBatchFreeItOnce()
    {
        final int ipA = ip("172.18.0.2");
        final int ipC = ip("172.19.0.2");
        final MemoryPort a = new MemoryPort(1, "a");
        final MemoryPort c = new MemoryPort(2, "c");
        final MemoryPacketPath path = new MemoryPacketPath(64, DataplaneOptions.defaults(), SystemEpochClock.INSTANCE)
            .network(1, ip("172.18.0.0"), 16, ip("172.18.0.1"), true, false)
            .network(2, ip("172.19.0.0"), 16, ip("172.19.0.1"), true, false)
            .container(a, 1, ipA).container(c, 2, ipC);
        final byte[] toOtherNetwork = udpFrame(MemoryPacketPath.macFor(ipA), MemoryPacketPath.macFor(ip("172.18.0.1")),
            ipA, ipC, 5000, 53, 60);
        for (int i = 0; i < 5; i++)
        {
            a.inject(toOtherNetwork); // one batch: five packets of one connection, all refused (isolated networks)
        }
        path.cycle();
        assertEquals(5, path.graph().drops().get(L3Drops.ISOLATED_NETWORKS));
        assertEquals(0, path.connections().size(), "the gauge equals the table");

        final int[] listed = {0};
        path.connections().forEach(entry -> listed[0]++);
        assertEquals(0, listed[0]);
    }
}
