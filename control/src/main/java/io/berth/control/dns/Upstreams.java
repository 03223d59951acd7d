package io.berth.control.dns;

import io.berth.control.error.BerthException;
import io.berth.control.ipam.Ipv4;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Parses and checks name-service arguments: {@code --dns-upstream IP[:PORT]}, {@code --dns IP}, aliases. Stateless. */
public final class Upstreams
{
    /** RFC 1123 label: letters, digits and inner hyphens, 1 to 63 characters. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private Upstreams()
    {
    }

    /** berthd's {@code --dns-upstream} values. */
    public static List<InetSocketAddress> parse(final List<String> values)
    {
        final List<InetSocketAddress> upstreams = new ArrayList<>();
        for (final String value : values)
        {
            final int colon = value.indexOf(':');
            final String ip = colon < 0 ? value : value.substring(0, colon);
            int port = 53;
            if (colon >= 0)
            {
                try
                {
                    port = Integer.parseInt(value.substring(colon + 1));
                }
                catch (final NumberFormatException e)
                {
                    port = -1;
                }
            }
            if (!isIpv4(ip) || port < 1 || port > 65535)
            {
                throw new IllegalArgumentException("--dns-upstream " + value + " is not IP[:PORT]: give an IPv4 " +
                    "address and optionally a port 1..65535, e.g. 192.0.2.53 or 127.0.0.1:5353");
            }
            upstreams.add(new InetSocketAddress(ip, port));
        }
        return upstreams;
    }

    /** {@code berth run --dns}: IPv4 addresses. */
    public static List<String> servers(final List<String> values)
    {
        for (final String value : values)
        {
            if (!isIpv4(value))
            {
                throw new BerthException("--dns " + value + " is not an IP address: give an IPv4 address such as " +
                    "192.0.2.53");
            }
        }
        return List.copyOf(values);
    }

    /** {@code --network-alias} and {@code connect --alias}: RFC 1123 labels. */
    public static List<String> aliases(final List<String> values, final String flag)
    {
        for (final String value : values)
        {
            if (!LABEL.matcher(value).matches())
            {
                throw new BerthException(flag + " " + value + " is not a valid DNS label: use 1-63 letters, digits " +
                    "and hyphens, not starting or ending with a hyphen (RFC 1123)");
            }
        }
        return values.stream().distinct().toList();
    }

    /** {@code --dns-search} and {@code --dns-option}: single words. */
    public static List<String> words(final List<String> values, final String flag)
    {
        for (final String value : values)
        {
            if (value.isEmpty() || value.chars().anyMatch(c -> c <= ' ' || c == '#' || c == ';'))
            {
                throw new BerthException(flag + " '" + value + "' must be one word without spaces, '#' or ';'");
            }
        }
        return List.copyOf(values);
    }

    static boolean isIpv4(final String text)
    {
        try
        {
            Ipv4.parse(text, "ip");
            return text.chars().filter(c -> c == '.').count() == 3;
        }
        catch (final RuntimeException e)
        {
            return false;
        }
    }

    /** A label check for link aliases. */
    public static boolean isLabel(final String value)
    {
        return LABEL.matcher(value).matches();
    }
}
