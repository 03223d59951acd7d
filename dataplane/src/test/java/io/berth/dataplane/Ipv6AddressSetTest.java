package io.berth.dataplane;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IPv6 address set behind conntrack's tokens and the uplink's neighbours, against a plain map. */
class Ipv6AddressSetTest
{
    @Test
    void placesAreKeptUntilRemovedAndAFullSetRefuses()
    {
        final Ipv6AddressSet set = new Ipv6AddressSet(2);
        final int a = set.add(0xfd00_0000_0000_0000L, 1);
        final int b = set.add(0xfd00_0000_0000_0000L, 2);
        assertEquals(a, set.add(0xfd00_0000_0000_0000L, 1), "one address, one place");
        assertEquals(Ipv6AddressSet.NONE, set.add(0xfd00_0000_0000_0000L, 3), "full");
        set.remove(a);
        set.remove(a); // twice: nothing more happens
        assertEquals(1, set.size());
        assertFalse(set.isLive(a));
        assertEquals(b, set.find(0xfd00_0000_0000_0000L, 2));
        assertEquals(a, set.add(0x2001_0db8_0000_0000L, 9), "the freed place is given again");
        assertEquals(0x2001_0db8_0000_0000L, set.hi(a));
        assertEquals(9, set.lo(a));
    }

    @Test
    void randomAddsAndRemovesAgreeWithAMap()
    {
        final Ipv6AddressSet set = new Ipv6AddressSet(512);
        final Map<Long, Integer> model = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(27);
        for (int step = 0; step < 200_000; step++)
        {
            final long lo = random.nextInt(2000); // few distinct addresses: long probe runs, many removals
            if (random.nextBoolean())
            {
                final int place = set.add(0xfd00_0000_0000_0000L, lo);
                if (model.containsKey(lo))
                {
                    assertEquals((int)model.get(lo), place);
                }
                else if (model.size() < 512)
                {
                    assertTrue(place >= 0);
                    model.put(lo, place);
                }
                else
                {
                    assertEquals(Ipv6AddressSet.NONE, place);
                }
            }
            else if (model.containsKey(lo))
            {
                set.remove(model.remove(lo));
            }
            if (step % 1000 == 0)
            {
                final List<Long> keys = new ArrayList<>(model.keySet());
                for (final long key : keys)
                {
                    assertEquals((int)model.get(key), set.find(0xfd00_0000_0000_0000L, key));
                }
                assertEquals(model.size(), set.size());
            }
        }
    }
}
