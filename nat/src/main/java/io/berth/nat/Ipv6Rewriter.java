package io.berth.nat;

import io.berth.dataplane.flyweight.Checksums;
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
}
