package io.berth.dataplane;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import java.util.Arrays;

/**
 * Fixed-size packet slots in one off-heap region; a packet is an {@code int} handle (its slot index).
 * <p>
 * Owned by one worker thread: allocation, release and the per-packet metadata are single-writer and unlocked.
 *
 * <pre>
 * slot h (SLOT_SIZE bytes, at h * SLOT_SIZE):
 *  0                 HEADROOM-VNET_HDR_LEN   HEADROOM                                  SLOT_SIZE
 *  +---------------------+-------------------+--------------------------------------------+
 *  |  spare headroom     | virtio_net_hdr(10)|  Ethernet frame (up to MAX_FRAME bytes)    |
 *  +---------------------+-------------------+--------------------------------------------+
 *                        ^ vnetOffset(h)      ^ frameOffset(h) (moves left when a header is pushed)
 * </pre>
 * Every packet carries a virtio-net header in front of its frame, whether or not its port speaks it: a port
 * without offloads writes zeros there on receive, so stages and transmit never branch on the port kind. The
 * headroom lets encapsulation (VXLAN) push headers without copying the frame.
 */
public final class PacketPool
{
    /** struct virtio_net_hdr without num_buffers, the TUNSETVNETHDRSZ default. */
    public static final int VNET_HDR_LEN = 10;
    /** Room for pushed headers (VXLAN: 14 + 20 + 8 + 8 = 50) plus the virtio-net header. */
    public static final int HEADROOM = 128;
    /** A 64 KiB TSO/GSO super-frame: IPv4 total length 65535 plus an Ethernet header with one VLAN tag. */
    public static final int MAX_FRAME = 65535 + 18;
    public static final int SLOT_SIZE = 69632; // 68 KiB: HEADROOM + MAX_FRAME rounded up to 4 KiB pages
    public static final int NO_PACKET = -1;
    /** {@link #location}: the slot is free. */
    public static final int FREE = -2;
    /** {@link #location}: allocated, not (yet) in any node's input (a port's receive, a node's fresh packet). */
    public static final int OUTSIDE = -1;
    /** {@link #location}: held by a stage outside the graph's inputs (a neighbour wait queue). */
    public static final int PARKED = -3;

    /**
     * Double releases throw when assertions are on (every test run), else they are counted and ignored so the
     * free stack stays sound in production.
     */
    private static final boolean STRICT = strictByDefault();

    private final UnsafeBuffer buffer;
    private final int capacity;
    private final int[] freeStack;
    private int freeCount;

    private final int[] frameOffset;
    private final int[] frameLength;
    private final int[] inPort;
    private final int[] egress;
    private final int[] domain;
    /** Which node's input holds the packet (graph index), or FREE / OUTSIDE / PARKED: what a crash must release. */
    private final int[] location;
    /** berth trace: 0 untraced, > 0 a real packet followed, < 0 a synthetic one (never sent). */
    private final int[] trace;
    /** Encrypted overlays: which WireGuard session the frame was decrypted from (> 0), 0 when it came in clear. */
    private final int[] sealedBy;
    /** IPv6 reassembled by berth: the largest fragment it came in, to be cut into again on the way out; else 0. */
    private final int[] fragmentSize;
    private final CounterSet counters = new CounterSet(1);
    /** {@link #counters()} index: releases of a handle that was already free. */
    public static final int DOUBLE_RELEASES = 0;

    public PacketPool(final int capacity)
    {
        if (capacity <= 0 || (long)capacity * SLOT_SIZE > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("pool capacity must be 1.." + (Integer.MAX_VALUE / SLOT_SIZE) + ", got " + capacity);
        }
        this.capacity = capacity;
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * SLOT_SIZE, 4096));
        this.freeStack = new int[capacity];
        this.frameOffset = new int[capacity];
        this.frameLength = new int[capacity];
        this.inPort = new int[capacity];
        this.egress = new int[capacity];
        this.domain = new int[capacity];
        this.location = new int[capacity];
        this.trace = new int[capacity];
        this.sealedBy = new int[capacity];
        this.fragmentSize = new int[capacity];
        Arrays.fill(location, FREE);
        for (int i = 0; i < capacity; i++)
        {
            freeStack[i] = capacity - 1 - i; // hand out slot 0 first: keeps the working set at the front
        }
        freeCount = capacity;
    }

    /** The whole pool's memory; flyweights wrap it at {@link #frameOffset(int)}. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** Address of the pool's first byte, for syscalls that read or write straight into slots. */
    public long baseAddress()
    {
        return buffer.addressOffset();
    }

    public int capacity()
    {
        return capacity;
    }

    public int available()
    {
        return freeCount;
    }

    /** A fresh packet with an empty frame at the default offset, or {@link #NO_PACKET} when the pool is dry. */
    public int allocate()
    {
        if (freeCount == 0)
        {
            return NO_PACKET;
        }
        final int handle = freeStack[--freeCount];
        renew(handle);
        return handle;
    }

    /**
     * Makes a packet the caller holds fresh again (an empty frame at the default offset, no port, no egress), as
     * {@link #allocate} hands it out, without going through the free stack: a port worker reuses a slot it was
     * lent ({@link PortWorker}). Only the thread that holds the packet calls this.
     */
    public void renew(final int handle)
    {
        frameOffset[handle] = handle * SLOT_SIZE + HEADROOM;
        frameLength[handle] = 0;
        inPort[handle] = -1;
        egress[handle] = Egress.NONE;
        domain[handle] = -1;
        location[handle] = OUTSIDE;
        trace[handle] = 0;
        sealedBy[handle] = 0;
        fragmentSize[handle] = 0;
    }

    /**
     * Returns the slot to the pool. A handle that is already free is not pushed twice (that would hand one slot
     * to two packets later): it is counted in {@link #counters()} and, under tests, refused with an exception.
     */
    public void release(final int handle)
    {
        if (location[handle] == FREE)
        {
            counters.increment(DOUBLE_RELEASES);
            if (STRICT)
            {
                throw new IllegalStateException("packet " + handle + " released twice");
            }
            return;
        }
        location[handle] = FREE;
        freeStack[freeCount++] = handle;
    }

    /** Graph index of the node whose input holds the packet, or {@link #FREE}, {@link #OUTSIDE}, {@link #PARKED}. */
    public int location(final int handle)
    {
        return location[handle];
    }

    public void location(final int handle, final int where)
    {
        location[handle] = where;
    }

    /** The packet's trace mark (berth trace): 0 untraced, > 0 a real packet followed, < 0 synthetic. */
    public int trace(final int handle)
    {
        return trace[handle];
    }

    public void trace(final int handle, final int mark)
    {
        trace[handle] = mark;
    }

    /** The WireGuard peer whose session decrypted this frame (> 0), or 0: it came in clear. */
    /** The largest fragment (IPv6 packet bytes) an IPv6 datagram berth reassembled came in; 0 for any other. */
    public int fragmentSize(final int handle)
    {
        return fragmentSize[handle];
    }

    public void fragmentSize(final int handle, final int bytes)
    {
        fragmentSize[handle] = bytes;
    }

    public int sealedBy(final int handle)
    {
        return sealedBy[handle];
    }

    public void sealedBy(final int handle, final int peer)
    {
        sealedBy[handle] = peer;
    }

    /** Pool events any thread may read: {@link #DOUBLE_RELEASES}. */
    public CounterSet counters()
    {
        return counters;
    }

    private static boolean strictByDefault()
    {
        boolean assertions = false;
        assert assertions = true; // deliberate side effect: true only with -ea
        return assertions || Boolean.getBoolean("berth.pool.strict");
    }

    /** Offset of the frame's first byte within {@link #buffer()}. */
    public int frameOffset(final int handle)
    {
        return frameOffset[handle];
    }

    /** Offset of the virtio-net header that travels just in front of the frame. */
    public int vnetOffset(final int handle)
    {
        return frameOffset[handle] - VNET_HDR_LEN;
    }

    /** Offset where a port writes a received [virtio-net header + frame] for a fresh packet. */
    public int receiveOffset(final int handle)
    {
        return handle * SLOT_SIZE + HEADROOM - VNET_HDR_LEN;
    }

    /** Room for [virtio-net header + frame] from {@link #receiveOffset(int)}. */
    public static int receiveCapacity()
    {
        return VNET_HDR_LEN + MAX_FRAME;
    }

    public int frameLength(final int handle)
    {
        return frameLength[handle];
    }

    public void frameLength(final int handle, final int length)
    {
        frameLength[handle] = length;
    }

    /** Moves the frame start by {@code delta} bytes (negative pushes a header, positive pops one). */
    public void adjustFrameStart(final int handle, final int delta)
    {
        frameOffset[handle] += delta;
        frameLength[handle] -= delta;
    }

    /** Clears the virtio-net header: no checksum pending, no segmentation. */
    public void clearVnetHeader(final int handle)
    {
        buffer.setMemory(vnetOffset(handle), VNET_HDR_LEN, (byte)0);
    }

    public int inPort(final int handle)
    {
        return inPort[handle];
    }

    public void inPort(final int handle, final int portId)
    {
        inPort[handle] = portId;
    }

    /** Where the packet goes: a port id, or an {@link Egress} code. */
    public int egress(final int handle)
    {
        return egress[handle];
    }

    public void egress(final int handle, final int value)
    {
        egress[handle] = value;
    }

    /** The bridge domain (network) the packet belongs to, set by classification; -1 before that. */
    public int domain(final int handle)
    {
        return domain[handle];
    }

    public void domain(final int handle, final int domainId)
    {
        domain[handle] = domainId;
    }
}
