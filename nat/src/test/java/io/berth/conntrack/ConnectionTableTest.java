package io.berth.conntrack;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static io.berth.conntrack.ConnectionTable.NOT_FOUND;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;
import static io.berth.conntrack.ConnectionTable.REFUSED_CLASH;
import static io.berth.conntrack.ConnectionTable.REFUSED_FULL;
import static io.berth.conntrack.ConnectionTable.REPLY;
import static io.berth.conntrack.TestPackets.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionTableTest
{
    final ConntrackCounters counters = new ConntrackCounters();

    static long k1(final int i)
    {
        return Tuples.key1(ip("172.17.0.2") + (i & 0xFF), ip("8.8.8.8") + (i >>> 8));
    }

    static long k2(final int i)
    {
        return Tuples.key2(17, 1024 + (i % 50000), 53);
    }

    /** NAT ports in use: live masqueraded connections, counted as flags come and go, readable from any thread. */
    @Test
    void masqueradedConnectionsAreCountedWhileTheyLive()
    {
        final ConnectionTable table = new ConnectionTable(16, counters);
        final int a = table.create(k1(1), k2(1), ConnState.UNREPLIED, 0, 10_000, 0);
        final int b = table.create(k1(2), k2(2), ConnState.UNREPLIED, ConnectionFlags.F_SNAT, 10_000, 0); // restored
        table.addFlags(a, ConnectionFlags.F_SNAT | ConnectionFlags.F_SNAT_DONE);
        table.addFlags(a, ConnectionFlags.F_SNAT); // again: still one
        assertEquals(2, table.sourceTranslatedAnyThread());
        table.remove(b);
        assertEquals(1, table.sourceTranslatedAnyThread());
        table.clearFlags(a, ConnectionFlags.F_SNAT);
        table.clearFlags(a, ConnectionFlags.F_SNAT);
        assertEquals(0, table.sourceTranslatedAnyThread());
        table.addFlags(a, ConnectionFlags.F_SNAT);
        table.clear();
        assertEquals(0, table.sourceTranslatedAnyThread());
        assertEquals(0, table.sizeAnyThread());
    }

    /** Freeing an entry twice must not hand it to two connections, nor count below zero. */
    @Test
    void removingAFreeEntryChangesNothing()
    {
        final ConnectionTable table = new ConnectionTable(16, counters);
        final int e = table.create(k1(1), k2(1), ConnState.UNREPLIED, 0, 10_000, 0);
        final int generation = table.generation(e);
        table.remove(e);
        table.remove(e);
        assertEquals(0, table.size());
        final int first = table.create(k1(2), k2(2), ConnState.UNREPLIED, 0, 10_000, 0);
        final int second = table.create(k1(3), k2(3), ConnState.UNREPLIED, 0, 10_000, 0);
        Assertions.assertNotEquals(first, second, "one entry, one connection");
        assertEquals(2, table.size());
        Assertions.assertTrue(table.generation(first) != generation || first != e,
            "a reused entry has a new generation");
    }

    @Test
    void tuplesPackAndInvert()
    {
        final long a = Tuples.key1(ip("10.0.0.1"), ip("10.0.0.2"));
        final long b = Tuples.key2(6, 1234, 80);
        assertEquals(ip("10.0.0.1"), Tuples.source(a));
        assertEquals(ip("10.0.0.2"), Tuples.destination(a));
        assertEquals(6, Tuples.protocol(b));
        assertEquals(1234, Tuples.sourcePort(b));
        assertEquals(80, Tuples.destinationPort(b));
        assertEquals(Tuples.key1(ip("10.0.0.2"), ip("10.0.0.1")), Tuples.invert1(a));
        assertEquals(Tuples.key2(6, 80, 1234), Tuples.invert2(b));
        assertEquals(a, Tuples.invert1(Tuples.invert1(a)));
        assertEquals(b, Tuples.invert2(Tuples.invert2(b)));
        assertEquals("tcp 10.0.0.1:1234 -> 10.0.0.2:80", Tuples.format(a, b));
    }

    @Test
    void bothDirectionsFindTheEntryAndReplyTupleCanChange()
    {
        final ConnectionTable table = new ConnectionTable(16, counters);
        final long a = Tuples.key1(ip("172.17.0.2"), ip("1.1.1.1"));
        final long b = Tuples.key2(6, 40000, 443);
        final int e = table.create(a, b, ConnState.SYN_SENT, 0, 60_000, 0);
        assertEquals(e << 1 | ORIGINAL, table.lookup(a, b));
        assertEquals(e << 1 | REPLY, table.lookup(Tuples.invert1(a), Tuples.invert2(b)));

        final long n1 = Tuples.key1(ip("1.1.1.1"), ip("192.168.1.10"));
        final long n2 = Tuples.key2(6, 443, 61000);
        assertTrue(table.reply(e, n1, n2));
        assertEquals(NOT_FOUND, table.lookup(Tuples.invert1(a), Tuples.invert2(b)));
        assertEquals(e << 1 | REPLY, table.lookup(n1, n2));
        assertEquals(n1, table.key1(e << 1 | REPLY));

        final int other = table.create(Tuples.key1(ip("172.17.0.3"), ip("1.1.1.1")), b, ConnState.SYN_SENT, 0, 60_000, 0);
        assertFalse(table.reply(other, n1, n2), "taken by the first connection");
        assertEquals(REFUSED_CLASH, table.create(Tuples.invert1(n1), Tuples.invert2(n2), ConnState.SYN_SENT, 0, 60_000, 0));
        assertEquals(1, counters.get(ConntrackCounter.REFUSED_CLASH));

        table.remove(e);
        assertEquals(NOT_FOUND, table.lookup(a, b));
        assertEquals(NOT_FOUND, table.lookup(n1, n2));
        assertEquals(1, table.size());
        assertTrue(ConnectionText.describe(table, other, 0).startsWith("tcp SYN_SENT 60s 172.17.0.3:40000 -> 1.1.1.1:443 | 1.1.1.1:443 -> 172.17.0.3:40000 [UNREPLIED]"),
            ConnectionText.describe(table, other, 0));
    }

    @Test
    void limitRefusesAndFreedEntriesAreReused()
    {
        final ConnectionTable table = new ConnectionTable(3, counters);
        for (int i = 0; i < 3; i++)
        {
            assertTrue(table.create(k1(i), k2(i), ConnState.UNREPLIED, 0, 30_000, 0) >= 0);
        }
        assertEquals(REFUSED_FULL, table.create(k1(3), k2(3), ConnState.UNREPLIED, 0, 30_000, 0));
        assertEquals(1, counters.get(ConntrackCounter.REFUSED_FULL));
        table.remove(ConnectionTable.entry(table.lookup(k1(1), k2(1))));
        assertTrue(table.create(k1(3), k2(3), ConnState.UNREPLIED, 0, 30_000, 0) >= 0);
        table.clear();
        assertEquals(0, table.size());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(NOT_FOUND, table.lookup(k1(i), k2(i)));
        }
    }

    @Test
    void indexAgreesWithAHashMapUnderChurn()
    {
        final int capacity = 5000;
        final ConnectionTable table = new ConnectionTable(capacity, counters);
        final Map<Integer, Integer> live = new HashMap<>(); // i -> entry
        final Random random = new Random(42);
        for (int step = 0; step < 200_000; step++)
        {
            final int i = random.nextInt(20_000);
            final Integer entry = live.get(i);
            if (entry == null)
            {
                if (table.size() < capacity)
                {
                    final int e = table.create(k1(i), k2(i), ConnState.UNREPLIED, 0, 30_000, 0);
                    assertTrue(e >= 0);
                    live.put(i, e);
                }
            }
            else
            {
                assertEquals(entry << 1, table.lookup(k1(i), k2(i)));
                assertEquals(entry << 1 | 1, table.lookup(Tuples.invert1(k1(i)), Tuples.invert2(k2(i))));
                table.remove(entry);
                live.remove(i);
                assertEquals(NOT_FOUND, table.lookup(k1(i), k2(i)));
            }
        }
        assertEquals(live.size(), table.size());
        for (int i = 0; i < 20_000; i++)
        {
            final Integer entry = live.get(i);
            assertEquals(entry == null ? NOT_FOUND : entry << 1, table.lookup(k1(i), k2(i)));
        }
    }

    @Test
    void expiryRunsInBoundedSlices()
    {
        final int n = 10_000;
        final int batch = 64;
        final ConnectionTable table = new ConnectionTable(n, 100, 1024, batch, counters);
        long now = 5_000;
        table.doWork(now);
        for (int i = 0; i < n; i++)
        {
            table.create(k1(i), k2(i), ConnState.UNREPLIED, 0, now + 30_000, now);
        }
        now += 20_000;
        for (int i = 0; i < n; i += 2)
        {
            table.refresh(ConnectionTable.entry(table.lookup(k1(i), k2(i))), now + 120_000); // the even ones got replies
        }
        assertEquals(0, drain(table, now, batch), "nothing due yet");

        now += 10_500; // the odd ones are due
        final int calls = countCalls(table, now, batch);
        assertEquals(n / 2, table.size());
        assertTrue(calls >= n / batch, "at most " + batch + " per call, so at least " + n / batch + " calls, got " + calls);
        for (int i = 0; i < n; i++)
        {
            assertEquals(i % 2 == 0, table.lookup(k1(i), k2(i)) != NOT_FOUND);
        }
        assertEquals(n / 2, counters.get(ConntrackCounter.EXPIRED));

        now += 121_000;
        countCalls(table, now, batch);
        assertEquals(0, table.size());
    }

    @Test
    void aClockJumpOfDaysStillVisitsEveryBucketOnce()
    {
        final ConnectionTable table = new ConnectionTable(100, 10, 64, 1000, counters);
        table.doWork(0);
        for (int i = 0; i < 100; i++)
        {
            table.create(k1(i), k2(i), ConnState.UNREPLIED, 0, 1000 + i * 37, 0);
        }
        assertEquals(100, table.doWork(3L * 24 * 3600 * 1000));
        assertEquals(0, table.size());
    }

    @Test
    void packetPathRemovalsDuringAnExpirySliceKeepTheWheelConsistent()
    {
        final int n = 4000;
        final ConnectionTable table = new ConnectionTable(n, 10, 256, 7, counters);
        final Random random = new Random(7);
        long now = 0;
        table.doWork(now);
        for (int i = 0; i < n; i++)
        {
            table.create(k1(i), k2(i), ConnState.UNREPLIED, 0, 100 + random.nextInt(5000), now);
        }
        int removedByPath = 0;
        while (table.size() > 0)
        {
            now += 3;
            table.doWork(now);
            for (int r = 0; r < 3; r++) // the packet path: lookups that expire on the spot, refreshes, removals
            {
                final int i = random.nextInt(n);
                final int ref = table.find(k1(i), k2(i), now);
                if (ref == NOT_FOUND)
                {
                    continue;
                }
                switch (random.nextInt(3))
                {
                    case 0 -> table.refresh(ConnectionTable.entry(ref), now + random.nextInt(300));
                    case 1 -> table.refresh(ConnectionTable.entry(ref), now + 1);
                    default ->
                    {
                        table.remove(ConnectionTable.entry(ref));
                        removedByPath++;
                    }
                }
            }
            for (int i = 0; i < n; i += 97)
            {
                final int ref = table.lookup(k1(i), k2(i));
                assertTrue(ref == NOT_FOUND || table.expiry(ConnectionTable.entry(ref)) > now - 30, "overdue entry " + i);
            }
            assertTrue(now < 20_000, "everything expires");
        }
        assertEquals(n, counters.get(ConntrackCounter.EXPIRED) + removedByPath);
    }

    private static int drain(final ConnectionTable table, final long now, final int batch)
    {
        int total = 0;
        int work;
        do
        {
            work = table.doWork(now);
            assertTrue(work <= batch);
            total += work;
        }
        while (work > 0);
        return total;
    }

    private static int countCalls(final ConnectionTable table, final long now, final int batch)
    {
        int calls = 0;
        int work;
        do
        {
            work = table.doWork(now);
            assertTrue(work <= batch, "slice of " + work);
            calls++;
        }
        while (work > 0);
        return calls;
    }
}
