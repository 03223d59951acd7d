package io.berth.control.dataplane;

import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.ConnectionText;
import io.berth.conntrack.CtInfo;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.GraphTracer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * berth trace on the worker: marks packets to follow (a synthetic one as it is injected, or the next N real ones
 * from one port that match) and records, at every node a marked packet is handed to, its headers, ports and
 * conntrack classification, then how it ended. Only marked packets are recorded, so the cost on others is the
 * graph's one field read; recording allocates (a trace is a debugging aid, armed for seconds). Worker thread; the
 * control side reads {@link #events()} by worker command.
 */
final class PacketTracer implements GraphTracer
{
    /** Bytes of each packet kept per node: Ethernet, IPv4 with options, and the L4 header. */
    static final int SNAPSHOT = 128;

    /** What a marked packet looked like as a node got it, or how it ended. */
    record Event(int packet, int node, String kind, String reason, byte[] frame, int frameLength, int inPort,
        int egress, int ctClass, int ctDirection, String ctEntry)
    {
    }

    private final PacketPool pool;
    private final ConnectionTable connections;
    private final CtInfo ctInfo;
    private final int conntrackNode;
    private final List<Event> events = new ArrayList<>();
    private final Set<Integer> pastConntrack = new HashSet<>();

    // --next: the real packets to follow
    private int matchPort = -1;
    private int matchDestination;
    private int matchProtocol;
    private int matchPort4 = -1;
    private int remaining;
    private int nextMark = 1;
    private boolean matchIpv6;
    private long matchHi;
    private long matchLo;

    PacketTracer(final PacketPool pool, final ConnectionTable connections, final CtInfo ctInfo, final int conntrackNode)
    {
        this.pool = pool;
        this.connections = connections;
        this.ctInfo = ctInfo;
        this.conntrackNode = conntrackNode;
    }

    /** Follow the next {@code count} packets arriving on {@code port} for {@code destination} (protocol 0: any; L4 port -1: any). */
    void follow(final int port, final int destination, final int protocol, final int l4Port, final int count)
    {
        matchIpv6 = false;
        matchPort = port;
        matchDestination = destination;
        matchProtocol = protocol;
        matchPort4 = l4Port;
        remaining = count;
    }

    /** {@link #follow}, for IPv6 packets to {@code hi}:{@code lo} (issue 27). */
    void follow6(final int port, final long hi, final long lo, final int protocol, final int l4Port, final int count)
    {
        follow(port, 0, protocol, l4Port, count);
        matchIpv6 = true;
        matchHi = hi;
        matchLo = lo;
    }

    /** A mark for a synthetic packet (negative: tx never sends it). */
    int syntheticMark()
    {
        return -(nextMark++);
    }

    List<Event> events()
    {
        return List.copyOf(events);
    }

    @Override
    public void entering(final int node, final PacketPool pool, final PacketBatch batch)
    {
        for (int i = 0, n = batch.count(); i < n; i++)
        {
            final int handle = batch.get(i);
            int mark = pool.trace(handle);
            if (mark == 0 && node == 0 && remaining > 0 && matches(pool, handle))
            {
                mark = nextMark++;
                remaining--;
                pool.trace(handle, mark);
            }
            if (mark == 0)
            {
                continue;
            }
            final boolean classified = pastConntrack.contains(mark);
            if (node == conntrackNode)
            {
                pastConntrack.add(mark);
            }
            String entry = null;
            int ctClass = -1;
            int direction = -1;
            if (classified)
            {
                ctClass = ctInfo.isTracked(handle) ? ctInfo.ctClass(handle) : CtInfo.UNTRACKED;
                if (ctInfo.isTracked(handle) && connections.isLive(ctInfo.entry(handle)))
                {
                    direction = ctInfo.direction(handle);
                    entry = ConnectionText.describe(connections, ctInfo.entry(handle), System.currentTimeMillis());
                }
            }
            events.add(new Event(Math.abs(mark), node, "enter", null, snapshot(pool, handle), pool.frameLength(handle),
                pool.inPort(handle), pool.egress(handle), ctClass, direction, entry));
        }
    }

    @Override
    public void ended(final int node, final int handle, final int how, final DropReason reason)
    {
        final String kind = switch (how)
        {
            case TRANSMITTED -> "tx";
            case DROPPED -> "drop";
            case DELIVERED -> "delivered";
            default -> "merged";
        };
        events.add(new Event(Math.abs(pool.trace(handle)), node, kind, reason == null ? null : reason.counterName()
            + ": " + reason.description(), null, 0, pool.inPort(handle), pool.egress(handle), -1, -1, null));
    }

    private boolean matches(final PacketPool pool, final int handle)
    {
        if (pool.inPort(handle) != matchPort || pool.frameLength(handle) < 34)
        {
            return false;
        }
        final UnsafeBuffer b = pool.buffer();
        final int f = pool.frameOffset(handle);
        if (matchIpv6)
        {
            return matches6(pool, b, handle, f);
        }
        if ((b.getShort(f + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0x0800
            || b.getInt(f + 30, ByteOrder.BIG_ENDIAN) != matchDestination)
        {
            return false;
        }
        final int protocol = b.getByte(f + 23) & 0xFF;
        if (matchProtocol != 0 && protocol != matchProtocol)
        {
            return false;
        }
        if (matchPort4 < 0)
        {
            return true;
        }
        final int l4 = f + 14 + (b.getByte(f + 14) & 0x0F) * 4;
        return (protocol == 6 || protocol == 17) && pool.frameLength(handle) >= l4 - f + 4
            && (b.getShort(l4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF) == matchPort4;
    }

    private boolean matches6(final PacketPool pool, final UnsafeBuffer b, final int handle, final int f)
    {
        final int ip = f + 14;
        if (pool.frameLength(handle) < 54 || (b.getShort(f + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0x86DD
            || Ipv6Header.destinationHi(b, ip) != matchHi || Ipv6Header.destinationLo(b, ip) != matchLo)
        {
            return false;
        }
        final long upper = Ipv6Header.upperLayer(b, ip, f + pool.frameLength(handle));
        if (upper < 0 || (matchProtocol != 0 && Ipv6Header.protocolOf(upper) != matchProtocol))
        {
            return false;
        }
        final int protocol = Ipv6Header.protocolOf(upper);
        final int l4 = Ipv6Header.offsetOf(upper);
        return matchPort4 < 0 || ((protocol == 6 || protocol == 17) && f + pool.frameLength(handle) >= l4 + 4
            && (b.getShort(l4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF) == matchPort4);
    }

    private static byte[] snapshot(final PacketPool pool, final int handle)
    {
        final byte[] bytes = new byte[Math.min(SNAPSHOT, pool.frameLength(handle))];
        pool.buffer().getBytes(pool.frameOffset(handle), bytes);
        return bytes;
    }
}
