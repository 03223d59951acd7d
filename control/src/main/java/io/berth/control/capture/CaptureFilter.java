package io.berth.control.capture;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Cidr;
import io.berth.control.ipam.Ipv4;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * A small subset of tcpdump's filter language over Ethernet frames: primitives {@code host IP}, {@code net CIDR},
 * {@code port N}, {@code tcp}, {@code udp}, {@code icmp}, {@code arp}, joined by {@code and} (also implied) and
 * {@code or} ({@code and} binds tighter), with {@code not} before a primitive. Immutable; any thread.
 */
public final class CaptureFilter
{
    private static final String VALID = "host IP, net CIDR, port N, tcp, udp, icmp, arp, joined by and/or, with not";
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
                case "arp" -> p = f -> etherType(f) == 0x0806;
                case "host" ->
                {
                    final int ip = Ipv4.parse(arg(words, ++i), "host");
                    p = f -> addresses(f, a -> a == ip);
                }
                case "net" ->
                {
                    final Cidr net = Cidr.parse(arg(words, ++i), "net");
                    p = f -> addresses(f, net::contains);
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

    static int ipProto(final byte[] f)
    {
        return etherType(f) != 0x0800 || f.length < 34 ? -1 : f[23] & 0xFF;
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
        final int ihl = (f[14] & 0x0F) * 4;
        final int l4 = 14 + ihl;
        if ((((f[20] & 0x1F) << 8) | (f[21] & 0xFF)) != 0 || f.length < l4 + 4)
        {
            return false; // a later fragment carries no ports
        }
        final int source = ((f[l4] & 0xFF) << 8) | (f[l4 + 1] & 0xFF);
        final int destination = ((f[l4 + 2] & 0xFF) << 8) | (f[l4 + 3] & 0xFF);
        return source == port || destination == port;
    }
}
