package io.berth.l3.frag;

import io.berth.dataplane.Housekeeping;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.Ipv6Header;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import io.berth.dataplane.VarHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Full IPv4 reassembly of routed fragments, before conntrack (Linux's nf_defrag_ipv4, OVS's ipf): conntrack and
 * NAT then see each datagram whole, with its ports, and translate it like any other packet; the router fragments
 * it again for the egress MTU. Chosen over VPP's virtual reassembly because a pool slot already holds 64 KiB (a
 * TSO super-frame), so a datagram needs no extra memory, and because every stage after it stays as it is:
 * virtual reassembly would have to teach conntrack, both NAT stages and the ICMP-error path about non-first
 * fragments, and hold early fragments anyway.
 * <p>
 * One context per datagram in progress, keyed (source, destination, protocol, IP id), each owning one pool packet
 * that the fragments' payloads are copied into at their offset; received 8-byte blocks are a bitmap, so a
 * duplicate (every block seen) and an overlap (some seen) are told apart in a few word operations.
 * <pre>
 *  reassembly packet:  frameOffset   +DATA_OFFSET-hdr     +DATA_OFFSET
 *                      |  (unused)   | eth | IPv4 (ihl) | payload of fragment 0 | fragment 1 | ...
 *                                    ^ copied from the first fragment; the frame starts here when complete
 * </pre>
 * Bounds: at most {@code capacity} datagrams in all and {@code perSource} per source address; a new datagram
 * beyond either evicts the oldest (of that source, or of all), as Linux drops the oldest queue above its high
 * threshold, so a flood of first fragments holds a fixed number of packets and cannot lock out later traffic.
 * An incomplete datagram expires {@link #TIMEOUT_MILLIS} after its first fragment, as in Linux.
 * <p>
 * Owned by the worker thread; allocation-free after construction.
 */
public final class Reassembly implements Housekeeping
{
    public static final long TIMEOUT_MILLIS = 30_000;

    /** {@link #add}: taken in, the datagram is not complete yet. */
    public static final int HELD = 0;
    /** {@link #add}: taken in and the datagram is complete: {@link #completed()}. */
    public static final int COMPLETE = 1;
    /** {@link #add}: every block of it was received before; the copy is not taken. */
    public static final int DUPLICATE = -1;
    /** {@link #add}: overlaps what was received, or disagrees with the datagram's end; the datagram is dropped. */
    public static final int OVERLAP = -2;
    /** {@link #add}: reaches past 65,535 bytes. */
    public static final int TOO_BIG = -3;
    /** {@link #add}: a first fragment too short for the L4 ports, or a TCP fragment at offset 8 (RFC 1858). */
    public static final int TINY = -4;
    /** {@link #add}: empty, or not the last and not a multiple of 8 bytes. */
    public static final int MALFORMED = -5;
    /** {@link #add}: a new datagram, and the pool has no packet to build it in. */
    public static final int NO_BUFFER = -6;

    /** Where the payload starts in a reassembly packet: room for any Ethernet + IPv4 or IPv6 header before it. */
    static final int DATA_OFFSET = EthernetFlyweight.HEADER_LENGTH + Ipv6Fragments.MAX_UNFRAGMENTABLE;
    static final int MAX_DATAGRAM = 65535;
    private static final int WORDS = (MAX_DATAGRAM + 8 * 64 - 1) / (8 * 64); // 8-byte blocks, 64 per word
    private static final int NONE = -1;
    private static final int MF = 0x2000;
    private static final int OFFSET_MASK = 0x1FFF;
    private static final int EXPIRY_BATCH = 16;

    private final PacketPool pool;
    private final FragmentCounters counters;
    private final int capacity;
    private final int perSource;

    private final long[] key1;
    private final long[] key2;
    private final int[] handle;
    private final int[] source;
    private final int[] totalPayload; // -1 until the last fragment came
    private final int[] receivedBytes;
    private final int[] headerLength; // Ethernet + IPv4 of the first fragment; 0 until it came
    /** IPv6: where the next-header field that named the Fragment header is, from the frame's start; else NONE. */
    private final int[] patchAt;
    private final int[] upperProtocol;
    /** IPv6: the largest fragment (IPv6 packet bytes), the size it is cut into again on the way out. */
    private final int[] largestFragment;
    private final long[] deadline;
    private final long[] blocks;
    private final int[] nextFree;
    private int freeHead;
    private int size;
    // creation order, oldest first: intrusive doubly linked
    private final int[] older;
    private final int[] newer;
    private int oldest = NONE;
    private int newest = NONE;
    // index: open addressing, linear probing, backward-shift deletion
    private final int[] slots;
    private final int slotMask;
    private final Int2IntHashMap perSourceCount;

    private int completed = PacketPool.NO_PACKET;
    private final Ipv6Fragments ipv6;
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    /**
     * @param capacity  datagrams in reassembly at most (each holds one pool packet).
     * @param perSource of them from one source address at most.
     */
    public Reassembly(final PacketPool pool, final int capacity, final int perSource, final FragmentCounters counters)
    {
        if (capacity < 1 || capacity > pool.capacity() / 2 || perSource < 1 || perSource > capacity)
        {
            throw new IllegalArgumentException("fragment reassembly bound " + capacity + " (per source " + perSource +
                ") must be 1.." + pool.capacity() / 2 + " (half the packet pool), per source 1..bound");
        }
        this.pool = pool;
        this.ipv6 = new Ipv6Fragments(this);
        this.counters = counters;
        this.capacity = capacity;
        this.perSource = perSource;
        key1 = new long[capacity];
        key2 = new long[capacity];
        handle = new int[capacity];
        source = new int[capacity];
        totalPayload = new int[capacity];
        receivedBytes = new int[capacity];
        headerLength = new int[capacity];
        patchAt = new int[capacity];
        upperProtocol = new int[capacity];
        largestFragment = new int[capacity];
        deadline = new long[capacity];
        blocks = new long[capacity * WORDS];
        nextFree = new int[capacity];
        older = new int[capacity];
        newer = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : NONE;
            handle[i] = PacketPool.NO_PACKET;
        }
        final int slotCount = Integer.highestOneBit(capacity * 4 - 1) << 1;
        slots = new int[slotCount];
        slotMask = slotCount - 1;
        Arrays.fill(slots, NONE);
        perSourceCount = new Int2IntHashMap(capacity * 4, 0.5f, 0);
    }

    public int size()
    {
        return size;
    }

    PacketPool pool()
    {
        return pool;
    }

    /** {@link #size()} for any thread (counters): no worker command needed. */
    public int sizeAnyThread()
    {
        return (int)SIZE_VH.getAcquire(this);
    }

    private static final VarHandle SIZE_VH =
        VarHandles.field(MethodHandles.lookup(), "size", int.class);

    public int capacity()
    {
        return capacity;
    }

    /** The reassembled packet after {@link #add} returned {@link #COMPLETE}; it is the caller's now. */
    public int completed()
    {
        return completed;
    }

    /**
     * Takes in one fragment (an IPv4 packet whose MF flag or offset is set, checked by the parser): copies its
     * payload, never keeps the fragment's own packet (the caller releases it whatever the result).
     *
     * @return {@link #HELD}, {@link #COMPLETE}, or a negative refusal.
     */
    public int add(final int fragment, final long nowMillis)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int ip = pool.frameOffset(fragment) + EthernetFlyweight.HEADER_LENGTH;
        if (Ipv6Header.isIpv6(buffer, ip))
        {
            return ipv6.add(fragment, buffer, ip, nowMillis);
        }
        ipv4.wrap(buffer, ip);
        final int ihl = ipv4.headerLength();
        final int payloadLength = ipv4.totalLength() - ihl;
        final int flagsOffset = buffer.getShort(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int offset = (flagsOffset & OFFSET_MASK) * 8;
        final boolean more = (flagsOffset & MF) != 0;
        final int protocol = ipv4.protocol();
        if (payloadLength <= 0 || (more && (payloadLength & 7) != 0))
        {
            return MALFORMED;
        }
        if (offset + payloadLength + ihl > MAX_DATAGRAM)
        {
            return TOO_BIG;
        }
        if ((offset == 0 && payloadLength < minimumFirst(protocol)) || (offset == 8 && protocol == Ipv4Flyweight.PROTO_TCP))
        {
            return TINY;
        }
        final int src = ipv4.source();
        final long k1 = ((long)src << 32) | (ipv4.destination() & 0xFFFF_FFFFL);
        final long k2 = ((long)protocol << 16) | (buffer.getShort(ip + Ipv4Flyweight.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        return take(fragment, k1, k2, src, offset, payloadLength, more, ip + ihl, EthernetFlyweight.HEADER_LENGTH + ihl,
            NONE, 0, 0, nowMillis);
    }

    /**
     * What both families share once a fragment is parsed: the datagram found or made, overlaps and duplicates
     * refused, the payload copied to its offset, the header taken from the first fragment ({@code header} bytes
     * from the frame's start; for IPv6 {@code patch} is where, from the frame's start, the next-header field that
     * named the Fragment header is, to name {@code protocol} instead, and {@code fragmentBytes} the fragment's
     * size, the largest of which the datagram is cut into again on the way out).
     */
    int take(final int fragment, final long k1, final long k2, final int src, final int offset,
        final int payloadLength, final boolean more, final int payloadAt, final int header, final int patch,
        final int protocol, final int fragmentBytes, final long nowMillis)
    {
        final UnsafeBuffer buffer = pool.buffer();
        int entry = find(k1, k2);
        if (entry == NONE)
        {
            entry = create(k1, k2, src, nowMillis);
            if (entry == NONE)
            {
                return NO_BUFFER;
            }
        }
        final int end = offset + payloadLength;
        final int known = totalPayload[entry];
        if ((!more && known >= 0 && known != end) || (known >= 0 && end > known))
        {
            discard(entry);
            return OVERLAP; // two different ends, or data past the end
        }
        final int firstBlock = offset >>> 3;
        final int lastBlock = (end + 7 >>> 3) - 1;
        final int seen = countSeen(entry, firstBlock, lastBlock);
        if (seen == lastBlock - firstBlock + 1)
        {
            return DUPLICATE;
        }
        if (seen > 0)
        {
            discard(entry);
            return OVERLAP;
        }
        markSeen(entry, firstBlock, lastBlock);
        if (!more)
        {
            totalPayload[entry] = end;
        }
        final int target = handle[entry];
        final int data = pool.frameOffset(target) + DATA_OFFSET;
        buffer.putBytes(data + offset, buffer, payloadAt, payloadLength);
        if (offset == 0)
        {
            buffer.putBytes(data - header, buffer, pool.frameOffset(fragment), header);
            headerLength[entry] = header;
            patchAt[entry] = patch;
            upperProtocol[entry] = protocol;
        }
        receivedBytes[entry] += payloadLength;
        largestFragment[entry] = Math.max(largestFragment[entry], fragmentBytes);
        pool.inPort(target, pool.inPort(fragment));
        pool.domain(target, pool.domain(fragment));
        pool.egress(target, pool.egress(fragment));
        counters.count(FragmentCounter.FRAGMENTS_RECEIVED);
        if (headerLength[entry] == 0 || totalPayload[entry] < 0 || receivedBytes[entry] != totalPayload[entry])
        {
            return HELD;
        }
        completed = finish(entry);
        return COMPLETE;
    }

    /** Expires datagrams past their deadline, oldest first, a few per call. */
    @Override
    public int doWork(final long nowMillis)
    {
        int expired = 0;
        while (oldest != NONE && deadline[oldest] <= nowMillis && expired < EXPIRY_BATCH)
        {
            discard(oldest);
            counters.count(FragmentCounter.TIMEOUTS);
            expired++;
        }
        return expired;
    }

    /** Drops every datagram in progress (shutdown, tests). */
    public void clear()
    {
        while (oldest != NONE)
        {
            discard(oldest);
        }
    }

    static int minimumFirst(final int protocol)
    {
        switch (protocol)
        {
            case Ipv4Flyweight.PROTO_TCP:
                return 20; // ports and flags (RFC 1858)
            case Ipv4Flyweight.PROTO_UDP:
            case Ipv4Flyweight.PROTO_ICMP:
                return 8;
            default:
                return 1;
        }
    }

    private int finish(final int entry)
    {
        final int target = handle[entry];
        final int header = headerLength[entry];
        final int payload = totalPayload[entry];
        handle[entry] = PacketPool.NO_PACKET; // the caller's now: not released with the context
        release(entry);
        pool.adjustFrameStart(target, DATA_OFFSET - header);
        pool.frameLength(target, header + payload);
        pool.clearVnetHeader(target);
        final UnsafeBuffer buffer = pool.buffer();
        final int ip = pool.frameOffset(target) + EthernetFlyweight.HEADER_LENGTH;
        if (patchAt[entry] != NONE)
        {
            // IPv6: the Fragment header is gone; the field that named it names the upper layer again
            buffer.putShort(ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET,
                (short)(header - EthernetFlyweight.HEADER_LENGTH - Ipv6Header.LENGTH + payload), ByteOrder.BIG_ENDIAN);
            buffer.putByte(pool.frameOffset(target) + patchAt[entry], (byte)upperProtocol[entry]);
            pool.fragmentSize(target, largestFragment[entry]);
            counters.count(FragmentCounter.REASSEMBLED);
            return target;
        }
        ipv4.wrap(buffer, ip);
        ipv4.totalLength(header - EthernetFlyweight.HEADER_LENGTH + payload);
        buffer.putShort(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        ipv4.updateChecksum();
        counters.count(FragmentCounter.REASSEMBLED);
        return target;
    }

    private int create(final long k1, final long k2, final int src, final long nowMillis)
    {
        if (perSourceCount.get(src) >= perSource)
        {
            discard(oldestOf(src));
            counters.count(FragmentCounter.EVICTED);
        }
        else if (size == capacity)
        {
            discard(oldest);
            counters.count(FragmentCounter.EVICTED);
        }
        final int packet = pool.allocate();
        if (packet == PacketPool.NO_PACKET)
        {
            return NONE;
        }
        pool.location(packet, PacketPool.PARKED);
        final int entry = freeHead;
        freeHead = nextFree[entry];
        SIZE_VH.setRelease(this, size + 1);
        key1[entry] = k1;
        key2[entry] = k2;
        handle[entry] = packet;
        source[entry] = src;
        totalPayload[entry] = -1;
        receivedBytes[entry] = 0;
        headerLength[entry] = 0;
        patchAt[entry] = NONE;
        largestFragment[entry] = 0;
        deadline[entry] = nowMillis + TIMEOUT_MILLIS;
        Arrays.fill(blocks, entry * WORDS, entry * WORDS + WORDS, 0L);
        perSourceCount.put(src, perSourceCount.get(src) + 1);
        // newest at the tail
        older[entry] = newest;
        newer[entry] = NONE;
        if (newest != NONE)
        {
            newer[newest] = entry;
        }
        newest = entry;
        if (oldest == NONE)
        {
            oldest = entry;
        }
        int slot = hash(k1, k2) & slotMask;
        while (slots[slot] != NONE)
        {
            slot = (slot + 1) & slotMask;
        }
        slots[slot] = entry;
        return entry;
    }

    private int oldestOf(final int src)
    {
        for (int e = oldest; e != NONE; e = newer[e])
        {
            if (source[e] == src)
            {
                return e;
            }
        }
        return oldest; // not reached: the count says there is one
    }

    /** Drops an incomplete datagram: its packet goes back to the pool. */
    private void discard(final int entry)
    {
        if (handle[entry] != PacketPool.NO_PACKET)
        {
            pool.release(handle[entry]);
            handle[entry] = PacketPool.NO_PACKET;
        }
        release(entry);
    }

    private void release(final int entry)
    {
        removeSlot(entry);
        if (older[entry] != NONE)
        {
            newer[older[entry]] = newer[entry];
        }
        else
        {
            oldest = newer[entry];
        }
        if (newer[entry] != NONE)
        {
            older[newer[entry]] = older[entry];
        }
        else
        {
            newest = older[entry];
        }
        final int left = perSourceCount.get(source[entry]) - 1;
        if (left <= 0)
        {
            perSourceCount.remove(source[entry]);
        }
        else
        {
            perSourceCount.put(source[entry], left);
        }
        nextFree[entry] = freeHead;
        freeHead = entry;
        SIZE_VH.setRelease(this, size - 1);
    }

    private int find(final long k1, final long k2)
    {
        int slot = hash(k1, k2) & slotMask;
        int entry;
        while ((entry = slots[slot]) != NONE)
        {
            if (key1[entry] == k1 && key2[entry] == k2)
            {
                return entry;
            }
            slot = (slot + 1) & slotMask;
        }
        return NONE;
    }

    private void removeSlot(final int entry)
    {
        int slot = hash(key1[entry], key2[entry]) & slotMask;
        while (slots[slot] != entry)
        {
            slot = (slot + 1) & slotMask;
        }
        // backward-shift deletion: pull later members of the probe run into the hole
        int hole = slot;
        int next = (hole + 1) & slotMask;
        while (slots[next] != NONE)
        {
            final int home = hash(key1[slots[next]], key2[slots[next]]) & slotMask;
            if (((next - home) & slotMask) >= ((next - hole) & slotMask))
            {
                slots[hole] = slots[next];
                hole = next;
            }
            next = (next + 1) & slotMask;
        }
        slots[hole] = NONE;
    }

    private static int hash(final long k1, final long k2)
    {
        long h = k1 * 0x9E3779B97F4A7C15L ^ k2 * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 29;
        return (int)(h ^ (h >>> 32));
    }

    private int countSeen(final int entry, final int first, final int last)
    {
        int seen = 0;
        final int base = entry * WORDS;
        for (int word = first >>> 6; word <= last >>> 6; word++)
        {
            seen += Long.bitCount(blocks[base + word] & rangeMask(word, first, last));
        }
        return seen;
    }

    private void markSeen(final int entry, final int first, final int last)
    {
        final int base = entry * WORDS;
        for (int word = first >>> 6; word <= last >>> 6; word++)
        {
            blocks[base + word] |= rangeMask(word, first, last);
        }
    }

    /** The bits of blocks first..last that fall in {@code word}. */
    private static long rangeMask(final int word, final int first, final int last)
    {
        final int low = Math.max(first, word << 6) & 63;
        final int high = Math.min(last, (word << 6) + 63) & 63;
        final long upTo = high == 63 ? -1L : (1L << (high + 1)) - 1;
        return upTo & (-1L << low);
    }
}
