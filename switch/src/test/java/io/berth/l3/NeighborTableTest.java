package io.berth.l3;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The learned-neighbour table: bounded, aged, and a faithful map under any mix of puts and removes. */
class NeighborTableTest
{
    @Test
    void fullTableRefusesNewAddressesButRefreshesKnownOnes()
    {
        final NeighborTable table = new NeighborTable(3);
        assertTrue(table.put(1, 11, 0));
        assertTrue(table.put(2, 12, 0));
        assertTrue(table.put(3, 13, 0));
        assertFalse(table.put(4, 14, 0), "full");
        assertEquals(1, table.refused());
        assertTrue(table.put(2, 22, 5), "a known address is refreshed even when full");
        assertEquals(22, table.get(2));
        assertEquals(Router.NO_NEIGHBOR, table.get(4));
        assertEquals(3, table.size());
        assertFalse(table.put(0, 1, 0), "0.0.0.0 is never a neighbour");
    }

    @Test
    void agingRemovesStaleEntriesInBoundedSlices()
    {
        final NeighborTable table = new NeighborTable(1000);
        for (int i = 1; i <= 1000; i++)
        {
            table.put(i, i, 0);
        }
        table.put(500, 500, NeighborTable.AGE_MILLIS); // refreshed later: survives
        final long now = NeighborTable.AGE_MILLIS + 1;
        int rounds = 0;
        while (table.size() > 1 && rounds++ < 10_000)
        {
            assertTrue(table.doWork(now) <= 64, "a slice, never a full scan");
        }
        assertEquals(1, table.size());
        assertEquals(500, table.get(500));
        assertEquals(999, table.aged());
    }

    @Test
    void behavesLikeAMapUnderRandomPutsAndRemoves()
    {
        final NeighborTable table = new NeighborTable(256);
        final Map<Integer, Long> model = new HashMap<>();
        final Random random = new Random(7);
        for (int step = 0; step < 200_000; step++)
        {
            final int address = 1 + random.nextInt(600); // collisions and wrap-around galore
            if (random.nextInt(3) == 0)
            {
                table.remove(address);
                model.remove(address);
            }
            else
            {
                final long value = random.nextLong() & 0xFFFF_FFFF_FFFFL;
                final boolean stored = table.put(address, value, step);
                if (model.containsKey(address) || model.size() < 256)
                {
                    assertTrue(stored);
                    model.put(address, value);
                }
                else
                {
                    assertFalse(stored);
                }
            }
            assertEquals(model.size(), table.size());
        }
        for (int address = 1; address <= 600; address++)
        {
            assertEquals(model.getOrDefault(address, Router.NO_NEIGHBOR), table.get(address), "address " + address);
        }
    }

    @Test
    void domainOfFindsEachOfManyNetworksWithOneLookupPerPrefixLength()
    {
        final Router router = new Router();
        for (int i = 0; i < 1000; i++)
        {
            final int subnet = 0x0A00_0000 | (i << 8); // 10.0.i.0/24 (i up to 999 spills into 10.3.x)
            router.addDomain(i, subnet, 24, subnet | 1, 0x0242_0000_0000L | (subnet | 1), false);
        }
        router.addDomain(1000, 0xAC10_0000, 12, 0xAC10_0001, 0x0242_AC10_0001L, false); // 172.16.0.0/12
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(i, router.domainOf(0x0A00_0000 | (i << 8) | 77));
        }
        assertEquals(1000, router.domainOf(0xAC1F_FFFE));
        assertEquals(Router.NONE, router.domainOf(0xC0A8_0001));
        router.removeDomain(500);
        assertEquals(Router.NONE, router.domainOf(0x0A00_0000 | (500 << 8) | 77));
    }
}
