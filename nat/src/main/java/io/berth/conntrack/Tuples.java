package io.berth.conntrack;

import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;

/**
 * A 5-tuple packed into two {@code long}s, so a lookup compares two words and hashes without objects.
 * <pre>
 *  key1:  63              32 31               0
 *        +------------------+------------------+
 *        |  source address  |  dest address    |
 *        +------------------+------------------+
 *  key2:  63      40 39    32 31      16 15     0
 *        +----------+--------+----------+--------+
 *        | 0 (zone) | proto  |  sport   | dport  |
 *        +----------+--------+----------+--------+
 * </pre>
 * For ICMP echo both "ports" hold the identifier, so inverting a tuple (swap addresses, swap ports) maps a
 * request's tuple onto its reply's, exactly as for TCP and UDP. Bit 40 of key2 says IPv6 ({@link #key2v6}): key1
 * then holds the two addresses' {@link Ipv6Tokens tokens}, and ICMPv6 echo's identifier is its ports. Bits 41..63
 * are zero; they are room for a zone (network id) should overlapping container subnets ever be allowed. Stateless.
 */
public final class Tuples
{
    private Tuples()
    {
    }

    public static long key1(final int source, final int destination)
    {
        return ((long)source << 32) | (destination & 0xFFFF_FFFFL);
    }

    public static long key2(final int protocol, final int sourcePort, final int destinationPort)
    {
        return ((long)(protocol & 0xFF) << 32) | ((long)(sourcePort & 0xFFFF) << 16) | (destinationPort & 0xFFFF);
    }

    /** The IPv6 family bit of key2. */
    public static final long IPV6 = 1L << 40;

    /** key2 of an IPv6 tuple, whose key1 holds {@link Ipv6Tokens} tokens instead of IPv4 addresses. */
    public static long key2v6(final int protocol, final int sourcePort, final int destinationPort)
    {
        return IPV6 | key2(protocol, sourcePort, destinationPort);
    }

    public static boolean isIpv6(final long key2)
    {
        return (key2 & IPV6) != 0;
    }

    public static int source(final long key1)
    {
        return (int)(key1 >>> 32);
    }

    public static int destination(final long key1)
    {
        return (int)key1;
    }

    public static int protocol(final long key2)
    {
        return (int)(key2 >>> 32) & 0xFF;
    }

    public static int sourcePort(final long key2)
    {
        return (int)(key2 >>> 16) & 0xFFFF;
    }

    public static int destinationPort(final long key2)
    {
        return (int)key2 & 0xFFFF;
    }

    /** The same connection seen from the other end: addresses swapped. */
    public static long invert1(final long key1)
    {
        return (key1 << 32) | (key1 >>> 32);
    }

    /** The same connection seen from the other end: ports swapped, protocol kept. */
    public static long invert2(final long key2)
    {
        return (key2 & ~0xFFFF_FFFFL) | ((key2 & 0xFFFF) << 16) | ((key2 >>> 16) & 0xFFFF);
    }

    /** "proto src:sport -> dst:dport", for logs and `berth conntrack ls`. Allocates: control plane only. */
    public static String format(final long key1, final long key2)
    {
        return protocolName(protocol(key2)) + ' '
            + Ipv4Flyweight.format(source(key1)) + ':' + sourcePort(key2) + " -> "
            + Ipv4Flyweight.format(destination(key1)) + ':' + destinationPort(key2);
    }

    /** {@link #format(long, long)}, IPv6 tuples with their addresses from {@code tokens} ("[addr]:port"). */
    public static String format(final long key1, final long key2, final Ipv6Tokens tokens)
    {
        if (!isIpv6(key2) || tokens == null)
        {
            return format(key1, key2);
        }
        return protocolName(protocol(key2)) + " [" + address(tokens, source(key1)) + "]:" + sourcePort(key2) + " -> ["
            + address(tokens, destination(key1)) + "]:" + destinationPort(key2);
    }

    /** The address a token of a live key stands for. Allocates: control plane only. */
    public static String address(final Ipv6Tokens tokens, final int token)
    {
        return Ipv6Header.format(tokens.hi(token), tokens.lo(token));
    }

    public static String protocolName(final int protocol)
    {
        switch (protocol)
        {
            case Ipv4Flyweight.PROTO_TCP:
                return "tcp";
            case Ipv4Flyweight.PROTO_UDP:
                return "udp";
            case Ipv4Flyweight.PROTO_ICMP:
                return "icmp";
            case Ipv6Header.PROTO_ICMPV6:
                return "icmpv6";
            default:
                return Integer.toString(protocol);
        }
    }
}
