package io.berth.control.ipam;

import io.berth.control.error.BerthException;

/**
 * An IPv4 prefix such as 192.168.100.0/24, always in canonical form (no host bits set). Immutable.
 *
 * @param network      the network address.
 * @param prefixLength 0..32.
 */
public record Cidr(int network, int prefixLength)
{
    public Cidr
    {
        if (prefixLength < 0 || prefixLength > 32 || (network & ~mask(prefixLength)) != 0)
        {
            throw new IllegalArgumentException(Ipv4.format(network) + "/" + prefixLength + " is not canonical");
        }
    }

    /**
     * Parses "a.b.c.d/n" strictly. Host bits set (192.168.100.5/24) are refused with the canonical form in the
     * message, as Docker does, rather than silently masked.
     */
    public static Cidr parse(final String text, final String what)
    {
        if (text == null || text.isEmpty())
        {
            throw new BerthException(what + " is empty; expected a CIDR like 192.168.100.0/24");
        }
        final int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/'))
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": expected a CIDR like 192.168.100.0/24");
        }
        final int address;
        try
        {
            address = Ipv4.parse(text.substring(0, slash), what);
        }
        catch (final BerthException ex)
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": expected a CIDR like 192.168.100.0/24");
        }
        final String lengthText = text.substring(slash + 1);
        if (lengthText.isEmpty() || lengthText.length() > 2 || !lengthText.chars().allMatch(Character::isDigit) ||
            (lengthText.length() > 1 && lengthText.charAt(0) == '0'))
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": the prefix length must be 0..32");
        }
        final int prefixLength = Integer.parseInt(lengthText);
        if (prefixLength > 32)
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": the prefix length must be 0..32");
        }
        final int network = address & mask(prefixLength);
        if (network != address)
        {
            throw new BerthException("invalid " + what + " \"" + text + "\": host bits are set; did you mean " +
                Ipv4.format(network) + "/" + prefixLength + "?");
        }
        return new Cidr(network, prefixLength);
    }

    public static int mask(final int prefixLength)
    {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public int mask()
    {
        return mask(prefixLength);
    }

    /** The last address of the prefix (the broadcast address of a subnet). */
    public int last()
    {
        return network | ~mask();
    }

    /** The first address after the network address: Docker's default gateway. */
    public int firstHost()
    {
        return network + 1;
    }

    public boolean contains(final int ip)
    {
        return (ip & mask()) == network;
    }

    public boolean contains(final Cidr other)
    {
        return other.prefixLength >= prefixLength && contains(other.network);
    }

    public boolean overlaps(final Cidr other)
    {
        return contains(other.network) || other.contains(network);
    }

    @Override
    public String toString()
    {
        return Ipv4.format(network) + "/" + prefixLength;
    }
}
