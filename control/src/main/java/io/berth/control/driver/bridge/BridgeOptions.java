package io.berth.control.driver.bridge;

import io.berth.control.dataplane.PortType;
import io.berth.control.error.BerthException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code -o} options of a bridge network: {@code icc} and {@code mtu}, also under Docker's long names, and
 * {@code port} (berth's: how its containers' eth0 is driven). Journaled normalised as {@code {"icc": "true|false",
 * "mtu": "N"}}, with {@code "port"} when given. Immutable.
 *
 * @param icc  false: containers of the network cannot talk to each other.
 * @param mtu  the MTU of container interfaces.
 * @param port TAP or AF_XDP ports, or null for berthd's {@code --port-type}.
 * @param routerAdvertisements {@code ipv6.ra=true} (a dual-stack network only): the gateway answers Router
 *             Solicitations with Router Advertisements (issue 27); off by default, addresses are static as in Docker.
 * @param masquerade6 {@code ipv6.masquerade=true|false} (a dual-stack network only): whether its connections leave
 *             the uplink as berthd's IPv6 address (NAT66); null: as the prefix says (unique-local ones are, global
 *             ones are routed as they are).
 */
public record BridgeOptions(boolean icc, int mtu, PortType port, boolean routerAdvertisements, Boolean masquerade6)
{
    public BridgeOptions(final boolean icc, final int mtu, final PortType port)
    {
        this(icc, mtu, port, false, null);
    }

    public static final int DEFAULT_MTU = 1500;
    public static final int MIN_MTU = 68;
    public static final int MAX_MTU = 65535;
    private static final String VALID = "valid options: icc=true|false, mtu=" + MIN_MTU + ".." + MAX_MTU +
        " (also com.docker.network.bridge.enable_icc, com.docker.network.driver.mtu), port=tap|afxdp, " +
        "ipv6.ra=true|false, ipv6.masquerade=true|false";

    public static BridgeOptions parse(final List<String> options)
    {
        boolean icc = true;
        int mtu = DEFAULT_MTU;
        PortType port = null;
        boolean ra = false;
        Boolean masquerade6 = null;
        for (final String option : options == null ? List.<String>of() : options)
        {
            final int equals = option.indexOf('=');
            if (equals <= 0)
            {
                throw new BerthException("invalid option \"" + option + "\": expected KEY=VALUE; " + VALID);
            }
            final String key = option.substring(0, equals);
            final String value = option.substring(equals + 1);
            switch (key)
            {
                case "icc", "com.docker.network.bridge.enable_icc" ->
                {
                    if (!value.equals("true") && !value.equals("false"))
                    {
                        throw new BerthException("invalid value \"" + value + "\" for option " + key +
                            ": expected true or false");
                    }
                    icc = Boolean.parseBoolean(value);
                }
                case "mtu", "com.docker.network.driver.mtu" -> mtu = parseMtu(key, value);
                case "port" -> port = PortType.parse(value, "option port");
                case "ipv6.ra" -> ra = parseBoolean(key, value);
                case "ipv6.masquerade" -> masquerade6 = parseBoolean(key, value);
                default -> throw new BerthException("unknown option \"" + key + "\"; " + VALID);
            }
        }
        if (port == PortType.AFXDP && mtu > PortType.AFXDP_MAX_MTU)
        {
            throw new BerthException("invalid mtu " + mtu + " with port=afxdp: an AF_XDP port carries frames up to " +
                "an MTU of " + PortType.AFXDP_MAX_MTU);
        }
        return new BridgeOptions(icc, mtu, port, ra, masquerade6);
    }

    private static boolean parseBoolean(final String key, final String value)
    {
        if (!value.equals("true") && !value.equals("false"))
        {
            throw new BerthException("invalid value \"" + value + "\" for option " + key + ": expected true or false");
        }
        return Boolean.parseBoolean(value);
    }

    /** The journaled form. */
    public Map<String, String> toMap()
    {
        final Map<String, String> map = new LinkedHashMap<>();
        map.put("icc", Boolean.toString(icc));
        map.put("mtu", Integer.toString(mtu));
        if (port != null)
        {
            map.put("port", port.text());
        }
        if (routerAdvertisements)
        {
            map.put("ipv6.ra", "true");
        }
        if (masquerade6 != null)
        {
            map.put("ipv6.masquerade", masquerade6.toString());
        }
        return map;
    }

    /** Reads the journaled form back (written by {@link #toMap()}, or migrated from a version-1 journal). */
    public static BridgeOptions of(final Map<String, String> options)
    {
        return new BridgeOptions(!"false".equals(options.get("icc")),
            options.containsKey("mtu") ? Integer.parseInt(options.get("mtu")) : DEFAULT_MTU,
            options.containsKey("port") ? PortType.parse(options.get("port"), "option port") : null,
            "true".equals(options.get("ipv6.ra")),
            options.containsKey("ipv6.masquerade") ? Boolean.valueOf(options.get("ipv6.masquerade")) : null);
    }

    private static int parseMtu(final String key, final String value)
    {
        final int mtu;
        try
        {
            mtu = Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new BerthException("invalid value \"" + value + "\" for option " + key + ": expected a number " +
                MIN_MTU + ".." + MAX_MTU);
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU)
        {
            throw new BerthException("invalid mtu " + value + ": must be " + MIN_MTU + ".." + MAX_MTU);
        }
        return mtu;
    }
}
