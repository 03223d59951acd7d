package io.berth.control.ipam;

import io.berth.control.error.BerthException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Docker's default address pools for bridge networks created without {@code --subnet}: 172.17.0.0/16 ..
 * 172.31.0.0/16, then 192.168.0.0/20, 192.168.16.0/20 .. 192.168.240.0/20. Stateless.
 */
public final class DefaultSubnets
{
    /** The default network {@code bridge} (docker0). */
    public static final Cidr BRIDGE = new Cidr(0xAC11_0000, 16);

    private static final List<Cidr> CANDIDATES = build();

    private DefaultSubnets()
    {
    }

    /** The first candidate overlapping none of {@code taken}. */
    public static Cidr firstFree(final Collection<Cidr> taken)
    {
        for (final Cidr candidate : CANDIDATES)
        {
            if (taken.stream().noneMatch(candidate::overlaps))
            {
                return candidate;
            }
        }
        throw new BerthException("all default subnets (172.17.0.0/16 .. 172.31.0.0/16, 192.168.0.0/20 .. " +
            "192.168.240.0/20) are in use; pass --subnet");
    }

    /** The candidates in the order they are tried. */
    public static List<Cidr> candidates()
    {
        return CANDIDATES;
    }

    private static List<Cidr> build()
    {
        final List<Cidr> list = new ArrayList<>();
        for (int second = 17; second <= 31; second++)
        {
            list.add(new Cidr(0xAC00_0000 | (second << 16), 16));
        }
        for (int third = 0; third < 256; third += 16)
        {
            list.add(new Cidr(0xC0A8_0000 | (third << 8), 20));
        }
        return List.copyOf(list);
    }
}
