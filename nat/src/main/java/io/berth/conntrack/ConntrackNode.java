package io.berth.conntrack;

import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.IcmpFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import io.berth.dataplane.flyweight.UdpFlyweight;
import io.berth.dataplane.graph.Arc;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.berth.conntrack.ConnectionFlags.F_ASSURED;
import static io.berth.conntrack.ConnectionFlags.F_DNAT;
import static io.berth.conntrack.ConnectionFlags.F_DNAT_DONE;
import static io.berth.conntrack.ConnectionFlags.F_PICKED_UP;
import static io.berth.conntrack.ConnectionFlags.F_PICKED_UP_REPLY;
import static io.berth.conntrack.ConnectionFlags.F_SEEN_REPLY;
import static io.berth.conntrack.ConnectionFlags.F_SNAT_DONE;
import static io.berth.conntrack.ConnectionTable.NOT_FOUND;
import static io.berth.conntrack.ConnectionTable.ORIGINAL;
import static io.berth.conntrack.ConnectionTable.REPLY;

/**
 * Conntrack stage: finds or creates every IPv4 TCP/UDP/ICMP-echo packet's connection, advances its state,
 * refreshes its timer, and records entry, direction and class in {@link CtInfo} for the NAT stages after it.
 * <ul>
 * <li>TCP: a bare SYN creates a connection (see {@link TcpTracker}), and so may a mid-stream packet where the
 * {@link MidstreamPickup} allows it; UDP: any datagram creates one,
 * UNREPLIED until the other side answers, then REPLIED and assured; ICMP: an echo request creates one keyed by
 * its identifier, the matching echo reply must travel in the reply direction.</li>
 * <li>ICMP errors (destination unreachable, time exceeded, parameter problem) are RELATED to the connection of
 * the header they quote: the quoted packet went the other way, so its inverse tuple is looked up and the
 * error travels in that key's direction. An error quoting no known connection is INVALID.</li>
 * <li>INVALID packets are counted and, by default, dropped (a stray ACK from a container would otherwise leave
 * un-translated, as kube-proxy found); new connections beyond the table limit are refused, counted and dropped.
 * Non-IPv4 frames, fragments and other protocols pass untracked.</li>
 * </ul>
 * Expects frames checked by {@code ParseNode} (IPv4 header and total length within the frame). Reads the clock
 * once per batch. Worker thread; allocation-free.
 */
public final class ConntrackNode extends Node
{
    private final ConnectionTable table;
    private final ConntrackCounters counters;
    private final CtInfo info;
    private final Timeouts timeouts;
    private final EpochClock clock;
    private final boolean dropInvalid;
    private final MidstreamPickup pickup;
    private final Arc next = declareArc("next");
    /** IPv6 packets, tracked or not, when connected (their own NAT and routing stages); else {@code next}. */
    private final Arc ipv6 = declareOptionalArc("ipv6");
    private Ipv6Tracking ipv6Tracking;
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    /** IP bytes of the packet being tracked, for the entry's accounting. */
    int packetLength;

    /**
     * @param dropInvalid drop INVALID packets (else they pass untracked and untranslated).
     * Arc {@code next} takes every packet not dropped.
     */
    public ConntrackNode(
        final ConnectionTable table, final CtInfo info, final Timeouts timeouts, final EpochClock clock,
        final boolean dropInvalid)
    {
        this(table, info, timeouts, clock, dropInvalid, MidstreamPickup.STRICT);
    }

    /**
     * @param pickup which mid-stream TCP packets for no known connection create one (Linux's tcp_loose); with
     *               {@link MidstreamPickup#STRICT} only a SYN does.
     */
    public ConntrackNode(
        final ConnectionTable table, final CtInfo info, final Timeouts timeouts, final EpochClock clock,
        final boolean dropInvalid, final MidstreamPickup pickup)
    {
        super("conntrack", DropReason.L4_TRUNCATED, ConntrackDrops.CT_INVALID, ConntrackDrops.CT_TABLE_FULL,
            ConntrackDrops.CT_CLASH);
        this.table = table;
        this.counters = table.counters();
        this.info = info;
        this.timeouts = timeouts;
        this.clock = clock;
        this.dropInvalid = dropInvalid;
        this.pickup = pickup;
    }

    @Override
    protected void process(final PacketBatch batch)
    {
        final PacketPool pool = graph.pool();
        final UnsafeBuffer buffer = pool.buffer();
        final long now = clock.time();
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            final boolean isIpv6 = ipv6Tracking != null && isIpv6(buffer, pool.frameOffset(handle), pool.frameLength(handle));
            final int verdict = isIpv6 ? ipv6Tracking.track(buffer, handle, now) : track(pool, buffer, handle, now);
            if (verdict == PASS)
            {
                graph.enqueue(isIpv6 && ipv6.connected() ? ipv6 : next, handle);
            }
            else if (verdict == TRUNCATED)
            {
                counters.count(ConntrackCounter.L4_TRUNCATED);
                graph.drop(handle, DropReason.L4_TRUNCATED);
            }
            else if (verdict == INVALID)
            {
                counters.count(ConntrackCounter.INVALID);
                if (dropInvalid)
                {
                    graph.drop(handle, ConntrackDrops.CT_INVALID);
                }
                else
                {
                    info.untracked(handle);
                    graph.enqueue(isIpv6 && ipv6.connected() ? ipv6 : next, handle);
                }
            }
            else
            {
                graph.drop(handle, verdict == REFUSED_FULL ? ConntrackDrops.CT_TABLE_FULL : ConntrackDrops.CT_CLASH);
            }
        }
    }

    static final int PASS = 0;
    static final int TRUNCATED = 1;
    static final int INVALID = 2;
    static final int REFUSED_FULL = 3;
    static final int REFUSED_CLASH = 4;

    /** Setup time: IPv6 is tracked too, its addresses as {@code tokens} (which the table must know, see onKeys). */
    public void trackIpv6(final Ipv6Tokens tokens)
    {
        ipv6Tracking = new Ipv6Tracking(this, table, tokens, info);
    }

    private static boolean isIpv6(final UnsafeBuffer buffer, final int frame, final int length)
    {
        return length >= EthernetFlyweight.HEADER_LENGTH + 40
            && (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == EthernetFlyweight.TYPE_IPV6;
    }

    private int track(final PacketPool pool, final UnsafeBuffer buffer, final int handle, final long now)
    {
        final int frame = pool.frameOffset(handle);
        final int frameLength = pool.frameLength(handle);
        if (frameLength < EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
            || (buffer.getShort(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != EthernetFlyweight.TYPE_IPV4)
        {
            return untracked(handle);
        }
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        ipv4.wrap(buffer, ip);
        if (ipv4.isFragment())
        {
            counters.count(ConntrackCounter.FRAGMENT);
            info.untracked(handle);
            return PASS;
        }
        final int headerLength = ipv4.headerLength();
        // a GSO frame's header may carry 0 (a 64 KiB super-frame): then the frame says how much it holds
        packetLength = ipv4.totalLength() != 0 ? ipv4.totalLength() : frameLength - EthernetFlyweight.HEADER_LENGTH;
        final int l4 = ip + headerLength;
        final int l4Length = ipv4.totalLength() - headerLength;
        final int source = ipv4.source();
        final int destination = ipv4.destination();
        switch (ipv4.protocol())
        {
            case Ipv4Flyweight.PROTO_TCP:
                if (l4Length < TcpFlyweight.MIN_HEADER_LENGTH)
                {
                    return TRUNCATED;
                }
                return tcp(handle, now, Tuples.key1(source, destination), Tuples.key2(Ipv4Flyweight.PROTO_TCP,
                    port(buffer, l4), port(buffer, l4 + 2)), buffer.getByte(l4 + TcpFlyweight.FLAGS_OFFSET) & 0xFF);
            case Ipv4Flyweight.PROTO_UDP:
                if (l4Length < UdpFlyweight.HEADER_LENGTH)
                {
                    return TRUNCATED;
                }
                return udp(handle, now, Tuples.key1(source, destination),
                    Tuples.key2(Ipv4Flyweight.PROTO_UDP, port(buffer, l4), port(buffer, l4 + 2)));
            case Ipv4Flyweight.PROTO_ICMP:
                if (l4Length < IcmpFlyweight.HEADER_LENGTH)
                {
                    return TRUNCATED;
                }
                return icmp(buffer, handle, now, source, destination, l4, l4Length);
            default:
                return untracked(handle);
        }
    }

    int untracked(final int handle)
    {
        counters.count(ConntrackCounter.UNTRACKED);
        info.untracked(handle);
        return PASS;
    }

    int tcp(final int handle, final long now, final long k1, final long k2, final int tcpFlags)
    {
        final int ref = table.find(k1, k2, now);
        if (ref == NOT_FOUND)
        {
            if (TcpTracker.opens(tcpFlags))
            {
                return created(handle, table.create(k1, k2, ConnState.SYN_SENT, 0, now + timeouts.tcpMillis(ConnState.SYN_SENT), now));
            }
            return TcpTracker.continues(tcpFlags) ? pickUp(handle, now, k1, k2, tcpFlags) : INVALID;
        }
        final int entry = ConnectionTable.entry(ref);
        final int direction = ConnectionTable.direction(ref);
        final int state = TcpTracker.track(table, entry, direction, tcpFlags);
        if (state == TcpTracker.INVALID)
        {
            return INVALID;
        }
        if (state >= 0)
        {
            table.refresh(entry, now + tcpTimeout(entry, direction, state));
        }
        if (state == ConnState.SYN_SENT && table.hasFlags(entry, ConnectionFlags.F_FLOW_ENDED))
        {
            table.restartFlow(entry, now); // a new SYN on a closed connection's tuple
        }
        final int verdict = classified(handle, entry, direction, now);
        final int current = table.state(entry);
        if (current == ConnState.TIME_WAIT || current == ConnState.CLOSE) // a RST always leads to CLOSE
        {
            table.flowClosed(entry, current == ConnState.CLOSE ? FlowEnd.RESET : FlowEnd.FIN, now);
        }
        return verdict;
    }

    /**
     * A picked-up connection lives on the short "unacknowledged" timeout until the other end is heard from too
     * (then it is assured): a stray ACK cannot hold an entry for hours.
     */
    private long tcpTimeout(final int entry, final int direction, final int state)
    {
        final int flags = table.flags(entry);
        if ((flags & F_PICKED_UP) == 0)
        {
            return timeouts.tcpMillis(state);
        }
        if (((flags & F_PICKED_UP_REPLY) != 0) != (direction == REPLY))
        {
            table.clearFlags(entry, F_PICKED_UP | F_PICKED_UP_REPLY);
            table.addFlags(entry, F_ASSURED);
            return timeouts.tcpMillis(state);
        }
        return Math.min(timeouts.tcpMillis(state), timeouts.tcpUnacknowledgedMillis());
    }

    /**
     * A mid-stream packet for no connection (berthd was restarted without its tables, or the entry expired while
     * both ends were idle): re-create the connection as {@link MidstreamPickup} says, in the state the packet
     * shows, or call it INVALID.
     */
    private int pickUp(final int handle, final long now, final long k1, final long k2, final int tcpFlags)
    {
        if (Tuples.isIpv6(k2))
        {
            return pickUp6(handle, now, k1, k2, tcpFlags);
        }
        final int source = Tuples.source(k1);
        final int destination = Tuples.destination(k1);
        final long outside = pickup.publishedAt(source, Tuples.sourcePort(k2), destination);
        if (outside != MidstreamPickup.NONE)
        {
            // the reply of a connection the peer made to a published port: re-create it as it was made
            final long original1 = Tuples.key1(destination, MidstreamPickup.outsideAddress(outside));
            final long original2 = Tuples.key2(Ipv4Flyweight.PROTO_TCP, Tuples.destinationPort(k2),
                MidstreamPickup.outsidePort(outside));
            if (table.lookup(original1, original2) != NOT_FOUND)
            {
                return INVALID; // the peer's tuple is some other connection's: not ours to guess
            }
            final int entry = table.create(original1, original2, ConnState.ESTABLISHED,
                F_PICKED_UP | F_PICKED_UP_REPLY | F_DNAT | F_DNAT_DONE | F_SNAT_DONE,
                now + timeouts.tcpUnacknowledgedMillis(), now);
            if (entry < 0)
            {
                return refusal(entry);
            }
            if (!table.reply(entry, k1, k2))
            {
                table.remove(entry, FlowEnd.REMOVED, now);
                return REFUSED_CLASH;
            }
            return pickedUp(handle, now, entry, REPLY, tcpFlags);
        }
        if (!pickup.mayOpen(source, Tuples.sourcePort(k2), destination, Tuples.destinationPort(k2)))
        {
            return INVALID;
        }
        final int entry = table.create(k1, k2, ConnState.ESTABLISHED, F_PICKED_UP,
            now + timeouts.tcpUnacknowledgedMillis(), now);
        if (entry < 0)
        {
            return refusal(entry);
        }
        return pickedUp(handle, now, entry, ORIGINAL, tcpFlags);
    }

    /** IPv6: picked up in the direction it comes, unless it is for berthd's own address ({@link MidstreamPickup#mayOpen6}). */
    private int pickUp6(final int handle, final long now, final long k1, final long k2, final int tcpFlags)
    {
        final int destination = Tuples.destination(k1);
        if (ipv6Tracking == null || !pickup.mayOpen6(ipv6Tracking.hi(destination), ipv6Tracking.lo(destination)))
        {
            return INVALID;
        }
        final int entry = table.create(k1, k2, ConnState.ESTABLISHED, F_PICKED_UP,
            now + timeouts.tcpUnacknowledgedMillis(), now);
        if (entry < 0)
        {
            return refusal(entry);
        }
        return pickedUp(handle, now, entry, ORIGINAL, tcpFlags);
    }

    private int pickedUp(final int handle, final long now, final int entry, final int direction, final int tcpFlags)
    {
        counters.count(ConntrackCounter.PICKED_UP);
        final int state = TcpTracker.track(table, entry, direction, tcpFlags); // a FIN moves it on at once
        table.refresh(entry, now + tcpTimeout(entry, direction, state >= 0 ? state : ConnState.ESTABLISHED));
        return classified(handle, entry, direction, now);
    }

    int udp(final int handle, final long now, final long k1, final long k2)
    {
        final int ref = table.find(k1, k2, now);
        if (ref == NOT_FOUND)
        {
            return created(handle, table.create(k1, k2, ConnState.UNREPLIED, 0, now + timeouts.udpMillis(false), now));
        }
        final int entry = ConnectionTable.entry(ref);
        final int direction = ConnectionTable.direction(ref);
        if (direction == REPLY)
        {
            table.addFlags(entry, F_SEEN_REPLY | F_ASSURED);
            table.state(entry, ConnState.REPLIED);
        }
        table.refresh(entry, now + timeouts.udpMillis(table.hasFlags(entry, F_ASSURED)));
        return classified(handle, entry, direction, now);
    }

    private int icmp(final UnsafeBuffer buffer, final int handle, final long now, final int source, final int destination, final int l4, final int l4Length)
    {
        final int type = buffer.getByte(l4 + IcmpFlyweight.TYPE_OFFSET) & 0xFF;
        switch (type)
        {
            case IcmpFlyweight.TYPE_ECHO_REQUEST:
            case IcmpFlyweight.TYPE_ECHO_REPLY:
                return echo(handle, now, type == IcmpFlyweight.TYPE_ECHO_REQUEST, Tuples.key1(source, destination),
                    echoKey2(port(buffer, l4 + IcmpFlyweight.IDENTIFIER_OFFSET)));
            case IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE:
            case IcmpFlyweight.TYPE_TIME_EXCEEDED:
            case TYPE_PARAMETER_PROBLEM:
                return icmpError(buffer, handle, now, l4, l4Length);
            default:
                return untracked(handle);
        }
    }

    static final int TYPE_PARAMETER_PROBLEM = 12;

    int echo(final int handle, final long now, final boolean request, final long k1, final long k2)
    {
        final int ref = table.find(k1, k2, now);
        if (ref == NOT_FOUND)
        {
            if (!request)
            {
                return INVALID; // a reply to nothing we saw
            }
            return created(handle, table.create(k1, k2, ConnState.UNREPLIED, 0, now + timeouts.icmpMillis(), now));
        }
        final int entry = ConnectionTable.entry(ref);
        final int direction = ConnectionTable.direction(ref);
        if (request != (direction == ORIGINAL))
        {
            return INVALID;
        }
        if (direction == REPLY)
        {
            table.addFlags(entry, F_SEEN_REPLY | F_ASSURED);
            table.state(entry, ConnState.REPLIED);
        }
        table.refresh(entry, now + timeouts.icmpMillis());
        return classified(handle, entry, direction, now);
    }

    /**
     * <pre>
     *  outer IPv4 | ICMP type code csum unused(4) | quoted IPv4 header (IHL*4) | first 8 bytes of its payload
     * </pre>
     */
    private int icmpError(final UnsafeBuffer buffer, final int handle, final long now, final int l4, final int l4Length)
    {
        final int inner = l4 + IcmpFlyweight.HEADER_LENGTH;
        final int available = l4Length - IcmpFlyweight.HEADER_LENGTH;
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return TRUNCATED;
        }
        final int versionIhl = buffer.getByte(inner) & 0xFF;
        final int innerHeaderLength = (versionIhl & 0xF) * 4;
        if ((versionIhl >>> 4) != 4 || innerHeaderLength < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return INVALID;
        }
        if (available < innerHeaderLength + 8)
        {
            return TRUNCATED;
        }
        final int innerSource = buffer.getInt(inner + Ipv4Flyweight.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int innerDestination = buffer.getInt(inner + Ipv4Flyweight.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int innerL4 = inner + innerHeaderLength;
        final int innerProtocol = buffer.getByte(inner + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF;
        final long k2;
        switch (innerProtocol)
        {
            case Ipv4Flyweight.PROTO_TCP:
            case Ipv4Flyweight.PROTO_UDP:
                // the quoted packet went the other way: look up its inverse
                k2 = Tuples.key2(innerProtocol, port(buffer, innerL4 + 2), port(buffer, innerL4));
                break;
            case Ipv4Flyweight.PROTO_ICMP:
                final int innerType = buffer.getByte(innerL4) & 0xFF;
                if (innerType != IcmpFlyweight.TYPE_ECHO_REQUEST && innerType != IcmpFlyweight.TYPE_ECHO_REPLY)
                {
                    return INVALID; // never an error about an error
                }
                k2 = echoKey2(port(buffer, innerL4 + IcmpFlyweight.IDENTIFIER_OFFSET));
                break;
            default:
                return INVALID;
        }
        final int ref = table.find(Tuples.key1(innerDestination, innerSource), k2, now);
        if (ref == NOT_FOUND)
        {
            return INVALID;
        }
        counters.count(ConntrackCounter.RELATED);
        info.set(handle, ConnectionTable.entry(ref), ConnectionTable.direction(ref), CtInfo.RELATED);
        return PASS;
    }

    /** The verdict for a table refusal ({@link ConnectionTable#REFUSED_FULL} or {@link ConnectionTable#REFUSED_CLASH}). */
    static int refusal(final int tableResult)
    {
        return tableResult == ConnectionTable.REFUSED_FULL ? REFUSED_FULL : REFUSED_CLASH;
    }

    private int created(final int handle, final int entry)
    {
        if (entry < 0)
        {
            return refusal(entry);
        }
        info.set(handle, entry, ORIGINAL, CtInfo.NEW, table.generation(entry));
        table.account(entry, ORIGINAL, packetLength);
        return PASS;
    }

    int classified(final int handle, final int entry, final int direction, final long now)
    {
        final boolean fresh = direction == ORIGINAL && !table.hasFlags(entry, F_SEEN_REPLY);
        info.set(handle, entry, direction, fresh ? CtInfo.NEW : CtInfo.ESTABLISHED, table.generation(entry));
        table.account(entry, direction, packetLength);
        if (direction == REPLY)
        {
            table.flowAnswered(entry, now); // the other side answered: the flow log's start
        }
        return PASS;
    }

    static long echoKey2(final int identifier)
    {
        return Tuples.key2(Ipv4Flyweight.PROTO_ICMP, identifier, identifier);
    }

    private static int port(final UnsafeBuffer buffer, final int offset)
    {
        return buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
