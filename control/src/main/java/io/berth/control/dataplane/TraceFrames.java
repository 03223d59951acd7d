package io.berth.control.dataplane;

import io.berth.control.ipam.Ipv6Cidr;
import java.nio.ByteBuffer;
import io.berth.conntrack.Tuples;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The synthetic packets of berth trace, built as a container's kernel would send them: a TCP SYN, a small UDP
 * datagram or an ICMP echo request, with valid IPv4 and L4 checksums, DF set and TTL 64. Also reads back the
 * few header fields a trace report shows. Stateless.
 * <pre>
 *  0      6      12   14            34               54
 *  | dst  | src  |type| IPv4 (20)   | TCP (20) / UDP (8) + payload / ICMP echo (8) + payload |
 * </pre>
 */
public final class TraceFrames
{
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;
    private static final byte[] PAYLOAD = "berth trace".getBytes(StandardCharsets.US_ASCII);

    private TraceFrames()
    {
    }

    /** @param sourcePort the TCP/UDP source port, or the ICMP echo identifier. */
    public static byte[] build(final long dstMac, final long srcMac, final int protocol, final int source,
        final int destination, final int sourcePort, final int destinationPort)
    {
        final int l4Length = switch (protocol)
        {
            case TCP -> 20;
            case UDP -> 8 + PAYLOAD.length;
            default -> 8 + PAYLOAD.length;
        };
        final ByteBuffer f = ByteBuffer.allocate(14 + 20 + l4Length);
        putMac(f, dstMac);
        putMac(f, srcMac);
        f.putShort((short)0x0800);
        f.put((byte)0x45).put((byte)0).putShort((short)(20 + l4Length)).putShort((short)0x4242)
            .putShort((short)0x4000).put((byte)64).put((byte)protocol).putShort((short)0).putInt(source)
            .putInt(destination);
        f.putShort(24, (short)checksum(f.array(), 14, 20, 0));
        final int l4 = 34;
        switch (protocol)
        {
            case TCP -> f.putShort((short)sourcePort).putShort((short)destinationPort).putInt(0x1000_0000).putInt(0)
                .put((byte)0x50).put((byte)0x02).putShort((short)64240).putShort((short)0).putShort((short)0);
            case UDP -> f.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)l4Length)
                .putShort((short)0).put(PAYLOAD);
            default -> f.put((byte)8).put((byte)0).putShort((short)0).putShort((short)sourcePort).putShort((short)1)
                .put(PAYLOAD);
        }
        if (protocol == ICMP)
        {
            f.putShort(l4 + 2, (short)checksum(f.array(), l4, l4Length, 0));
        }
        else
        {
            final long pseudo = (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF)
                + protocol + l4Length;
            f.putShort(l4 + (protocol == TCP ? 16 : 6), (short)checksum(f.array(), l4, l4Length, pseudo));
        }
        return f.array();
    }

    /**
     * The IPv6 twin of {@link #build} (issue 27): hop limit 64, a TCP SYN, a small UDP datagram or an ICMPv6 echo
     * request, the upper layer's checksum over the IPv6 pseudo-header.
     */
    public static byte[] build6(final long dstMac, final long srcMac, final int protocol, final long[] source,
        final long[] destination, final int sourcePort, final int destinationPort)
    {
        final int l4Length = protocol == TCP ? 20 : 8 + PAYLOAD.length;
        final int next = protocol == ICMP ? ICMPV6 : protocol;
        final ByteBuffer f = ByteBuffer.allocate(14 + 40 + l4Length);
        putMac(f, dstMac);
        putMac(f, srcMac);
        f.putShort((short)0x86DD);
        f.putInt(0x6000_0000).putShort((short)l4Length).put((byte)next).put((byte)64)
            .putLong(source[0]).putLong(source[1]).putLong(destination[0]).putLong(destination[1]);
        final int l4 = 54;
        switch (protocol)
        {
            case TCP -> f.putShort((short)sourcePort).putShort((short)destinationPort).putInt(0x1000_0000).putInt(0)
                .put((byte)0x50).put((byte)0x02).putShort((short)64240).putShort((short)0).putShort((short)0);
            case UDP -> f.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)l4Length)
                .putShort((short)0).put(PAYLOAD);
            default -> f.put((byte)128).put((byte)0).putShort((short)0).putShort((short)sourcePort).putShort((short)1)
                .put(PAYLOAD);
        }
        long pseudo = l4Length + next;
        for (int i = 22; i < 54; i += 2)
        {
            pseudo += u16(f.array(), i);
        }
        f.putShort(l4 + (protocol == TCP ? 16 : protocol == UDP ? 6 : 2), (short)checksum(f.array(), l4, l4Length, pseudo));
        return f.array();
    }

    static final int ICMPV6 = 58;

    private static void putMac(final ByteBuffer f, final long mac)
    {
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            f.put((byte)(mac >>> shift));
        }
    }

    static int checksum(final byte[] b, final int offset, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int hi = b[offset + i] & 0xFF;
            final int lo = i + 1 < length ? b[offset + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        final int result = (int)(~sum & 0xFFFF);
        return result;
    }

    /** A source port (or echo identifier) from the kernel's default ephemeral range, for a synthetic packet. */
    public static int ephemeralPort()
    {
        return 32768 + ThreadLocalRandom.current().nextInt(28000);
    }

    /** The conntrack keys ({@code Tuples}) of a frame {@link #build} made: what its connection is found by. */
    static long[] conntrackKeys(final byte[] f)
    {
        final int protocol = f[23] & 0xFF;
        final int l4 = 14 + (f[14] & 0x0F) * 4;
        final int sourcePort = protocol == ICMP ? u16(f, l4 + 4) : u16(f, l4);
        final int destinationPort = protocol == ICMP ? sourcePort : u16(f, l4 + 2);
        final ByteBuffer b = ByteBuffer.wrap(f);
        return new long[] {Tuples.key1(b.getInt(26), b.getInt(30)),
            Tuples.key2(protocol, sourcePort, destinationPort)};
    }

    // ------------------------------------------------------------------ reading back

    /** The frame's IPv4 5-tuple and TCP flags in a line ("tcp 172.17.0.2:40000 > 10.0.0.2:80 [S]"), or what it is. */
    public static String describe(final byte[] f)
    {
        if (f == null || f.length < 14)
        {
            return "?";
        }
        final int type = u16(f, 12);
        if (type == 0x0806)
        {
            return "ARP " + (f.length >= 42 ? (u16(f, 20) == 1 ? "who-has " + ip(f, 38) + " tell " + ip(f, 28)
                : "reply " + ip(f, 28) + " is-at " + mac(f, 22)) : "");
        }
        if (type == 0x86DD && f.length >= 54)
        {
            return describe6(f);
        }
        if (type != 0x0800 || f.length < 34)
        {
            return "ethertype 0x" + Integer.toHexString(type);
        }
        final int protocol = f[23] & 0xFF;
        final int l4 = 14 + (f[14] & 0x0F) * 4;
        final StringBuilder b = new StringBuilder();
        if ((protocol == TCP || protocol == UDP) && f.length >= l4 + 4)
        {
            b.append(protocol == TCP ? "tcp " : "udp ").append(ip(f, 26)).append(':').append(u16(f, l4)).append(" > ")
                .append(ip(f, 30)).append(':').append(u16(f, l4 + 2));
            if (protocol == TCP && f.length >= l4 + 14)
            {
                b.append(" [").append(tcpFlags(f[l4 + 13] & 0xFF)).append(']');
            }
        }
        else if (protocol == ICMP && f.length >= l4 + 8)
        {
            final int icmpType = f[l4] & 0xFF;
            b.append("icmp ").append(ip(f, 26)).append(" > ").append(ip(f, 30)).append(' ').append(switch (icmpType)
            {
                case 8 -> "echo request id " + u16(f, l4 + 4);
                case 0 -> "echo reply id " + u16(f, l4 + 4);
                case 3 -> "destination unreachable (code " + (f[l4 + 1] & 0xFF) + ")";
                case 11 -> "time exceeded";
                default -> "type " + icmpType;
            });
        }
        else
        {
            b.append("proto ").append(protocol).append(' ').append(ip(f, 26)).append(" > ").append(ip(f, 30));
        }
        return b.toString();
    }

    /** An IPv6 frame's line: "tcp [fd00:1::2]:40000 > [2001:db8::5]:80 [S]", "icmp6 ... echo request id N". */
    private static String describe6(final byte[] f)
    {
        final int next = f[20] & 0xFF;
        final String source = ip6(f, 22);
        final String destination = ip6(f, 38);
        if ((next == TCP || next == UDP) && f.length >= 58)
        {
            final String line = (next == TCP ? "tcp [" : "udp [") + source + "]:" + u16(f, 54) + " > [" + destination
                + "]:" + u16(f, 56);
            return next == TCP && f.length >= 68 ? line + " [" + tcpFlags(f[67] & 0xFF) + "]" : line;
        }
        if (next == ICMPV6 && f.length >= 62)
        {
            final int icmpType = f[54] & 0xFF;
            return "icmp6 " + source + " > " + destination + " " + switch (icmpType)
            {
                case 128 -> "echo request id " + u16(f, 58);
                case 129 -> "echo reply id " + u16(f, 58);
                case 1 -> "destination unreachable (code " + (f[55] & 0xFF) + ")";
                case 2 -> "packet too big (mtu " + (((f[58] & 0xFF) << 24) | ((f[59] & 0xFF) << 16) | u16(f, 60)) + ")";
                case 3 -> "time exceeded";
                case 135 -> "neighbor solicitation";
                case 136 -> "neighbor advertisement";
                default -> "type " + icmpType;
            };
        }
        return "ipv6 next header " + next + " " + source + " > " + destination;
    }

    private static String ip6(final byte[] f, final int at)
    {
        final ByteBuffer b = ByteBuffer.wrap(f, at, 16);
        return Ipv6Cidr.format(b.getLong(), b.getLong());
    }

    /** Source and destination address and port (or ICMP id) of an IPv4 frame, for before/after comparisons. */
    static String tuple(final byte[] f)
    {
        if (f != null && f.length >= 58 && u16(f, 12) == 0x86DD)
        {
            final int next = f[20] & 0xFF;
            return next == TCP || next == UDP ? "[" + ip6(f, 22) + "]:" + u16(f, 54) + " > [" + ip6(f, 38) + "]:"
                + u16(f, 56) : ip6(f, 22) + " > " + ip6(f, 38);
        }
        if (f == null || f.length < 34 || u16(f, 12) != 0x0800)
        {
            return null;
        }
        final int protocol = f[23] & 0xFF;
        final int l4 = 14 + (f[14] & 0x0F) * 4;
        if ((protocol == TCP || protocol == UDP) && f.length >= l4 + 4)
        {
            return ip(f, 26) + ":" + u16(f, l4) + " > " + ip(f, 30) + ":" + u16(f, l4 + 2);
        }
        return ip(f, 26) + " > " + ip(f, 30);
    }

    /** The IPv4 source address of a frame, or "" when it is not IPv4. */
    static String sourceIp(final byte[] f)
    {
        if (f != null && f.length >= 54 && u16(f, 12) == 0x86DD)
        {
            return ip6(f, 22);
        }
        return f == null || f.length < 34 || u16(f, 12) != 0x0800 ? "" : ip(f, 26);
    }

    static String destinationMac(final byte[] f)
    {
        return f == null || f.length < 6 ? "?" : mac(f, 0);
    }

    static String sourceMac(final byte[] f)
    {
        return f == null || f.length < 12 ? "?" : mac(f, 6);
    }

    private static String tcpFlags(final int flags)
    {
        final StringBuilder b = new StringBuilder();
        final String names = "FSRPAU";
        for (int i = 0; i < names.length(); i++)
        {
            if ((flags & (1 << i)) != 0)
            {
                b.append(names.charAt(i));
            }
        }
        return b.toString();
    }

    private static int u16(final byte[] f, final int at)
    {
        return ((f[at] & 0xFF) << 8) | (f[at + 1] & 0xFF);
    }

    private static String ip(final byte[] f, final int at)
    {
        return (f[at] & 0xFF) + "." + (f[at + 1] & 0xFF) + "." + (f[at + 2] & 0xFF) + "." + (f[at + 3] & 0xFF);
    }

    private static String mac(final byte[] f, final int at)
    {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < 6; i++)
        {
            b.append(i == 0 ? "" : ":").append(String.format("%02x", f[at + i] & 0xFF));
        }
        return b.toString();
    }
}
