package io.berth.l3;

import io.berth.dataplane.Housekeeping;
import io.berth.dataplane.Ipv6AddressSet;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import io.berth.dataplane.graph.Node;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Neighbour discovery for IPv6 next hops on the uplink (issue 27), the IPv6 twin of {@link NeighborResolver} and
 * the learned part of {@link NeighborTable}: what Neighbor Advertisements (and solicitations for berthd's own
 * address) taught, bounded ({@link Ipv6AddressSet}) and aged a slice at a time; packets whose next hop is unknown wait (a few, at most {@link #WAIT_MILLIS})
 * while a Neighbor Solicitation goes to the next hop's solicited-node multicast group. Worker thread;
 * allocation-free after construction.
 */
public final class Ipv6Neighbors implements Housekeeping
{
    public static final long NO_MAC = -1;
    static final int WAITING_CAPACITY = 64;
    static final long WAIT_MILLIS = 1000;
    static final long REQUEST_INTERVAL_MILLIS = 250;
    /** A neighbour not heard from for this long is asked again (RFC 4861's reachable time, generously). */
    static final long STALE_MILLIS = 300_000;
    private static final int AGING_SLICE = 64;
    private static final int SOLICITATION_LENGTH = EthernetFlyweight.HEADER_LENGTH + Ipv6Header.LENGTH + 32;

    private final Router6 router;
    private final PortTable ports;
    private Node routeNode;
    private final Ipv6AddressSet addresses;
    private final long[] mac;
    private final long[] heard;
    /** Where the next aging pass starts: a slice of places per call, so housekeeping stays short. */
    private int agingCursor;
    private long refusedFull;

    private final int[] waiting = new int[WAITING_CAPACITY];
    private final long[] waitingHi = new long[WAITING_CAPACITY];
    private final long[] waitingLo = new long[WAITING_CAPACITY];
    private final long[] since = new long[WAITING_CAPACITY];
    private int waitingCount;
    private long lastRequestHi;
    private long lastRequestLo;
    private long lastRequestAt = Long.MIN_VALUE;

    public Ipv6Neighbors(final Router6 router, final PortTable ports, final int capacity)
    {
        this.router = router;
        this.ports = ports;
        addresses = new Ipv6AddressSet(capacity);
        mac = new long[capacity];
        heard = new long[capacity];
    }

    /** Setup time: where packets go back once their next hop answered. */
    public void routeNode(final Node node)
    {
        this.routeNode = node;
    }

    /** The next hop's MAC, or {@link #NO_MAC}. */
    public long mac(final long addressHi, final long addressLo)
    {
        final int at = addresses.find(addressHi, addressLo);
        return at == Ipv6AddressSet.NONE ? NO_MAC : mac[at];
    }

    public int size()
    {
        return addresses.size();
    }

    public long refusedFull()
    {
        return refusedFull;
    }

    /** What a Neighbor Advertisement or Solicitation on the uplink taught; packets waiting for it go on. */
    public void learn(final long addressHi, final long addressLo, final long macAddress, final long nowMillis)
    {
        final int at = addresses.add(addressHi, addressLo);
        if (at == Ipv6AddressSet.NONE)
        {
            refusedFull++; // a LAN cannot grow the table without bound; the oldest go as they age
            return;
        }
        mac[at] = macAddress;
        heard[at] = nowMillis;
        int kept = 0;
        for (int i = 0; i < waitingCount; i++)
        {
            if (waitingHi[i] == addressHi && waitingLo[i] == addressLo)
            {
                routeNode.graph().enqueue(routeNode.index(), waiting[i]);
            }
            else
            {
                keep(i, kept++);
            }
        }
        waitingCount = kept;
    }

    /** Keeps the packet until {@code next hop} answers (or drops it when the queue is full). */
    public void park(final int handle, final long nextHi, final long nextLo, final long nowMillis)
    {
        if (waitingCount == WAITING_CAPACITY)
        {
            routeNode.graph().drop(handle, L3Drops.NEIGHBOR_UNRESOLVED);
            return;
        }
        routeNode.graph().pool().location(handle, PacketPool.PARKED);
        waiting[waitingCount] = handle;
        waitingHi[waitingCount] = nextHi;
        waitingLo[waitingCount] = nextLo;
        since[waitingCount] = nowMillis;
        waitingCount++;
        if (nextHi != lastRequestHi || nextLo != lastRequestLo || nowMillis - lastRequestAt >= REQUEST_INTERVAL_MILLIS)
        {
            solicit(nextHi, nextLo, nowMillis);
        }
    }

    public int waiting()
    {
        return waitingCount;
    }

    @Override
    public int doWork(final long nowMillis)
    {
        int work = 0;
        int kept = 0;
        for (int i = 0; i < waitingCount; i++)
        {
            if (nowMillis - since[i] > WAIT_MILLIS)
            {
                routeNode.graph().drop(routeNode, waiting[i], L3Drops.NEIGHBOR_UNRESOLVED);
                work++;
                continue;
            }
            if (nowMillis - lastRequestAt >= REQUEST_INTERVAL_MILLIS)
            {
                solicit(waitingHi[i], waitingLo[i], nowMillis);
            }
            keep(i, kept++);
        }
        waitingCount = kept;
        for (int n = 0; n < AGING_SLICE; n++) // aged out: asked again when next needed
        {
            final int place = agingCursor;
            agingCursor = agingCursor + 1 == addresses.capacity() ? 0 : agingCursor + 1;
            if (addresses.isLive(place) && nowMillis - heard[place] > STALE_MILLIS)
            {
                addresses.remove(place);
                work++;
            }
        }
        return work;
    }

    private void keep(final int from, final int to)
    {
        waiting[to] = waiting[from];
        waitingHi[to] = waitingHi[from];
        waitingLo[to] = waitingLo[from];
        since[to] = since[from];
    }

    /**
     * Sends "who has target" from berthd's uplink address to the target's solicited-node group (ff02::1:ffXX:XXXX,
     * MAC 33:33:ff:XX:XX:XX), with berthd's MAC as source link-layer option: a pool packet, sent and released.
     */
    void solicit(final long targetHi, final long targetLo, final long nowMillis)
    {
        lastRequestHi = targetHi;
        lastRequestLo = targetLo;
        lastRequestAt = nowMillis;
        final Port uplink = router.ipv4().uplinkPort() < 0 ? null : ports.get(router.ipv4().uplinkPort());
        if (uplink == null || routeNode == null)
        {
            return;
        }
        final PacketPool pool = routeNode.graph().pool();
        final int handle = pool.allocate();
        if (handle == PacketPool.NO_PACKET)
        {
            return;
        }
        pool.clearVnetHeader(handle);
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final long ourMac = router.ipv4().uplinkMac();
        final int low24 = (int)(targetLo & 0xFF_FFFF);
        buffer.putShort(frame, (short)0x3333, ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 2, 0xFF00_0000 | low24, ByteOrder.BIG_ENDIAN);
        buffer.putShort(frame + 6, (short)(ourMac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(frame + 8, (int)ourMac, ByteOrder.BIG_ENDIAN);
        buffer.putShort(frame + 12, (short)EthernetFlyweight.TYPE_IPV6, ByteOrder.BIG_ENDIAN);
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        buffer.putInt(ip, 0x6000_0000, ByteOrder.BIG_ENDIAN);
        buffer.putShort(ip + 4, (short)32, ByteOrder.BIG_ENDIAN);
        buffer.putByte(ip + 6, (byte)Ipv6Header.PROTO_ICMPV6);
        buffer.putByte(ip + 7, (byte)255);
        buffer.putLong(ip + 8, router.uplinkHi(), ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + 16, router.uplinkLo(), ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + 24, 0xff02_0000_0000_0000L, ByteOrder.BIG_ENDIAN);
        buffer.putLong(ip + 32, 0x0000_0001_ff00_0000L | low24, ByteOrder.BIG_ENDIAN);
        final int icmp = ip + Ipv6Header.LENGTH;
        buffer.putInt(icmp, 135 << 24, ByteOrder.BIG_ENDIAN); // type 135, code 0, checksum 0 for now
        buffer.putInt(icmp + 4, 0);
        buffer.putLong(icmp + 8, targetHi, ByteOrder.BIG_ENDIAN);
        buffer.putLong(icmp + 16, targetLo, ByteOrder.BIG_ENDIAN);
        buffer.putByte(icmp + 24, (byte)1); // source link-layer address
        buffer.putByte(icmp + 25, (byte)1);
        buffer.putShort(icmp + 26, (short)(ourMac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(icmp + 28, (int)ourMac, ByteOrder.BIG_ENDIAN);
        Ipv6Header.icmpv6Checksum(buffer, ip, icmp, 32);
        pool.frameLength(handle, SOLICITATION_LENGTH);
        uplink.transmit(pool, handle);
        pool.release(handle);
    }
}
