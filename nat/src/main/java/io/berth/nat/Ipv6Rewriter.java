package io.berth.nat;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.Ipv6Tokens;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Rewrites one end (source or destination: address and port, or ICMPv6 echo identifier) of an IPv6 packet for
 * NAT66, updating the upper layer's checksum incrementally (RFC 1624): IPv6 has no header checksum, but TCP, UDP
 * and ICMPv6 sum a pseudo-header holding both addresses. A UDP checksum of 0 is invalid in IPv6 and left alone.
 * Stateless; allocation-free.
 */
final class Ipv6Rewriter
{
    private static final int ECHO_REQUEST = 128;
    private static final int ECHO_REPLY = 129;

    private Ipv6Rewriter()
    {
    }

    /**
     * @param ip        the IPv6 header's offset; {@code l4} the upper layer's and {@code protocol} which it is.
     * @param source    rewrite the source end (else the destination).
     * @return false, changing nothing, when the packet has no port to rewrite (an ICMPv6 type other than echo).
     */
    static boolean rewrite(final UnsafeBuffer buffer, final int ip, final int l4, final int protocol,
        final boolean source, final long hi, final long lo, final int port)
    {
        final int addressAt = ip + (source ? Ipv6Header.SOURCE_OFFSET : Ipv6Header.DESTINATION_OFFSET);
        final int portAt;
        final int checksumAt;
        if (protocol == 6)
        {
            portAt = l4 + (source ? 0 : 2);
            checksumAt = l4 + 16;
        }
        else if (protocol == 17)
        {
            portAt = l4 + (source ? 0 : 2);
            checksumAt = l4 + 6;
        }
        else if (protocol == Ipv6Header.PROTO_ICMPV6)
        {
            final int type = buffer.getByte(l4) & 0xFF;
            if (type != ECHO_REQUEST && type != ECHO_REPLY)
            {
                return false;
            }
            portAt = l4 + 4; // the identifier: one field for both ends
            checksumAt = l4 + 2;
        }
        else
        {
            return false;
        }
        final long oldHi = buffer.getLong(addressAt, ByteOrder.BIG_ENDIAN);
        final long oldLo = buffer.getLong(addressAt + 8, ByteOrder.BIG_ENDIAN);
        final int oldPort = buffer.getShort(portAt, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int checksum = buffer.getShort(checksumAt, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (protocol != 17 || checksum != 0)
        {
            final int oldSum = Checksums.fold(Ipv6Header.addressSum(oldHi, oldLo) + oldPort);
            final int newSum = Checksums.fold(Ipv6Header.addressSum(hi, lo) + port);
            final long sum = (~checksum & 0xFFFF) + (~oldSum & 0xFFFF) + newSum;
            int updated = ~Checksums.fold(sum) & 0xFFFF;
            if (protocol == 17 && updated == 0)
            {
                updated = 0xFFFF; // UDP sends an all-zero result as all ones
            }
            buffer.putShort(checksumAt, (short)updated, ByteOrder.BIG_ENDIAN);
        }
        buffer.putLong(addressAt, hi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(addressAt + 8, lo, ByteOrder.BIG_ENDIAN);
        buffer.putShort(portAt, (short)port, ByteOrder.BIG_ENDIAN);
        return true;
    }

    /**
     * NAT66's one rule, as for IPv4: an end of the packet (its {@code source}, else its destination) becomes the
     * inverse of the other direction's tuple: the source the other direction's destination, the destination its
     * source, addresses from their {@link Ipv6Tokens tokens}.
     *
     * @return false, changing nothing, when the packet cannot be followed to a port to rewrite.
     */
    static boolean fromOtherDirection(final ConnectionTable table, final Ipv6Tokens tokens, final PacketPool pool,
        final int handle, final int entry, final int direction, final boolean source)
    {
        final int other = (entry << 1) | (direction ^ 1);
        final long k1 = table.key1(other);
        final long k2 = table.key2(other);
        final int target = source ? Tuples.destination(k1) : Tuples.source(k1);
        final UnsafeBuffer buffer = pool.buffer();
        final int ip = pool.frameOffset(handle) + EthernetFlyweight.HEADER_LENGTH;
        final long upper = Ipv6Header.upperLayer(buffer, ip, pool.frameOffset(handle) + pool.frameLength(handle));
        return upper >= 0 && rewrite(buffer, ip, Ipv6Header.offsetOf(upper), Ipv6Header.protocolOf(upper), source,
            tokens.hi(target), tokens.lo(target), source ? Tuples.destinationPort(k2) : Tuples.sourcePort(k2));
    }

    /**
     * An ICMPv6 error about a translated connection, on its way back (RFC 5508's rule, as for IPv4): the outer
     * destination and the quoted packet's source (address and port, or echo identifier) become the original
     * sender's again, and the ICMPv6 checksum is computed afresh (the quoted bytes changed under it).
     *
     * @param icmp the ICMPv6 header's offset; {@code end} the packet's end.
     * @return false, changing nothing, when the quoted packet cannot be followed.
     */
    static boolean rewriteError(final UnsafeBuffer buffer, final int ip, final int icmp, final int end, final long hi,
        final long lo, final int port)
    {
        final int inner = icmp + 8;
        if (inner + Ipv6Header.LENGTH > end || !Ipv6Header.isIpv6(buffer, inner))
        {
            return false;
        }
        final long upper = Ipv6Header.upperLayer(buffer, inner, end);
        if (upper < 0 || Ipv6Header.offsetOf(upper) + 8 > end)
        {
            return false;
        }
        final int innerL4 = Ipv6Header.offsetOf(upper);
        final int innerProtocol = Ipv6Header.protocolOf(upper);
        buffer.putLong(ip + Ipv6Header.DESTINATION_OFFSET, hi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + Ipv6Header.DESTINATION_OFFSET + 8, lo, ByteOrder.BIG_ENDIAN);
        buffer.putLong(inner + Ipv6Header.SOURCE_OFFSET, hi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(inner + Ipv6Header.SOURCE_OFFSET + 8, lo, ByteOrder.BIG_ENDIAN);
        if (innerProtocol == 6 || innerProtocol == 17)
        {
            buffer.putShort(innerL4, (short)port, ByteOrder.BIG_ENDIAN);
        }
        else if (innerProtocol == Ipv6Header.PROTO_ICMPV6)
        {
            buffer.putShort(innerL4 + 4, (short)port, ByteOrder.BIG_ENDIAN);
        }
        Ipv6Header.icmpv6Checksum(buffer, ip, icmp, end - icmp);
        return true;
    }
}
