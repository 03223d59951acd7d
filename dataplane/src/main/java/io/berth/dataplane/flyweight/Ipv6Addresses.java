package io.berth.dataplane.flyweight;

/** IPv6 addresses as two longs (upper and lower 64 bits), and what is derived from a MAC. Constants and functions. */
public final class Ipv6Addresses
{
    /** fe80::/64, the upper half of every link-local address. */
    public static final long LINK_LOCAL_PREFIX = 0xfe80_0000_0000_0000L;

    private Ipv6Addresses()
    {
    }

    /** The interface id a kernel derives from {@code mac} (modified EUI-64, RFC 4291 appendix A: U/L bit flipped, ff:fe inserted). */
    public static long eui64(final long mac)
    {
        final long upper = (mac >>> 24) & 0xFF_FFFF;
        final long lower = mac & 0xFF_FFFF;
        return ((upper ^ 0x02_0000L) << 40) | (0xFF_FEL << 24) | lower;
    }

    /** Whether {@code hi}:{@code lo} is the link-local address a kernel gives the interface with {@code mac}. */
    public static boolean isLinkLocalOf(final long mac, final long hi, final long lo)
    {
        return hi == LINK_LOCAL_PREFIX && lo == eui64(mac);
    }
}
