package io.berth.l2;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacTableTest
{
    private static final long MAC_A = 0x0242_ac11_0002L;
    private static final long MAC_B = 0x0242_ac11_0003L;

    @Test
    void learnsAndLooksUpPerDomain()
    {
        final MacTable table = new MacTable(64, 8, 16, 4);
        assertEquals(MacTable.NO_PORT, table.lookup(0, MAC_A));
        assertEquals(MacTable.NO_PORT, table.learn(0, MAC_A, 3, 100), "new");
        assertEquals(3, table.lookup(0, MAC_A));
        assertEquals(3, table.learn(0, MAC_A, 3, 101), "unchanged: returns the same port");
        assertEquals(1, table.size());
        assertEquals(1, table.macsOnPort(3));
        assertEquals(1, table.macsInDomain(0));

        assertEquals(MacTable.NO_PORT, table.lookup(1, MAC_A), "domains do not share MACs");
        assertEquals(MacTable.NO_PORT, table.learn(1, MAC_A, 5, 100));
        assertEquals(5, table.lookup(1, MAC_A));
        assertEquals(3, table.lookup(0, MAC_A));
        assertEquals(2, table.size());
        assertEquals(MacTable.NO_PORT, table.lookup(0, MAC_B));
        assertEquals(64, table.capacity());
        assertEquals(8, table.maxMacsPerPort());
    }

    @Test
    void keysPackDomainAndMac()
    {
        assertEquals(0x0001_0242_ac11_0002L, MacTable.key(0, MAC_A));
        assertEquals(0x1000_0242_ac11_0002L, MacTable.key(4095, MAC_A));
        assertNotEquals(0, MacTable.key(0, 0), "domain 0, MAC 0 is not the empty key");
        assertEquals(MacTable.key(2, 0xFFFF_FFFF_FFFFL), MacTable.key(2, -1L), "only 48 bits of the MAC count");
    }

    @Test
    void aMacThatShowsUpOnAnotherPortMoves()
    {
        final MacTable table = new MacTable(64, 8, 16, 4);
        table.learn(0, MAC_A, 1, 100);
        final long generation = table.generation();
        assertEquals(1, table.learn(0, MAC_A, 2, 101), "returns where it was");
        assertEquals(2, table.lookup(0, MAC_A));
        assertEquals(0, table.macsOnPort(1));
        assertEquals(1, table.macsOnPort(2));
        assertEquals(1, table.size());
        assertTrue(table.generation() > generation, "lookup caches must forget the old port");
    }

    @Test
    void perPortLimitRefusesNewMacsAndMovesIntoAFullPort()
    {
        final MacTable table = new MacTable(64, 2, 16, 4);
        assertEquals(MacTable.NO_PORT, table.learn(0, 1, 1, 0));
        assertEquals(MacTable.NO_PORT, table.learn(0, 2, 1, 0));
        assertEquals(MacTable.LEARN_LIMITED, table.learn(0, 3, 1, 0));
        assertEquals(MacTable.NO_PORT, table.lookup(0, 3));
        assertEquals(2, table.macsOnPort(1));
        assertEquals(1, table.learn(0, 1, 1, 5), "known MACs refresh as usual");
        assertEquals(MacTable.LEARN_LIMITED, table.learn(1, 3, 1, 0), "the limit is per port, across domains");

        assertEquals(MacTable.NO_PORT, table.learn(0, 9, 2, 0));
        assertEquals(MacTable.LEARN_LIMITED, table.learn(0, 9, 1, 0), "no move into a full port");
        assertEquals(2, table.lookup(0, 9));
        assertEquals(1, table.macsOnPort(2));
        assertEquals(2, table.macsOnPort(1));
    }

    @Test
    void aFullTableRefusesNewMacsButKeepsServingKnownOnes()
    {
        final MacTable table = new MacTable(16, 100, 16, 4);
        for (int i = 0; i < 8; i++)
        {
            assertEquals(MacTable.NO_PORT, table.learn(0, 0x0242_ac11_0000L + i, i % 4, 0));
        }
        assertEquals(8, table.size(), "half the slots");
        assertEquals(MacTable.LEARN_FULL, table.learn(0, 0x0242_ac11_00FFL, 0, 0));
        assertEquals(MacTable.LEARN_FULL, table.learn(1, 0x0242_ac11_0000L, 0, 0));
        for (int i = 0; i < 8; i++)
        {
            assertEquals(i % 4, table.lookup(0, 0x0242_ac11_0000L + i));
            assertEquals(i % 4, table.learn(0, 0x0242_ac11_0000L + i, i % 4, 1));
        }
        assertEquals(0, table.learn(0, 0x0242_ac11_0000L, 3, 1), "moves still work when full");
        assertEquals(MacTable.NO_PORT, table.lookup(0, 0x0242_ac11_00FFL));
    }

    @Test
    void capacityMustBeAPowerOfTwo()
    {
        assertThrows(IllegalArgumentException.class, () -> new MacTable(100, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(8, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(0, 1, 1, 1));
    }

    @Test
    void removePortAndRemoveDomainForgetExactlyTheirMacs()
    {
        final MacTable table = new MacTable(256, 100, 16, 4);
        for (int i = 0; i < 100; i++)
        {
            table.learn(i % 3, 0x0242_ac11_0000L + i, i % 5, 0);
        }
        assertEquals(100, table.size());
        assertEquals(20, table.removePort(2));
        assertEquals(0, table.macsOnPort(2));
        assertEquals(80, table.size());
        for (int i = 0; i < 100; i++)
        {
            assertEquals(i % 5 == 2 ? MacTable.NO_PORT : i % 5, table.lookup(i % 3, 0x0242_ac11_0000L + i), "mac " + i);
        }
        final int inDomain1 = table.macsInDomain(1);
        assertEquals(inDomain1, table.removeDomain(1));
        assertEquals(0, table.macsInDomain(1));
        assertEquals(80 - inDomain1, table.size());
        for (int i = 0; i < 100; i++)
        {
            final boolean gone = i % 5 == 2 || i % 3 == 1;
            assertEquals(gone ? MacTable.NO_PORT : i % 5, table.lookup(i % 3, 0x0242_ac11_0000L + i), "mac " + i);
        }
        assertEquals(0, table.removePort(2));
        table.clear();
        assertEquals(0, table.size());
        assertEquals(MacTable.NO_PORT, table.lookup(0, 0x0242_ac11_0000L));
    }

    @Test
    void agingRemovesOnlyStaleEntries()
    {
        final MacTable table = new MacTable(64, 100, 16, 4);
        table.learn(0, MAC_A, 1, 100);
        table.learn(0, MAC_B, 2, 110);
        table.learn(1, MAC_A, 3, 105);
        // now 115, max age 10: MAC_A/0 (age 15) goes, MAC_A/1 (age 10, not more than 10) and MAC_B stay
        assertEquals(64, table.age(115, 10, 64));
        assertEquals(MacTable.NO_PORT, table.lookup(0, MAC_A));
        assertEquals(3, table.lookup(1, MAC_A));
        assertEquals(2, table.lookup(0, MAC_B));
        assertEquals(2, table.size());
        assertEquals(0, table.macsOnPort(1));

        table.learn(1, MAC_A, 3, 116); // seen again: refreshed
        table.age(121, 10, 200);
        assertEquals(3, table.lookup(1, MAC_A));
        assertEquals(MacTable.NO_PORT, table.lookup(0, MAC_B));
    }

    @Test
    void agingWorksInBoundedSlices()
    {
        final MacTable table = new MacTable(1024, 1000, 16, 4);
        for (int i = 0; i < 400; i++)
        {
            table.learn(0, 0x0242_ac11_0000L + i, i % 16, i < 200 ? 0 : 1000);
        }
        assertEquals(400, table.size());
        assertEquals(128, table.age(1000, 300, 128), "never more than the budget");
        final int afterOneSlice = table.size();
        assertTrue(afterOneSlice < 400 && afterOneSlice > 200, "one slice removes some stale entries, not all: " + afterOneSlice);
        int slices = 1;
        while (table.size() > 200 && slices < 100)
        {
            table.age(1000, 300, 128);
            slices++;
        }
        assertEquals(200, table.size());
        assertTrue(slices <= 1024 / 128 + 2, "a sweep takes about capacity / budget slices: " + slices);
        for (int i = 0; i < 400; i++)
        {
            assertEquals(i < 200 ? MacTable.NO_PORT : i % 16, table.lookup(0, 0x0242_ac11_0000L + i));
        }
    }

    /**
     * Random learns, moves, refusals, removals and aging against a HashMap model, on a small, half-full table
     * where probe runs collide and wrap: checks backward-shift deletion never loses or strands an entry.
     */
    @Test
    void behavesLikeAMapUnderRandomOperations()
    {
        final int capacity = 128;
        final int perPort = 6;
        final int portCount = 16;
        final int domainCount = 4;
        final int maxAge = 20;
        final MacTable table = new MacTable(capacity, perPort, portCount, domainCount);
        final Map<Long, int[]> model = new HashMap<>(); // key -> {port, lastSeen}
        final Random random = new Random(20240601L);
        int now = 1000;
        for (int step = 0; step < 200_000; step++)
        {
            if (random.nextInt(50) == 0)
            {
                now += random.nextInt(4);
            }
            final int op = random.nextInt(1000);
            if (op < 700)
            {
                final int domain = random.nextInt(domainCount);
                final long mac = 0x0242_ac11_0000L | random.nextInt(96);
                final int port = random.nextInt(portCount);
                final long key = MacTable.key(domain, mac);
                final int[] entry = model.get(key);
                final int expected;
                if (entry != null)
                {
                    entry[1] = now;
                    if (entry[0] == port)
                    {
                        expected = port;
                    }
                    else if (onPort(model, port) >= perPort)
                    {
                        expected = MacTable.LEARN_LIMITED;
                    }
                    else
                    {
                        expected = entry[0];
                        entry[0] = port;
                    }
                }
                else if (onPort(model, port) >= perPort)
                {
                    expected = MacTable.LEARN_LIMITED;
                }
                else if (model.size() >= capacity / 2)
                {
                    expected = MacTable.LEARN_FULL;
                }
                else
                {
                    expected = MacTable.NO_PORT;
                    model.put(key, new int[] {port, now});
                }
                assertEquals(expected, table.learn(domain, mac, port, now), "step " + step);
            }
            else if (op < 900)
            {
                final int domain = random.nextInt(domainCount);
                final long mac = 0x0242_ac11_0000L | random.nextInt(96);
                final int[] entry = model.get(MacTable.key(domain, mac));
                assertEquals(entry == null ? MacTable.NO_PORT : entry[0], table.lookup(domain, mac), "step " + step);
            }
            else if (op < 990)
            {
                table.age(now, maxAge, 1 + random.nextInt(32));
                // entries the slice reached are gone if stale; nothing fresh may go
                for (final Iterator<Map.Entry<Long, int[]>> it = model.entrySet().iterator(); it.hasNext(); )
                {
                    final Map.Entry<Long, int[]> e = it.next();
                    final int domain = (int)(e.getKey() >>> 48) - 1;
                    final int found = table.lookup(domain, e.getKey() & 0xFFFF_FFFF_FFFFL);
                    if (now - e.getValue()[1] > maxAge)
                    {
                        if (found == MacTable.NO_PORT)
                        {
                            it.remove();
                        }
                        else
                        {
                            assertEquals(e.getValue()[0], found, "step " + step);
                        }
                    }
                    else
                    {
                        assertEquals(e.getValue()[0], found, "step " + step + ": a fresh entry was lost");
                    }
                }
            }
            else if (op < 995)
            {
                final int port = random.nextInt(portCount);
                final int expected = onPort(model, port);
                model.values().removeIf(v -> v[0] == port);
                assertEquals(expected, table.removePort(port), "step " + step);
            }
            else
            {
                final int domain = random.nextInt(domainCount);
                final int expected = (int)model.keySet().stream().filter(k -> (int)(k >>> 48) - 1 == domain).count();
                model.keySet().removeIf(k -> (int)(k >>> 48) - 1 == domain);
                assertEquals(expected, table.removeDomain(domain), "step " + step);
            }
            if (step % 97 == 0)
            {
                assertConsistent(table, model, portCount, domainCount, step);
            }
        }
        assertConsistent(table, model, portCount, domainCount, -1);
    }

    private static int onPort(final Map<Long, int[]> model, final int port)
    {
        int n = 0;
        for (final int[] v : model.values())
        {
            if (v[0] == port)
            {
                n++;
            }
        }
        return n;
    }

    private static void assertConsistent(final MacTable table, final Map<Long, int[]> model, final int portCount,
        final int domainCount, final int step)
    {
        assertEquals(model.size(), table.size(), "step " + step);
        for (final Map.Entry<Long, int[]> e : model.entrySet())
        {
            final int domain = (int)(e.getKey() >>> 48) - 1;
            assertEquals(e.getValue()[0], table.lookup(domain, e.getKey() & 0xFFFF_FFFF_FFFFL), "step " + step);
        }
        for (int port = 0; port < portCount; port++)
        {
            assertEquals(onPort(model, port), table.macsOnPort(port), "step " + step + " port " + port);
        }
        for (int domain = 0; domain < domainCount; domain++)
        {
            final int d = domain;
            assertEquals(model.keySet().stream().filter(k -> (int)(k >>> 48) - 1 == d).count(), table.macsInDomain(domain),
                "step " + step + " domain " + domain);
        }
    }
}
