package io.berth.conntrack;

import io.berth.dataplane.flyweight.Ipv4Flyweight;

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
 * request's tuple onto its reply's, exactly as for TCP and UDP. Bits 40..63 of key2 are zero; they are room
 * for a zone (network id) should overlapping container subnets ever be allowed. Stateless.
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
            default:
                return Integer.toString(protocol);
        }
    }
}
