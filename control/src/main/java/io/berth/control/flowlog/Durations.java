package io.berth.control.flowlog;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** "90s", "10m", "24h", "7d" durations and {@code --since} times (a duration ago, or an ISO-8601 instant). */
public final class Durations
{
    private Durations()
    {
    }

    /** @param what the option, for the message. */
    public static Duration parse(final String text, final String what)
    {
        final String t = text == null ? "" : text.trim();
        if (t.length() >= 2)
        {
            final char unit = t.charAt(t.length() - 1);
            try
            {
                final long n = Long.parseLong(t.substring(0, t.length() - 1));
                if (n >= 0)
                {
                    switch (unit)
                    {
                        case 's': return Duration.ofSeconds(n);
                        case 'm': return Duration.ofMinutes(n);
                        case 'h': return Duration.ofHours(n);
                        case 'd': return Duration.ofDays(n);
                        default: break;
                    }
                }
            }
            catch (final NumberFormatException ignored)
            {
                // said below
            }
        }
        throw new IllegalArgumentException(what + " '" + text + "' is not a duration: give a number and s, m, h or d " +
            "(e.g. 90s, 10m, 24h, 7d)");
    }

    /** {@code --since}: "10m" (ten minutes ago) or "2026-12-02T18:00:00Z"; epoch ms. */
    public static long since(final String text, final long nowMillis)
    {
        try
        {
            return Instant.parse(text.trim()).toEpochMilli();
        }
        catch (final DateTimeParseException notAnInstant)
        {
            try
            {
                return nowMillis - parse(text, "--since").toMillis();
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("--since '" + text + "' is neither a duration (90s, 10m, 24h, 7d) " +
                    "nor a time (2026-12-02T18:00:00Z)");
            }
        }
    }
}
