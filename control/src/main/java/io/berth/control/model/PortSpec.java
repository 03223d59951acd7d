package io.berth.control.model;

import io.berth.control.error.BerthException;
import io.berth.control.event.Event.PortMapping;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code -p [HOSTIP:]HOSTPORT[-END]:CPORT[-END][/tcp|/udp]}, parsed strictly: every malformed spec is refused
 * with a message naming it and what is valid. Stateless.
 */
public final class PortSpec
{
    public static final String LOOPBACK = "127.0.0.1";
    public static final String ALL = "";
    /** {@code -p [::]:...}: every IPv6 address (the uplink's, and [::1] through the proxy). */
    public static final String ALL6 = "::";
    /** {@code -p [::1]:...}: this host only, over IPv6. */
    public static final String LOOPBACK6 = "::1";
    public static final String USAGE = "expected [HOSTIP:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|/udp], e.g. " +
        "8080:80, 127.0.0.1:8080:80/udp, [::]:8080:80 or 8000-8010:9000-9010";
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,5}");

    private PortSpec()
    {
    }

    /**
     * @param uplinkIp berthd's uplink address, 0 when it has none.
     * @return one mapping per port, ranges expanded; hostIp normalised to {@link #ALL} (absent or 0.0.0.0),
     * {@link #LOOPBACK} or the uplink address.
     */
    public static List<PortMapping> parse(final String text, final int uplinkIp)
    {
        return parse(text, uplinkIp, null);
    }

    /**
     * @param uplink6 berthd's uplink IPv6 address ({@code --uplink-ip6}), or null when it has none.
     * @return as {@link #parse(String, int)}; an IPv6 host address in brackets is normalised to {@link #ALL6},
     * {@link #LOOPBACK6} or the uplink's IPv6 address (RFC 5952 text).
     */
    public static List<PortMapping> parse(final String text, final int uplinkIp, final long[] uplink6)
    {
        if (text == null || text.isBlank())
        {
            throw new BerthException("empty -p value; " + USAGE);
        }
        String rest = text;
        String protocol = "tcp";
        final int slash = rest.lastIndexOf('/');
        if (slash >= 0)
        {
            protocol = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
            if (!protocol.equals("tcp") && !protocol.equals("udp"))
            {
                throw new BerthException("-p " + text + ": unknown protocol \"" + protocol + "\"; valid: tcp, udp");
            }
        }
        String bracketed = null;
        if (rest.startsWith("["))
        {
            final int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':')
            {
                throw new BerthException("-p " + text + ": an IPv6 host address is written [ADDRESS]:HOSTPORT:" +
                    "CONTAINERPORT, e.g. [::]:8080:80; " + USAGE);
            }
            bracketed = hostIp6(text, rest.substring(1, close), uplinkIp, uplink6);
            rest = rest.substring(close + 2);
        }
        final String[] parts = rest.split(":", -1);
        final String hostIpText;
        final String hostPorts;
        final String containerPorts;
        if (parts.length == 2)
        {
            hostIpText = null;
            hostPorts = parts[0];
            containerPorts = parts[1];
        }
        else if (parts.length == 3 && bracketed == null)
        {
            hostIpText = parts[0];
            hostPorts = parts[1];
            containerPorts = parts[2];
        }
        else if (parts.length == 1)
        {
            throw new BerthException("-p " + text + ": give the host port too (berth does not pick one); " + USAGE);
        }
        else
        {
            throw new BerthException("-p " + text + ": malformed; " + USAGE);
        }
        final String hostIp = bracketed != null ? bracketed : hostIp(text, hostIpText, uplinkIp, uplink6);
        if (hostPorts.isEmpty())
        {
            throw new BerthException("-p " + text + ": give the host port (berth does not pick one); " + USAGE);
        }
        final int[] host = range(text, hostPorts, "host");
        final int[] container = range(text, containerPorts, "container");
        final int length = host[1] - host[0];
        if (length != container[1] - container[0])
        {
            throw new BerthException("-p " + text + ": the host range " + hostPorts + " has " + (length + 1) +
                " port(s) but the container range " + containerPorts + " has " + (container[1] - container[0] + 1) +
                "; ranges must have the same length");
        }
        final List<PortMapping> mappings = new ArrayList<>(length + 1);
        for (int i = 0; i <= length; i++)
        {
            mappings.add(new PortMapping(protocol, hostIp, host[0] + i, container[0] + i));
        }
        return mappings;
    }

    /** "tcp" → 6, "udp" → 17. */
    public static int protocolNumber(final String protocol)
    {
        return "udp".equals(protocol) ? 17 : 6;
    }

    /** How {@code port} and {@code inspect} show a host address: "" reads as 0.0.0.0. */
    public static String shownHostIp(final PortMapping mapping)
    {
        return mapping.hostIp().isEmpty() ? "0.0.0.0" : mapping.hostIp();
    }

    /**
     * Whether two mappings claim the same host port: same protocol and port, and 0.0.0.0 overlaps every address,
     * [::] every IPv6 one.
     */
    public static boolean overlaps(final PortMapping a, final PortMapping b)
    {
        return a.protocol().equals(b.protocol()) && a.hostPort() == b.hostPort() &&
            (a.hostIp().equals(b.hostIp()) || a.hostIp().isEmpty() || b.hostIp().isEmpty()
                || (a.hostIp().equals(ALL6) && isIpv6(b)) || (b.hostIp().equals(ALL6) && isIpv6(a)));
    }

    /** Published on an IPv6 address ([::], [::1], the uplink's). */
    public static boolean isIpv6(final PortMapping mapping)
    {
        return mapping.hostIp().indexOf(':') >= 0;
    }

    /** Reaches the uplink's IPv6 address: published on 0.0.0.0, [::] or that address. */
    public static boolean onUplink6(final PortMapping mapping)
    {
        return mapping.hostIp().isEmpty() || (isIpv6(mapping) && !mapping.hostIp().equals(LOOPBACK6));
    }

    private static String hostIp6(final String text, final String given, final int uplinkIp, final long[] uplink6)
    {
        final long[] address;
        try
        {
            address = Ipv6Cidr.parseAddress(given, "host address");
        }
        catch (final BerthException ex)
        {
            throw new BerthException("-p " + text + ": host address [" + given + "] is not an IPv6 address; " +
                "valid host addresses: " + validHosts(uplinkIp, uplink6));
        }
        if (address[0] == 0 && address[1] == 0)
        {
            return ALL6;
        }
        if (address[0] == 0 && address[1] == 1)
        {
            return LOOPBACK6;
        }
        if (uplink6 != null && address[0] == uplink6[0] && address[1] == uplink6[1])
        {
            return Ipv6Cidr.format(address[0], address[1]);
        }
        throw new BerthException("-p " + text + ": host address [" + given + "] is not one of berthd's; valid " +
            "host addresses: " + validHosts(uplinkIp, uplink6));
    }

    private static String hostIp(final String text, final String given, final int uplinkIp, final long[] uplink6)
    {
        if (given == null || given.equals("0.0.0.0"))
        {
            return ALL;
        }
        if (given.isEmpty())
        {
            throw new BerthException("-p " + text + ": empty host address; valid host addresses: " +
                validHosts(uplinkIp, uplink6));
        }
        final int ip;
        try
        {
            ip = Ipv4.parse(given, "host address");
        }
        catch (final BerthException ex)
        {
            throw new BerthException("-p " + text + ": host address \"" + given + "\" is not an IPv4 address; " +
                "valid host addresses: " + validHosts(uplinkIp, uplink6));
        }
        if (given.equals(LOOPBACK))
        {
            return LOOPBACK;
        }
        if (uplinkIp != 0 && ip == uplinkIp)
        {
            return Ipv4.format(ip);
        }
        throw new BerthException("-p " + text + ": host address " + given + " is not one of berthd's; valid host " +
            "addresses: " + validHosts(uplinkIp, uplink6));
    }

    private static String validHosts(final int uplinkIp, final long[] uplink6)
    {
        return "0.0.0.0 (all, the default), 127.0.0.1 (this host only)" + (uplinkIp == 0 ?
            " (berthd has no uplink)" : ", " + Ipv4.format(uplinkIp) + " (the uplink)") + ", [::] (every IPv6 " +
            "address), [::1] (this host only, over IPv6)" + (uplink6 == null ? "" : ", [" +
            Ipv6Cidr.format(uplink6[0], uplink6[1]) + "] (the uplink's IPv6 address)");
    }

    private static int[] range(final String text, final String ports, final String what)
    {
        final int dash = ports.indexOf('-');
        final int start = port(text, dash < 0 ? ports : ports.substring(0, dash), what);
        final int end = dash < 0 ? start : port(text, ports.substring(dash + 1), what);
        if (end < start)
        {
            throw new BerthException("-p " + text + ": " + what + " port range " + ports + " ends before it " +
                "starts; give START-END with END >= START");
        }
        return new int[]{start, end};
    }

    private static int port(final String text, final String value, final String what)
    {
        if (!NUMBER.matcher(value).matches())
        {
            throw new BerthException("-p " + text + ": " + what + " port \"" + value + "\" is not a number; " +
                "ports are 1-65535; " + USAGE);
        }
        final int port = Integer.parseInt(value);
        if (port < 1 || port > 65535)
        {
            throw new BerthException("-p " + text + ": " + what + " port " + value + " is out of range; ports are " +
                "1-65535");
        }
        return port;
    }
}
