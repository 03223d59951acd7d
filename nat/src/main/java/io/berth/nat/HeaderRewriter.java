package io.berth.nat;

import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.Tuples;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Rewrites an address and port in place and patches every checksum that covers them, incrementally
 * (RFC 1624 via {@link Checksums#update16}/{@link Checksums#update32}); no byte of payload is read.
 * <ul>
 * <li>IPv4 header checksum: the address change.</li>
 * <li>TCP/UDP checksum: the address (it is in the pseudo-header) and the port. A UDP checksum of 0 means
 * "none" and stays 0; a computed 0 is sent as 0xFFFF (RFC 768).</li>
 * <li>ICMP echo: the identifier is the "port"; the ICMP checksum has no pseudo-header, so only the identifier
 * change touches it.</li>
 * <li>Partial checksums (TAP offload: virtio-net F_NEEDS_CSUM with csum_start at this L4 header): the field holds
 * the folded, <em>uncomplemented</em> pseudo-header sum and whoever transmits completes it over the L4 bytes. So
 * only the address change applies, as a sum update ({@code S' = S + ~old + new}); a port change needs nothing,
 * the completion will sum the new port. (Linux does the same: inet_proto_csum_replace4 with pseudohdr.)
 * A NEEDS_CSUM whose csum_start is elsewhere is treated as a full checksum.</li>
 * <li>ICMP errors: the outer address, and inside the quoted packet, which travelled the other way, the opposite
 * address and port; the quoted IPv4 header checksum and, when quoted, the quoted L4 checksum are patched too,
 * and every quoted word that changed is folded into the ICMP checksum.</li>
 * </ul>
 * Offsets are absolute within the pool buffer; headers were checked by conntrack. One per stage, worker thread;
 * stateless and allocation-free.
 */
final class HeaderRewriter
{
    static final int SOURCE = 0;
    static final int DESTINATION = 1;

    private final VirtioNetHeader vnet = new VirtioNetHeader();

    /** Whether the L4 checksum at {@code l4} is a partial one the transmitter will complete. */
    boolean partialChecksum(final PacketPool pool, final int handle, final int l4)
    {
        vnet.wrap(pool.buffer(), pool.vnetOffset(handle));
        return (vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0 && vnet.csumStart() == l4 - pool.frameOffset(handle);
    }

    /**
     * Sets the {@code which} ({@link #SOURCE} or {@link #DESTINATION}) address and port of a TCP, UDP or ICMP echo
     * packet.
     */
    static void rewrite(
        final UnsafeBuffer b, final int ip, final int l4, final int protocol, final boolean partial,
        final int which, final int address, final int port)
    {
        final int checksumAt;
        final int portAt;
        final boolean pseudoHeader;
        switch (protocol)
        {
            case Ipv4Flyweight.PROTO_TCP:
                checksumAt = l4 + 16;
                portAt = l4 + (which == SOURCE ? 0 : 2);
                pseudoHeader = true;
                break;
            case Ipv4Flyweight.PROTO_UDP:
                checksumAt = l4 + 6;
                portAt = l4 + (which == SOURCE ? 0 : 2);
                pseudoHeader = true;
                break;
            default: // ICMP echo: the identifier
                checksumAt = l4 + 2;
                portAt = l4 + 4;
                pseudoHeader = false;
                break;
        }
        int checksum = get16(b, checksumAt);
        final boolean none = protocol == Ipv4Flyweight.PROTO_UDP && checksum == 0 && !partial;

        final int addressAt = ip + (which == SOURCE ? Ipv4Flyweight.SOURCE_OFFSET : Ipv4Flyweight.DESTINATION_OFFSET);
        final int oldAddress = b.getInt(addressAt, ByteOrder.BIG_ENDIAN);
        if (oldAddress != address)
        {
            b.putInt(addressAt, address, ByteOrder.BIG_ENDIAN);
            final int ipChecksumAt = ip + Ipv4Flyweight.CHECKSUM_OFFSET;
            put16(b, ipChecksumAt, Checksums.update32(get16(b, ipChecksumAt), oldAddress, address));
            if (pseudoHeader && !none)
            {
                checksum = partial ? sumUpdate32(checksum, oldAddress, address) : Checksums.update32(checksum, oldAddress, address);
            }
        }
        final int oldPort = get16(b, portAt);
        if (oldPort != port)
        {
            put16(b, portAt, port);
            if (!partial && !none)
            {
                checksum = Checksums.update16(checksum, oldPort, port);
            }
        }
        if (!none)
        {
            put16(b, checksumAt, protocol == Ipv4Flyweight.PROTO_UDP && !partial && checksum == 0 ? 0xFFFF : checksum);
        }
    }

    /**
     * Translates an ICMP error: the outer {@code which} address becomes {@code address}; in the quoted packet
     * (which went the other way) the opposite address and port become {@code address}:{@code port}.
     *
     * @param end offset just past the IPv4 packet (quoted bytes beyond it are never touched).
     */
    static void rewriteIcmpError(
        final UnsafeBuffer b, final int ip, final int l4, final int end, final int which, final int address, final int port)
    {
        final int outerAt = ip + (which == SOURCE ? Ipv4Flyweight.SOURCE_OFFSET : Ipv4Flyweight.DESTINATION_OFFSET);
        final int oldOuter = b.getInt(outerAt, ByteOrder.BIG_ENDIAN);
        if (oldOuter != address)
        {
            b.putInt(outerAt, address, ByteOrder.BIG_ENDIAN);
            final int ipChecksumAt = ip + Ipv4Flyweight.CHECKSUM_OFFSET;
            put16(b, ipChecksumAt, Checksums.update32(get16(b, ipChecksumAt), oldOuter, address));
        }

        int icmp = get16(b, l4 + 2);
        final int inner = l4 + 8;
        final int innerL4 = inner + (b.getByte(inner) & 0xF) * 4;
        final int innerProtocol = b.getByte(inner + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF;
        final int innerChecksumAt;
        final boolean innerPseudoHeader;
        final int portAt;
        switch (innerProtocol)
        {
            case Ipv4Flyweight.PROTO_TCP:
                innerChecksumAt = innerL4 + 16 + 2 <= end ? innerL4 + 16 : -1; // only if it was quoted
                innerPseudoHeader = true;
                portAt = innerL4 + (which == SOURCE ? 2 : 0);
                break;
            case Ipv4Flyweight.PROTO_UDP:
                innerChecksumAt = get16(b, innerL4 + 6) != 0 ? innerL4 + 6 : -1;
                innerPseudoHeader = true;
                portAt = innerL4 + (which == SOURCE ? 2 : 0);
                break;
            default:
                innerChecksumAt = innerL4 + 2;
                innerPseudoHeader = false;
                portAt = innerL4 + 4;
                break;
        }

        final int innerAt = inner + (which == SOURCE ? Ipv4Flyweight.DESTINATION_OFFSET : Ipv4Flyweight.SOURCE_OFFSET);
        final int oldInner = b.getInt(innerAt, ByteOrder.BIG_ENDIAN);
        if (oldInner != address)
        {
            b.putInt(innerAt, address, ByteOrder.BIG_ENDIAN);
            icmp = Checksums.update32(icmp, oldInner, address);
            icmp = replace16(b, inner + Ipv4Flyweight.CHECKSUM_OFFSET,
                Checksums.update32(get16(b, inner + Ipv4Flyweight.CHECKSUM_OFFSET), oldInner, address), icmp);
            if (innerPseudoHeader && innerChecksumAt >= 0)
            {
                icmp = replace16(b, innerChecksumAt, nonZero(Checksums.update32(get16(b, innerChecksumAt), oldInner, address)), icmp);
            }
        }
        final int oldPort = get16(b, portAt);
        if (oldPort != port)
        {
            icmp = replace16(b, portAt, port, icmp);
            if (innerChecksumAt >= 0)
            {
                icmp = replace16(b, innerChecksumAt, nonZero(Checksums.update16(get16(b, innerChecksumAt), oldPort, port)), icmp);
            }
        }
        put16(b, l4 + 2, icmp);
    }

    /** Writes a quoted word and returns the ICMP checksum updated for it. */
    private static int replace16(final UnsafeBuffer b, final int at, final int value, final int icmpChecksum)
    {
        final int old = get16(b, at);
        put16(b, at, value);
        return Checksums.update16(icmpChecksum, old, value);
    }

    /** RFC 1624 on an uncomplemented sum (a partial checksum): S' = S + ~old + new, folded. */
    static int sumUpdate32(final int sum, final int oldValue, final int newValue)
    {
        return ~Checksums.update32(~sum & 0xFFFF, oldValue, newValue) & 0xFFFF;
    }

    private static int nonZero(final int checksum)
    {
        return checksum == 0 ? 0xFFFF : checksum;
    }

    static int get16(final UnsafeBuffer b, final int at)
    {
        return b.getShort(at, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static void put16(final UnsafeBuffer b, final int at, final int value)
    {
        b.putShort(at, (short)value, ByteOrder.BIG_ENDIAN);
    }

    /**
     * The rewrite both NAT nodes make once a connection's translation is decided: a packet of a translated
     * direction gets its {@code field} ({@link #SOURCE} for SNAT, {@link #DESTINATION} for DNAT) set to what the
     * other direction's tuple says, and a reply gets the other node's translation undone; an ICMP error about
     * the connection (related) has its quoted header rewritten too. Returns false, for the node to drop the
     * packet, when the connection's translation failed. Worker thread; allocates nothing.
     */
    boolean translateDecided(final ConnectionTable table, final PacketPool pool, final UnsafeBuffer buffer,
        final int handle, final int ip, final int entry, final int direction, final boolean related, final int field)
    {
        final int flags = table.flags(entry);
        if ((flags & ConnectionFlags.F_NAT_FAILED) != 0)
        {
            return false;
        }
        final int ours = field == DESTINATION ? ConnectionFlags.F_DNAT : ConnectionFlags.F_SNAT;
        final int theirs = field == DESTINATION ? ConnectionFlags.F_SNAT : ConnectionFlags.F_DNAT;
        if ((flags & (direction == ConnectionTable.ORIGINAL ? ours : theirs)) == 0)
        {
            return true;
        }
        final int other = (entry << 1) | (direction ^ 1);
        final long key1 = table.key1(other);
        final long key2 = table.key2(other);
        final int address = field == DESTINATION ? Tuples.source(key1) : Tuples.destination(key1);
        final int port = field == DESTINATION ? Tuples.sourcePort(key2) : Tuples.destinationPort(key2);
        final int l4 = ip + (buffer.getByte(ip) & 0xF) * 4;
        if (related)
        {
            final int end = ip + (buffer.getShort(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF);
            rewriteIcmpError(buffer, ip, l4, end, field, address, port);
        }
        else
        {
            rewrite(buffer, ip, l4, table.protocol(entry), partialChecksum(pool, handle, l4), field, address, port);
        }
        return true;
    }
}
