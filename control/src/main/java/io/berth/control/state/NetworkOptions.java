package io.berth.control.state;

import io.berth.control.BerthException;

import java.util.List;

/**
 * The {@code -o} options of a bridge network: {@code icc} and {@code mtu}, also under Docker's long names. Immutable.
 *
 * @param icc false: containers of the network cannot talk to each other.
 * @param mtu the MTU of container interfaces.
 */
public record NetworkOptions(boolean icc, int mtu)
{
    public static final int DEFAULT_MTU = 1500;
    public static final int MIN_MTU = 68;
    public static final int MAX_MTU = 65535;
    private static final String VALID = "valid options: icc=true|false, mtu=" + MIN_MTU + ".." + MAX_MTU +
        " (also com.docker.network.bridge.enable_icc, com.docker.network.driver.mtu)";

    public static NetworkOptions parse(final List<String> options)
    {
        boolean icc = true;
        int mtu = DEFAULT_MTU;
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
                default -> throw new BerthException("unknown option \"" + key + "\"; " + VALID);
            }
        }
        return new NetworkOptions(icc, mtu);
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
