package io.berth.vxlan.wireguard;

/**
 * The receive counters of one keypair (RFC 6479's sliding bitmap, 2048 counters behind the highest): a counter
 * seen before, or too far behind, is refused. {@link #mayAccept} before the tag is checked (cheap refusal of
 * obvious replays), {@link #accept} after it. Worker thread; allocation-free.
 */
final class ReplayWindow
{
    static final int WINDOW = 2048;
    private static final int WORDS = WINDOW / 64;
    private final long[] bits = new long[WORDS];
    private long highest = -1;

    boolean mayAccept(final long counter)
    {
        if (counter < 0 || counter >= Protocol.REJECT_AFTER_MESSAGES)
        {
            return false;
        }
        if (counter > highest)
        {
            return true;
        }
        if (highest - counter >= WINDOW - 64)
        {
            return false;
        }
        return (bits[(int)((counter >>> 6) % WORDS)] & (1L << (counter & 63))) == 0;
    }

    /** Marks {@code counter} seen; false if it was (or is now out of the window). */
    boolean accept(final long counter)
    {
        if (!mayAccept(counter))
        {
            return false;
        }
        if (counter > highest)
        {
            final long fromWord = highest < 0 ? -1 : highest >>> 6;
            final long toWord = counter >>> 6;
            final long clear = Math.min(toWord - fromWord, WORDS);
            for (long w = 1; w <= clear; w++)
            {
                bits[(int)((fromWord + w) % WORDS)] = 0;
            }
            highest = counter;
        }
        bits[(int)((counter >>> 6) % WORDS)] |= 1L << (counter & 63);
        return true;
    }
}
