package io.berth.conntrack;

import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.flyweight.TcpFlyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The conntrack stage's IPv6 half (issue 27): builds an IPv6 packet's tuple from its addresses' {@link Ipv6Tokens}
 * and hands it to the same TCP, UDP and echo tracking as IPv4 ({@link ConntrackNode}), so timeouts, limits and
 * states are one. ICMPv6 echo (128/129) is keyed by its identifier; ICMPv6 errors (destination unreachable, packet
 * too big, time exceeded, parameter problem) are RELATED to the connection of the packet they quote. Fragments
 * (a Fragment header in the chain) and other protocols pass untracked; neighbour discovery never reaches this stage.
 * Worker thread (the node's); allocation-free.
 */
final class Ipv6Tracking
{
    private static final int ECHO_REQUEST = 128;
    private static final int ECHO_REPLY = 129;
    private static final int ICMP_HEADER = 8;

    private final ConntrackNode node;
    private final ConnectionTable table;
    private final Ipv6Tokens tokens;
    private final CtInfo info;
    private final ConntrackCounters counters;

    Ipv6Tracking(final ConntrackNode node, final ConnectionTable table, final Ipv6Tokens tokens, final CtInfo info)
    {
        this.node = node;
        this.table = table;
        this.tokens = tokens;
        this.info = info;
        this.counters = table.counters();
    }

    /** One of {@link ConntrackNode}'s verdicts. */
    int track(final UnsafeBuffer buffer, final int handle, final long now)
    {
        final int frame = node.graph().pool().frameOffset(handle);
        final int end = frame + node.graph().pool().frameLength(handle);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        if (!Ipv6Header.isIpv6(buffer, ip) || ip + Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip) > end)
        {
            return ConntrackNode.TRUNCATED;
        }
        final int packetEnd = ip + Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, ip);
        final long upper = Ipv6Header.upperLayer(buffer, ip, packetEnd);
        if (upper == Ipv6Header.FRAGMENT)
        {
            counters.count(ConntrackCounter.FRAGMENT);
            info.untracked(handle);
            return ConntrackNode.PASS;
        }
        if (upper == Ipv6Header.MALFORMED)
        {
            return ConntrackNode.TRUNCATED;
        }
        final int protocol = Ipv6Header.protocolOf(upper);
        final int l4 = Ipv6Header.offsetOf(upper);
        final int l4Length = packetEnd - l4;
        node.packetLength = packetEnd - ip;
        switch (protocol)
        {
            case 6:
                if (l4Length < TcpFlyweight.MIN_HEADER_LENGTH)
                {
                    return ConntrackNode.TRUNCATED;
                }
                break;
            case 17:
                if (l4Length < UdpFlyweight.HEADER_LENGTH)
                {
                    return ConntrackNode.TRUNCATED;
                }
                break;
            case Ipv6Header.PROTO_ICMPV6:
                if (l4Length < ICMP_HEADER)
                {
                    return ConntrackNode.TRUNCATED;
                }
                final int type = buffer.getByte(l4) & 0xFF;
                if (type >= 1 && type <= 4)
                {
                    return related(buffer, handle, now, l4, l4Length);
                }
                if (type != ECHO_REQUEST && type != ECHO_REPLY)
                {
                    return node.untracked(handle);
                }
                break;
            default:
                return node.untracked(handle);
        }
        final int source = tokens.intern(Ipv6Header.sourceHi(buffer, ip), Ipv6Header.sourceLo(buffer, ip));
        final int destination = tokens.intern(Ipv6Header.destinationHi(buffer, ip), Ipv6Header.destinationLo(buffer, ip));
        if (source == Ipv6Tokens.NO_TOKEN || destination == Ipv6Tokens.NO_TOKEN)
        {
            tokens.dropIfUnused(source);
            counters.count(ConntrackCounter.REFUSED_FULL);
            return ConntrackNode.REFUSED_FULL; // as many addresses as the table allows are tracked already
        }
        final long k1 = Tuples.key1(source, destination);
        final int verdict;
        if (protocol == Ipv6Header.PROTO_ICMPV6)
        {
            final int identifier = port(buffer, l4 + 4);
            verdict = node.echo(handle, now, (buffer.getByte(l4) & 0xFF) == ECHO_REQUEST, k1,
                Tuples.key2v6(Ipv6Header.PROTO_ICMPV6, identifier, identifier));
        }
        else if (protocol == 6)
        {
            verdict = node.tcp(handle, now, k1, Tuples.key2v6(6, port(buffer, l4), port(buffer, l4 + 2)),
                buffer.getByte(l4 + TcpFlyweight.FLAGS_OFFSET) & 0xFF);
        }
        else
        {
            verdict = node.udp(handle, now, k1, Tuples.key2v6(17, port(buffer, l4), port(buffer, l4 + 2)));
        }
        tokens.dropIfUnused(source); // the packet made no connection after all (invalid, refused)
        tokens.dropIfUnused(destination);
        return verdict;
    }

    /**
     * <pre>
     *  outer IPv6 | ICMPv6 type code csum (4) word (4) | quoted IPv6 header (40) | as much of its payload as fits
     * </pre>
     */
    private int related(final UnsafeBuffer buffer, final int handle, final long now, final int l4, final int l4Length)
    {
        final int inner = l4 + ICMP_HEADER;
        final int end = l4 + l4Length;
        if (end - inner < Ipv6Header.LENGTH + 8 || !Ipv6Header.isIpv6(buffer, inner))
        {
            return ConntrackNode.INVALID;
        }
        final long upper = Ipv6Header.upperLayer(buffer, inner, end);
        if (upper < 0 || Ipv6Header.offsetOf(upper) + 8 > end)
        {
            return ConntrackNode.INVALID;
        }
        final int innerProtocol = Ipv6Header.protocolOf(upper);
        final int innerL4 = Ipv6Header.offsetOf(upper);
        final long k2;
        if (innerProtocol == 6 || innerProtocol == 17)
        {
            k2 = Tuples.key2v6(innerProtocol, port(buffer, innerL4 + 2), port(buffer, innerL4)); // its inverse
        }
        else if (innerProtocol == Ipv6Header.PROTO_ICMPV6 && (buffer.getByte(innerL4) & 0xFF) == ECHO_REQUEST
            || innerProtocol == Ipv6Header.PROTO_ICMPV6 && (buffer.getByte(innerL4) & 0xFF) == ECHO_REPLY)
        {
            final int identifier = port(buffer, innerL4 + 4);
            k2 = Tuples.key2v6(Ipv6Header.PROTO_ICMPV6, identifier, identifier);
        }
        else
        {
            return ConntrackNode.INVALID; // never an error about an error
        }
        final int innerSource = tokens.find(Ipv6Header.sourceHi(buffer, inner), Ipv6Header.sourceLo(buffer, inner));
        final int innerDestination = tokens.find(Ipv6Header.destinationHi(buffer, inner),
            Ipv6Header.destinationLo(buffer, inner));
        if (innerSource == Ipv6Tokens.NO_TOKEN || innerDestination == Ipv6Tokens.NO_TOKEN)
        {
            return ConntrackNode.INVALID;
        }
        final int ref = table.find(Tuples.key1(innerDestination, innerSource), k2, now);
        if (ref == ConnectionTable.NOT_FOUND)
        {
            return ConntrackNode.INVALID;
        }
        counters.count(ConntrackCounter.RELATED);
        info.set(handle, ConnectionTable.entry(ref), ConnectionTable.direction(ref), CtInfo.RELATED,
            table.generation(ConnectionTable.entry(ref)));
        return ConntrackNode.PASS;
    }

    long hi(final int token)
    {
        return tokens.hi(token);
    }

    long lo(final int token)
    {
        return tokens.lo(token);
    }

    private static int port(final UnsafeBuffer buffer, final int offset)
    {
        return buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
