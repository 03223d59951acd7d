package io.berth.l3.frag;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * IPv6 fragments for {@link Reassembly} (issue 27): finds the Fragment header after the unfragmentable part (the
 * fixed header and any hop-by-hop, routing or destination options before it, at most {@link #MAX_UNFRAGMENTABLE}
 * bytes) and hands the fragment to the reassembly both families share, keyed by source, destination and the
 * 32-bit identification (RFC 8200 4.5). The addresses are folded into the key by a hash seeded per table: two
 * datagrams in progress would have to collide in 64 unpredictable bits. The first fragment must hold the
 * upper-layer header (RFC 7112). Completed, the Fragment header is gone and the packet remembers its largest
 * fragment, to be cut the same way on the way out. Worker thread (the reassembly's); allocation-free.
 */
final class Ipv6Fragments
{
    /** The fixed header and the extension headers before the Fragment header, at most. */
    static final int MAX_UNFRAGMENTABLE = 120;
    private static final long IPV6_KEY = 1L << 40;

    private final Reassembly reassembly;
    private final PacketPool pool;
    private final long seed = new SplittableRandom().nextLong();

    Ipv6Fragments(final Reassembly reassembly)
    {
        this.reassembly = reassembly;
        this.pool = reassembly.pool();
    }

    int add(final int fragment, final UnsafeBuffer buffer, final int ip, final long nowMillis)
    {
        final int frameEnd = pool.frameOffset(fragment) + pool.frameLength(fragment);
        final int end = ip + Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip);
        if (end > frameEnd)
        {
            return Reassembly.MALFORMED;
        }
        int next = Ipv6Header.nextHeader(buffer, ip);
        int at = ip + Ipv6Header.LENGTH;
        int patch = ip + Ipv6Header.NEXT_HEADER_OFFSET;
        while (next != Ipv6Header.PROTO_FRAGMENT)
        {
            if ((next != 0 && next != 43 && next != 60) || at + 8 > end || at - ip > MAX_UNFRAGMENTABLE)
            {
                return Reassembly.MALFORMED;
            }
            patch = at;
            next = buffer.getByte(at) & 0xFF;
            at += ((buffer.getByte(at + 1) & 0xFF) + 1) * 8;
        }
        if (at + 8 > end || at - ip > MAX_UNFRAGMENTABLE)
        {
            return Reassembly.MALFORMED;
        }
        final int protocol = buffer.getByte(at) & 0xFF;
        final int fieldOffset = buffer.getShort(at + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int offset = fieldOffset & 0xFFF8;
        final boolean more = (fieldOffset & 1) != 0;
        final int payloadLength = end - at - 8;
        if (payloadLength <= 0 || (more && (payloadLength & 7) != 0))
        {
            return Reassembly.MALFORMED;
        }
        if (at - ip - Ipv6Header.LENGTH + offset + payloadLength > Reassembly.MAX_DATAGRAM)
        {
            return Reassembly.TOO_BIG;
        }
        if (offset == 0 && payloadLength < Reassembly.minimumFirst(protocol == Ipv6Header.PROTO_ICMPV6 ? Ipv4Flyweight.PROTO_ICMP
            : protocol))
        {
            return Reassembly.TINY;
        }
        final long sourceHi = Ipv6Header.sourceHi(buffer, ip);
        final long sourceLo = Ipv6Header.sourceLo(buffer, ip);
        final long k1 = mix(mix(mix(mix(seed, sourceHi), sourceLo), Ipv6Header.destinationHi(buffer, ip)),
            Ipv6Header.destinationLo(buffer, ip));
        final long k2 = IPV6_KEY | (buffer.getInt(at + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
        final int frame = pool.frameOffset(fragment);
        return reassembly.take(fragment, k1, k2, (int)mix(seed, sourceHi ^ sourceLo), offset, payloadLength, more,
            at + 8, at - frame, patch - frame, protocol, at - ip + 8 + payloadLength, nowMillis);
    }

    private static long mix(final long h, final long value)
    {
        long x = (h ^ value) * 0x9E37_79B9_7F4A_7C15L;
        x ^= x >>> 31;
        return x * 0xBF58_476D_1CE4_E5B9L;
    }
}
