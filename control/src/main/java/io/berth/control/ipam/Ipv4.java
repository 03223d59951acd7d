package io.berth.control.ipam;

import io.berth.control.error.BerthException;

/** IPv4 addresses as ints (network byte order read as a big-endian int: 172.17.0.1 = 0xAC110001). Stateless. */
public final class Ipv4
{
    private Ipv4()
    {
    }

    /**
     * Parses a dotted quad strictly: four decimal octets 0..255, nothing else (no leading zeros beyond "0", no
     * spaces), so a typo is reported rather than silently read as something else.
     */
    public static int parse(final String text, final String what)
    {
        if (text == null || text.isEmpty())
        {
            throw new BerthException(what + " is empty; expected an IPv4 address like 192.168.100.2");
        }
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            throw invalid(text, what);
        }
        int value = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0'))
            {
                throw invalid(text, what);
            }
            int octet = 0;
            for (int i = 0; i < part.length(); i++)
            {
                final char c = part.charAt(i);
                if (c < '0' || c > '9')
                {
                    throw invalid(text, what);
                }
                octet = octet * 10 + (c - '0');
            }
            if (octet > 255)
            {
                throw invalid(text, what);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(final int ip)
    {
        return ((ip >>> 24) & 0xFF) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    /** Docker's MAC for an address: 02:42 followed by the four address bytes (locally administered, unicast). */
    public static long macFor(final int ip)
    {
        return 0x0242_0000_0000L | (ip & 0xFFFF_FFFFL);
    }

    public static String formatMac(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            if (text.length() > 0)
            {
                text.append(':');
            }
            final int octet = (int)((mac >>> shift) & 0xFF);
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
        }
        return text.toString();
    }

    private static BerthException invalid(final String text, final String what)
    {
        return new BerthException("invalid " + what + " \"" + text + "\": expected an IPv4 address like 192.168.100.2");
    }
}
