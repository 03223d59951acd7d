package io.berth.l2;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.flyweight.Ipv6Addresses;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Port security for IPv6 (issue 27): what a bound port may send. Its sources are its link-local address (fe80::
 * and the modified EUI-64 of its MAC, RFC 4291 appendix A, which is what a container's kernel makes) and its
 * global address when it has one; the unspecified address only for duplicate address detection (a Neighbor
 * Solicitation without a source link-layer option, an MLDv2 report). Neighbour discovery from it speaks only for
 * itself: a Neighbor Advertisement's target is one of its addresses and its target link-layer option its MAC, a
 * solicitation's source link-layer option its MAC ({@code nd_spoof}). It never sends a Router Advertisement or a
 * Redirect (RA guard, RFC 6105: {@code ra_guard}), nor hides one behind extension headers or in a fragment
 * (RFC 7113); a header chain that cannot be followed within the frame is {@code ipv6_malformed}. Worker thread;
 * allocation-free.
 */
final class Ipv6Guard
{
    /** Which IPv6 addresses the sender with {@code mac} owns (a port's, or a tunnel's store endpoint's). */
    @FunctionalInterface
    interface Owner
    {
        boolean owns(long mac, long hi, long lo);
    }

    /**
     * A bound port: its link-local address (its MAC's EUI-64, or the interface id berth gave it when the MAC is
     * shared) and its global one (set before each check; worker thread).
     */
    static final class PortOwner implements Owner
    {
        long globalHi;
        long globalLo;
        long linkLocal;

        @Override
        public boolean owns(final long mac, final long hi, final long lo)
        {
            final boolean linkLocalOwned = linkLocal != 0 ? hi == Ipv6Addresses.LINK_LOCAL_PREFIX && lo == linkLocal
                : Ipv6Addresses.isLinkLocalOf(mac, hi, lo);
            return linkLocalOwned || (globalHi != 0 && hi == globalHi && lo == globalLo);
        }
    }

    private static final int HEADER_LENGTH = 40;
    private static final int ICMPV6 = 58;
    private static final int MAX_EXTENSION_HEADERS = 8;
    private static final int ROUTER_ADVERTISEMENT = 134;
    private static final int NEIGHBOR_SOLICITATION = 135;
    private static final int NEIGHBOR_ADVERTISEMENT = 136;
    private static final int REDIRECT = 137;
    private static final int MLD2_REPORT = 143;
    private static final int OPTION_SOURCE_LINK_LAYER = 1;
    private static final int OPTION_TARGET_LINK_LAYER = 2;


    /**
     * @param ip    the IPv6 header's offset; {@code end} the frame's end.
     * @param owner which addresses the sender with {@code mac} owns.
     */
    static DropReason check(final UnsafeBuffer buffer, final int ip, final int end, final long mac, final Owner owner)
    {
        if (end - ip < HEADER_LENGTH || (buffer.getByte(ip) & 0xF0) != 0x60)
        {
            return L2Drops.IPV6_MALFORMED;
        }
        final long sourceHi = buffer.getLong(ip + 8, ByteOrder.BIG_ENDIAN);
        final long sourceLo = buffer.getLong(ip + 16, ByteOrder.BIG_ENDIAN);
        int next = buffer.getByte(ip + 6) & 0xFF;
        int at = ip + HEADER_LENGTH;
        boolean fragment = false;
        for (int i = 0; next != ICMPV6 && i <= MAX_EXTENSION_HEADERS; i++)
        {
            if (next == 0 || next == 43 || next == 60) // hop-by-hop, routing, destination options
            {
                if (at + 8 > end)
                {
                    return L2Drops.IPV6_MALFORMED;
                }
                next = buffer.getByte(at) & 0xFF;
                at += ((buffer.getByte(at + 1) & 0xFF) + 1) * 8;
            }
            else if (next == 44) // fragment
            {
                if (at + 8 > end)
                {
                    return L2Drops.IPV6_MALFORMED;
                }
                fragment = true;
                next = buffer.getByte(at) & 0xFF;
                if ((buffer.getShort(at + 2, ByteOrder.BIG_ENDIAN) & 0xFFF8) != 0)
                {
                    return owner.owns(mac, sourceHi, sourceLo) ? null : DropReason.SPOOFED_SOURCE;
                }
                at += 8;
            }
            else
            {
                return owner.owns(mac, sourceHi, sourceLo) ? null : DropReason.SPOOFED_SOURCE;
            }
            if (i == MAX_EXTENSION_HEADERS)
            {
                return L2Drops.IPV6_MALFORMED;
            }
        }
        if (at + 4 > end)
        {
            return fragment ? L2Drops.RA_GUARD : L2Drops.IPV6_MALFORMED; // ICMPv6 whose type is in a later fragment
        }
        final int type = buffer.getByte(at) & 0xFF;
        if (type == ROUTER_ADVERTISEMENT || type == REDIRECT || (fragment && type >= 133 && type <= 137))
        {
            return L2Drops.RA_GUARD; // neighbour discovery is never fragmented (RFC 6980)
        }
        final boolean unspecified = sourceHi == 0 && sourceLo == 0;
        if (type == NEIGHBOR_SOLICITATION || type == NEIGHBOR_ADVERTISEMENT)
        {
            if (at + 24 > end)
            {
                return L2Drops.IPV6_MALFORMED;
            }
            final int wanted = type == NEIGHBOR_SOLICITATION ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
            for (int option = at + 24; option + 8 <= end; )
            {
                final int length = (buffer.getByte(option + 1) & 0xFF) * 8;
                if (length == 0)
                {
                    return L2Drops.IPV6_MALFORMED;
                }
                if ((buffer.getByte(option) & 0xFF) == wanted)
                {
                    if (unspecified || macAt(buffer, option + 2) != mac)
                    {
                        return L2Drops.ND_SPOOF;
                    }
                }
                option += length;
            }
            if (type == NEIGHBOR_ADVERTISEMENT && !owner.owns(mac, buffer.getLong(at + 8, ByteOrder.BIG_ENDIAN),
                buffer.getLong(at + 16, ByteOrder.BIG_ENDIAN)))
            {
                return L2Drops.ND_SPOOF;
            }
        }
        if (unspecified)
        {
            return type == NEIGHBOR_SOLICITATION || type == MLD2_REPORT ? null : DropReason.SPOOFED_SOURCE;
        }
        return owner.owns(mac, sourceHi, sourceLo) ? null : DropReason.SPOOFED_SOURCE;
    }

    private static long macAt(final UnsafeBuffer buffer, final int at)
    {
        return ((buffer.getInt(at, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL) << 16)
            | (buffer.getShort(at + 4, ByteOrder.BIG_ENDIAN) & 0xFFFFL);
    }

    private Ipv6Guard()
    {
    }
}
