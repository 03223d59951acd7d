package io.berth.conntrack;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * IPv6 addresses as tokens in the connection table's keys (issue 27): a token lives exactly as long as a key names
 * it, through creation, NAT's reply change, removal, flush and refusal, and the table full of tokens refuses
 * rather than reuses one.
 */
class Ipv6TokensTest
{
    private static final long ULA = 0xfd00_0063_0000_0000L;
    private static final long OUTSIDE = 0x2001_0db8_0000_0000L;

    @Test
    void anAddressKeepsItsTokenWhileAKeyNamesItAndLosesItAfter()
    {
        final ConnectionTable table = new ConnectionTable(64, new ConntrackCounters());
        final Ipv6Tokens tokens = new Ipv6Tokens(64);
        table.onKeys(tokens);
        final int container = tokens.intern(ULA, 2);
        final int server = tokens.intern(OUTSIDE, 5);
        assertNotEquals(container, server);
        assertEquals(container, tokens.intern(ULA, 2), "one address, one token");
        final int entry = table.create(Tuples.key1(container, server), Tuples.key2v6(6, 40000, 443), ConnState.SYN_SENT,
            0, Long.MAX_VALUE, 0);
        tokens.dropIfUnused(container);
        tokens.dropIfUnused(server);
        assertEquals(2, tokens.size(), "both named by the new keys");
        // NAT66: the reply now comes to the uplink's address, which takes a token of its own
        final int uplink = tokens.intern(0xfd00_0099_0000_0000L, 1);
        assertEquals(true, table.reply(entry, Tuples.key1(server, uplink), Tuples.key2v6(6, 443, 1024)));
        tokens.dropIfUnused(uplink);
        assertEquals(3, tokens.size());
        assertEquals(ULA, tokens.hi(container));
        assertEquals(2, tokens.lo(container));
        table.remove(entry);
        assertEquals(0, tokens.size(), "a removed connection leaves no token behind");
        assertEquals(Ipv6Tokens.NO_TOKEN, tokens.find(ULA, 2));
    }

    @Test
    void aConnectionNotMadeLeavesNoTokenAndExpiryAndFlushReleaseAll()
    {
        final ConnectionTable table = new ConnectionTable(8, new ConntrackCounters());
        final Ipv6Tokens tokens = new Ipv6Tokens(256);
        table.onKeys(tokens);
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 40; i++) // more than the table holds: the rest are refused
        {
            final int a = tokens.intern(ULA, 2 + random.nextInt(4));
            final int b = tokens.intern(OUTSIDE, 1 + i);
            table.create(Tuples.key1(a, b), Tuples.key2v6(17, 1000 + i, 53), ConnState.UNREPLIED, 0, 100 + i, 0);
            tokens.dropIfUnused(a);
            tokens.dropIfUnused(b);
        }
        assertEquals(8, table.size());
        table.doWork(10_000); // all past their deadlines
        table.doWork(20_000);
        table.clear();
        assertEquals(0, table.size());
        assertEquals(0, tokens.size(), "expiry, refusal and flush leave no token");
    }

    @Test
    void aFullSetOfTokensRefusesNewAddressesAndRecoversAsTheyAreFreed()
    {
        final Ipv6Tokens tokens = new Ipv6Tokens(4);
        final ConnectionTable table = new ConnectionTable(16, new ConntrackCounters());
        table.onKeys(tokens);
        final int a = tokens.intern(ULA, 2);
        final int[] entries = new int[2];
        for (int i = 0; i < 2; i++)
        {
            final int b = tokens.intern(OUTSIDE, 10 + i);
            entries[i] = table.create(Tuples.key1(a, b), Tuples.key2v6(6, 2000 + i, 80), ConnState.SYN_SENT, 0,
                Long.MAX_VALUE, 0);
        }
        tokens.intern(OUTSIDE, 20);
        assertEquals(Ipv6Tokens.NO_TOKEN, tokens.intern(OUTSIDE, 21), "four tokens are all there are");
        tokens.dropIfUnused(tokens.find(OUTSIDE, 20));
        table.remove(entries[0]);
        assertNotEquals(Ipv6Tokens.NO_TOKEN, tokens.intern(OUTSIDE, 21));
        // IPv4 keys never touch the tokens
        table.create(Tuples.key1(0x0a00_0002, 0x0a00_0003), Tuples.key2(6, 1, 2), ConnState.SYN_SENT, 0, Long.MAX_VALUE, 0);
        assertEquals(3, tokens.size());
    }
}
