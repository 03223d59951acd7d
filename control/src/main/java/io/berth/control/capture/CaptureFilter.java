package io.berth.control.capture;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * A small subset of tcpdump's filter language over Ethernet frames: primitives {@code host IP}, {@code net CIDR}
 * (IPv4 or IPv6), {@code port N}, {@code tcp}, {@code udp} (over either), {@code icmp}, {@code icmp6}, {@code arp},
 * {@code ip}, {@code ip6}, joined by {@code and} (also implied) and {@code or} ({@code and} binds tighter), with
 * {@code not} before a primitive. Immutable; any thread.
 */
public final class CaptureFilter
{
    private static final String VALID = "host IP, net CIDR (IPv4 or IPv6), port N, tcp, udp, icmp, icmp6, arp, ip, " +
        "ip6, joined by and/or, with not";
    private final List<List<Predicate<byte[]>>> anyOf; // or of ands

    private CaptureFilter(final List<List<Predicate<byte[]>>> anyOf)
    {
        this.anyOf = anyOf;
    }

    public static CaptureFilter parse(final List<String> words)
    {
        final List<List<Predicate<byte[]>>> anyOf = new ArrayList<>();
        List<Predicate<byte[]>> all = new ArrayList<>();
        boolean negate = false;
        for (int i = 0; i < words.size(); i++)
        {
            final String word = words.get(i).toLowerCase();
            Predicate<byte[]> p;
            switch (word)
            {
                case "and", "&&" -> { continue; }
                case "or", "||" ->
                {
                    if (all.isEmpty())
                    {
                        throw bad(words, "'or' needs a primitive on each side");
                    }
                    anyOf.add(all);
                    all = new ArrayList<>();
                    continue;
                }
                case "not", "!" -> { negate = !negate; continue; }
                case "tcp" -> p = f -> ipProto(f) == 6;
                case "udp" -> p = f -> ipProto(f) == 17;
                case "icmp" -> p = f -> ipProto(f) == 1;
                case "icmp6" -> p = f -> ipProto(f) == 58;
                case "ip" -> p = f -> etherType(f) == 0x0800;
                case "ip6" -> p = f -> etherType(f) == 0x86DD;
                case "arp" -> p = f -> etherType(f) == 0x0806;
                case "host" ->
                {
                    final String text = arg(words, ++i);
                    if (text.indexOf(':') >= 0)
                    {
                        final long[] ip6 = Ipv6Cidr.parseAddress(text, "host");
                        p = f -> addresses6(f, (hi, lo) -> hi == ip6[0] && lo == ip6[1]);
                    }
                    else
                    {
                        final int ip = Ipv4.parse(text, "host");
                        p = f -> addresses(f, a -> a == ip);
                    }
                }
                case "net" ->
                {
                    final String text = arg(words, ++i);
                    if (text.indexOf(':') >= 0)
                    {
                        final Ipv6Cidr net6 = Ipv6Cidr.parse(text, "net");
                        p = f -> addresses6(f, net6::contains);
                    }
                    else
                    {
                        final Cidr net = Cidr.parse(text, "net");
                        p = f -> addresses(f, net::contains);
                    }
                }
                case "port" ->
                {
                    final String text = arg(words, ++i);
                    final int port;
                    try
                    {
                        port = Integer.parseInt(text);
                    }
                    catch (final NumberFormatException e)
                    {
                        throw bad(words, "port " + text + " is not a number 0..65535");
                    }
                    if (port < 0 || port > 65535)
                    {
                        throw bad(words, "port " + text + " is not a number 0..65535");
                    }
                    p = f -> ports(f, port);
                }
                default -> throw bad(words, "unknown word '" + words.get(i) + "'");
            }
            all.add(negate ? p.negate() : p);
            negate = false;
        }
        if (negate || (!anyOf.isEmpty() && all.isEmpty()))
        {
            throw bad(words, "it ends in the middle of an expression");
        }
        if (!all.isEmpty())
        {
            anyOf.add(all);
        }
        return new CaptureFilter(anyOf);
    }

    public boolean matches(final byte[] frame)
    {
        if (anyOf.isEmpty())
        {
            return true;
        }
        for (final List<Predicate<byte[]>> all : anyOf)
        {
            if (all.stream().allMatch(p -> p.test(frame)))
            {
                return true;
            }
        }
        return false;
    }

    private static String arg(final List<String> words, final int i)
    {
        if (i >= words.size())
        {
            throw bad(words, "'" + words.get(i - 1) + "' needs a value");
        }
        return words.get(i);
    }

    private static BerthException bad(final List<String> words, final String why)
    {
        return new BerthException("bad capture filter '" + String.join(" ", words) + "': " + why + "; valid: " + VALID);
    }

    static int etherType(final byte[] f)
    {
        return f.length < 14 ? -1 : ((f[12] & 0xFF) << 8) | (f[13] & 0xFF);
    }

    /** The IPv4 protocol, or the IPv6 upper layer (past any extension headers), or -1. */
    static int ipProto(final byte[] f)
    {
        if (etherType(f) == 0x86DD)
        {
            final long upper = upper6(f);
            return upper < 0 ? -1 : (int)(upper >>> 32);
        }
        return etherType(f) != 0x0800 || f.length < 34 ? -1 : f[23] & 0xFF;
    }

    /**
     * An IPv6 frame's upper layer: its protocol in the top 32 bits, its offset in the low 32 (the upper-layer
     * header of a first fragment, past the Fragment header; a later fragment's offset is -1), or -1.
     */
    private static long upper6(final byte[] f)
    {
        if (f.length < 54)
        {
            return -1;
        }
        int next = f[20] & 0xFF;
        int at = 54;
        boolean laterFragment = false;
        for (int i = 0; i < 8 && at + 8 <= f.length; i++)
        {
            if (next == 0 || next == 43 || next == 60)
            {
                next = f[at] & 0xFF;
                at += ((f[at + 1] & 0xFF) + 1) * 8;
            }
            else if (next == 44)
            {
                laterFragment = ((((f[at + 2] & 0xFF) << 8) | (f[at + 3] & 0xFF)) & 0xFFF8) != 0;
                next = f[at] & 0xFF;
                at += 8;
            }
            else
            {
                break;
            }
        }
        return ((long)next << 32) | (laterFragment ? 0xFFFF_FFFFL : at & 0xFFFF_FFFFL);
    }

    @FunctionalInterface
    private interface Address6Test
    {
        boolean test(long hi, long lo);
    }

    private static boolean addresses6(final byte[] f, final Address6Test test)
    {
        if (etherType(f) != 0x86DD || f.length < 54)
        {
            return false;
        }
        final ByteBuffer b = ByteBuffer.wrap(f);
        return test.test(b.getLong(22), b.getLong(30)) || test.test(b.getLong(38), b.getLong(46));
    }

    private static int int32(final byte[] f, final int at)
    {
        return ((f[at] & 0xFF) << 24) | ((f[at + 1] & 0xFF) << 16) | ((f[at + 2] & 0xFF) << 8) | (f[at + 3] & 0xFF);
    }

    private static boolean addresses(final byte[] f, final IntPredicate test)
    {
        final int type = etherType(f);
        if (type == 0x0800 && f.length >= 34)
        {
            return test.test(int32(f, 26)) || test.test(int32(f, 30));
        }
        if (type == 0x0806 && f.length >= 42)
        {
            return test.test(int32(f, 28)) || test.test(int32(f, 38)); // sender and target protocol address
        }
        return false;
    }

    private static boolean ports(final byte[] f, final int port)
    {
        final int proto = ipProto(f);
        if (proto != 6 && proto != 17)
        {
            return false;
        }
        final int l4;
        if (etherType(f) == 0x86DD)
        {
            l4 = (int)upper6(f); // -1 for a later fragment
        }
        else
        {
            l4 = (((f[20] & 0x1F) << 8) | (f[21] & 0xFF)) != 0 ? -1 : 14 + (f[14] & 0x0F) * 4;
        }
        if (l4 < 0 || f.length < l4 + 4)
        {
            return false; // a later fragment carries no ports
        }
        final int source = ((f[l4] & 0xFF) << 8) | (f[l4 + 1] & 0xFF);
        final int destination = ((f[l4 + 2] & 0xFF) << 8) | (f[l4 + 3] & 0xFF);
        return source == port || destination == port;
    }
}
