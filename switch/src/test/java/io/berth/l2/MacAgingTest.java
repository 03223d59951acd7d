package io.berth.l2;

import io.berth.dataplane.PortTable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacAgingTest
{
    private final L2Switch l2 = new L2Switch(new PortTable(), 1024, 1000, 300);
    private final MacAging aging = new MacAging(l2);

    private void learn(final int count, final long base, final int atSecond)
    {
        for (int i = 0; i < count; i++)
        {
            l2.macs().learn(0, base + i, i % 8, atSecond);
        }
    }

    @Test
    void sweepsTheTableASliceAtATimeThenRestsForASecond()
    {
        learn(300, 0x0242_ac11_0000L, 0);
        final long now = 1_000_000L; // second 1000: everything is stale
        assertEquals(0, aging.doWork(now), "aging never counts as work");
        final int afterOne = l2.macs().size();
        assertTrue(afterOne > 0 && afterOne < 300, "one slice of 256 of 1024 slots: " + afterOne);
        for (int i = 0; i < 20; i++)
        {
            aging.doWork(now); // a round is 1024 slot visits (a removal re-visits its slot), then it rests
        }
        final int afterRound = l2.macs().size();
        for (int i = 0; i < 20; i++)
        {
            aging.doWork(now + 999);
        }
        assertEquals(afterRound, l2.macs().size(), "resting until a second has passed");
        for (int i = 0; i < 20; i++)
        {
            aging.doWork(now + 1000);
        }
        assertEquals(0, l2.macs().size(), "the next round finishes what the first one did not reach");

        learn(50, 0x0242_ac12_0000L, 0);
        for (int i = 0; i < 20; i++)
        {
            aging.doWork(now + 1999);
        }
        assertEquals(50, l2.macs().size());
        for (int i = 0; i < 20; i++)
        {
            aging.doWork(now + 2000);
        }
        for (int i = 0; i < 20; i++)
        {
            aging.doWork(now + 3000); // a round that removes R entries visits only capacity - R slots
        }
        assertEquals(0, l2.macs().size());
    }

    @Test
    void anIdleWorkerStillSweepsTheWholeTableInAboutASecond()
    {
        final L2Switch big = new L2Switch(new PortTable(), 65536, 100_000, 300);
        final MacAging idle = new MacAging(big);
        for (int i = 0; i < 1000; i++)
        {
            big.macs().learn(0, 0x0242_ac20_0000L + i * 977L, i % 8, 0);
        }
        long now = 1_000_000L;
        idle.doWork(now);
        // an idle worker: a duty cycle every 100 ms
        for (int i = 0; i < 11; i++)
        {
            now += 100;
            idle.doWork(now);
        }
        assertEquals(0, big.macs().size(), "within ~1.1 s of idle cycles, not the 25 s of 256-slot slices");
    }

    @Test
    void freshEntriesSurvive()
    {
        learn(100, 0x0242_ac11_0000L, 701);   // 300 s old at second 1001: not more than the age
        learn(100, 0x0242_ac13_0000L, 699);   // 301 s old at second 1000: gone
        for (int i = 0; i < 8; i++)
        {
            aging.doWork(1_000_000L);
        }
        for (int i = 0; i < 8; i++)
        {
            aging.doWork(1_001_000L);
        }
        assertEquals(100, l2.macs().size());
        assertEquals(MacTable.NO_PORT, l2.macs().lookup(0, 0x0242_ac13_0000L));
        assertEquals(0, l2.macs().lookup(0, 0x0242_ac11_0000L));
    }
}
