package io.berth.conntrack;

import io.berth.dataplane.Housekeeping;
import io.berth.dataplane.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

import static io.berth.conntrack.ConnectionFlags.F_FLOW_ENDED;
import static io.berth.conntrack.ConnectionFlags.F_FLOW_STARTED;
import static io.berth.conntrack.ConnectionFlags.F_SNAT;

/**
 * The connection table: one entry per connection, indexed from both directions (its original and its reply
 * 5-tuple, see {@link Tuples}), with a fixed limit and a timer wheel for expiry.
 * <p>
 * Layout: entries live in parallel primitive arrays indexed by an entry number; the index is an open-addressing
 * hash (linear probing, backward-shift deletion, so no tombstones) whose slots hold both key words and a
 * <em>ref</em> = {@code entry << 1 | direction}, so a lookup returns the entry and the direction the packet
 * travels at once, touching one or two cache lines. Slots are at least 4x the entry limit; the hash is seeded
 * per table so that remote hosts cannot aim collisions at it. (The index lives in this class's own fields: as a
 * class of its own, the extra load cost a lookup miss 15-20 % in JMH.) Expiry: {@link ExpiryWheel}, a hashed timer wheel; the packet path only
 * writes an entry's deadline ({@link #refresh}), {@link #doWork(long)} examines at most {@code expiryBatch}
 * entries per call, so expiry never stalls the worker, and an entry found past its deadline by a lookup before
 * the wheel got to it is expired on the spot ({@link #find}).
 * <p>
 * Owned by one worker thread: every method, including the control-plane ones ({@link #forEach},
 * {@link #clear}), must run on it (the control plane sends them as commands). Allocation-free after
 * construction.
 */
public final class ConnectionTable implements Housekeeping
{
    public static final int ORIGINAL = 0;
    public static final int REPLY = 1;

    /** {@link #lookup} miss. */
    public static final int NOT_FOUND = -1;
    /** {@link #create}: the table is at its limit. */
    public static final int REFUSED_FULL = -2;
    /** {@link #create}: the new connection's reply tuple is already some connection's key. */
    public static final int REFUSED_CLASH = -3;

    private static final int EMPTY = -1;
    private static final int NONE = -1;

    private final int capacity;
    private final ConntrackCounters counters;

    private final long seed;
    // the index: key words and ref per slot
    private final int slotMask;
    private final long[] slotKey1;
    private final long[] slotKey2;
    private final int[] slotRef;

    // entries
    private final int[] protocol; // 0 = free
    private final int[] state;
    private final int[] flags;
    private final long[] key1; // [entry << 1 | direction]
    private final long[] key2;
    private final long[] expiry;
    private final int[] nextFree;
    private final int[] generations;
    // accounting, as the kernel's nf_conntrack_acct: [entry << 1 | direction]; IPv4 bytes (a GSO frame is one packet)
    private final long[] packets;
    private final long[] bytes;
    private final long[] started;
    private FlowEvents flowEvents = FlowEvents.NONE;
    /** Live connections with a translated source ({@link ConnectionFlags#F_SNAT}): the external ports masquerade holds. */
    private int sourceTranslated;
    private int freeHead;
    private int size;

    // the timer wheel
    private final ExpiryWheel wheel;
    private final int expiryBatch;
    /** {@link #expire}, made once: doWork runs on every duty cycle and allocates nothing. */
    private final ExpiryWheel.Expiry expireDue = this::expire;
    private EntryRemoval removal = EntryRemoval.NONE;
    private TupleReferences references = TupleReferences.NONE;

    /**
     * @param capacity    the table limit: connections beyond it are refused and counted.
     * @param tickMillis  timer wheel resolution; an entry expires at most two ticks after its deadline.
     * @param wheelSize   buckets (power of two); one revolution is {@code tickMillis * wheelSize}.
     * @param expiryBatch entries examined per {@link #doWork} call at most.
     */
    public ConnectionTable(
        final int capacity, final long tickMillis, final int wheelSize, final int expiryBatch, final ConntrackCounters counters)
    {
        if (capacity < 1 || capacity > (1 << 26))
        {
            throw new IllegalArgumentException("conntrack table limit must be 1.." + (1 << 26) + ", got " + capacity);
        }
        if (tickMillis < 1 || wheelSize < 2 || Integer.bitCount(wheelSize) != 1 || expiryBatch < 1)
        {
            throw new IllegalArgumentException("tick must be >= 1 ms, wheel size a power of two, expiry batch >= 1");
        }
        this.capacity = capacity;
        this.counters = counters;
        this.seed = new SplittableRandom().nextLong();
        final int slots = Integer.highestOneBit(capacity * 4 - 1) << 1;
        slotMask = slots - 1;
        slotKey1 = new long[slots];
        slotKey2 = new long[slots];
        slotRef = new int[slots];
        Arrays.fill(slotRef, EMPTY);

        protocol = new int[capacity];
        state = new int[capacity];
        flags = new int[capacity];
        key1 = new long[capacity * 2];
        key2 = new long[capacity * 2];
        expiry = new long[capacity];
        nextFree = new int[capacity];
        generations = new int[capacity];
        packets = new long[capacity * 2];
        bytes = new long[capacity * 2];
        started = new long[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : NONE;
        }
        freeHead = 0;

        this.expiryBatch = expiryBatch;
        this.wheel = new ExpiryWheel(capacity, tickMillis, wheelSize, expiry);
    }

    /** A table with 100 ms ticks, 4096 buckets (a revolution of ~7 min) and 256 entries per expiry slice. */
    public ConnectionTable(final int capacity, final ConntrackCounters counters)
    {
        this(capacity, 100, 4096, 256, counters);
    }

    public static int entry(final int ref)
    {
        return ref >>> 1;
    }

    public static int direction(final int ref)
    {
        return ref & 1;
    }

    public int capacity()
    {
        return capacity;
    }

    public int size()
    {
        return size;
    }

    /** {@link #size()} for any thread (counters, metrics): no worker command needed. */
    public int sizeAnyThread()
    {
        return (int)SIZE_VH.getAcquire(this);
    }

    private static final VarHandle SIZE_VH =
        VarHandles.field(MethodHandles.lookup(), "size", int.class);

    public ConntrackCounters counters()
    {
        return counters;
    }

    /** The ref ({@code entry << 1 | direction}) of the connection with this tuple, or {@link #NOT_FOUND}. */
    public int lookup(final long k1, final long k2)
    {
        int i = hash(k1, k2) & slotMask;
        while (true)
        {
            final int ref = slotRef[i];
            if (ref == EMPTY)
            {
                return NOT_FOUND;
            }
            if (slotKey1[i] == k1 && slotKey2[i] == k2)
            {
                return ref;
            }
            i = (i + 1) & slotMask;
        }
    }

    /** {@link #lookup}, but a connection past its deadline is expired now and not found. */
    public int find(final long k1, final long k2, final long nowMillis)
    {
        final int ref = lookup(k1, k2);
        if (ref != NOT_FOUND && expiry[ref >>> 1] <= nowMillis)
        {
            counters.count(ConntrackCounter.EXPIRED);
            remove(ref >>> 1, FlowEnd.TIMEOUT, nowMillis);
            return NOT_FOUND;
        }
        return ref;
    }

    /** Who is told of every freed entry (the NAT binding mirror). Setup time. */
    public void onRemoval(final EntryRemoval removal)
    {
        this.removal = removal;
    }

    /** Who is told when a tuple becomes a key and stops being one (IPv6 address tokens). Setup time. */
    public void onKeys(final TupleReferences tupleReferences)
    {
        this.references = tupleReferences;
    }

    /** Who is told when connections start and end (the flow log). Setup time. */
    public void onFlow(final FlowEvents events)
    {
        this.flowEvents = events;
    }

    // ------------------------------------------------------------------ create, change, remove

    /**
     * Creates a connection whose original tuple is (k1, k2) and whose reply tuple is its inverse; the caller
     * has checked the original tuple is not in the table.
     *
     * @return the entry, or {@link #REFUSED_FULL} / {@link #REFUSED_CLASH} (each counted).
     */
    public int create(final long k1, final long k2, final int connState, final int connFlags, final long expiryMillis, final long nowMillis)
    {
        if (size == capacity)
        {
            counters.count(ConntrackCounter.REFUSED_FULL);
            return REFUSED_FULL;
        }
        final long r1 = Tuples.invert1(k1);
        final long r2 = Tuples.invert2(k2);
        if (lookup(r1, r2) != NOT_FOUND)
        {
            counters.count(ConntrackCounter.REFUSED_CLASH);
            return REFUSED_CLASH;
        }
        final int e = freeHead;
        freeHead = nextFree[e];
        SIZE_VH.setRelease(this, size + 1); // readers on other threads: sizeAnyThread()
        generations[e]++;
        protocol[e] = Tuples.protocol(k2);
        state[e] = connState;
        flags[e] = connFlags;
        key1[e << 1] = k1;
        key2[e << 1] = k2;
        key1[(e << 1) | 1] = r1;
        key2[(e << 1) | 1] = r2;
        expiry[e] = expiryMillis;
        if ((connFlags & F_SNAT) != 0)
        {
            SOURCE_TRANSLATED_VH.setRelease(this, sourceTranslated + 1);
        }
        startFlow(e, nowMillis);
        references.retain(k1, k2);
        references.retain(r1, r2);
        insertKey(k1, k2, e << 1);
        if (r1 != k1 || r2 != k2) // a tuple that is its own inverse (x:p -> x:p) has one key
        {
            insertKey(r1, r2, (e << 1) | 1);
        }
        wheel.schedule(e, nowMillis);
        counters.count(ConntrackCounter.CREATED);
        return e;
    }

    /**
     * Replaces the reply tuple (NAT: the reply comes back to the translated address and port).
     *
     * @return false, changing nothing, when the new tuple is already a key of any connection.
     */
    public boolean reply(final int entry, final long k1, final long k2)
    {
        if (lookup(k1, k2) != NOT_FOUND)
        {
            return false;
        }
        final int ref = (entry << 1) | 1;
        final long old1 = key1[ref];
        final long old2 = key2[ref];
        if (old1 != key1[entry << 1] || old2 != key2[entry << 1])
        {
            removeKey(old1, old2);
        }
        references.retain(k1, k2);
        references.release(old1, old2);
        key1[ref] = k1;
        key2[ref] = k2;
        insertKey(k1, k2, ref);
        return true;
    }

    /**
     * Removes a connection from the index and the wheel and frees its entry. An entry that is free already is
     * left alone: freeing it twice would hand it to two connections and drive the count below zero.
     */
    public void remove(final int entry)
    {
        remove(entry, FlowEnd.REMOVED, System.currentTimeMillis());
    }

    /**
     * {@link #remove(int)}, telling the flow log why ({@link FlowEnd}) unless it heard of the end already; a
     * connection that carried no packet (refused as it was made) is not a flow.
     */
    public void remove(final int entry, final int reason, final long nowMillis)
    {
        if (protocol[entry] == 0)
        {
            return;
        }
        if ((flags[entry] & F_FLOW_ENDED) == 0 && packets[entry << 1] + packets[(entry << 1) | 1] > 0)
        {
            flowEvents.ended(this, entry, reason, nowMillis);
        }
        final int ref = entry << 1;
        removeKey(key1[ref], key2[ref]);
        if (key1[ref | 1] != key1[ref] || key2[ref | 1] != key2[ref])
        {
            removeKey(key1[ref | 1], key2[ref | 1]);
        }
        references.release(key1[ref], key2[ref]);
        references.release(key1[ref | 1], key2[ref | 1]);
        wheel.unschedule(entry);
        if ((flags[entry] & F_SNAT) != 0)
        {
            SOURCE_TRANSLATED_VH.setRelease(this, sourceTranslated - 1);
        }
        removal.removed(entry);
        protocol[entry] = 0;
        nextFree[entry] = freeHead;
        freeHead = entry;
        SIZE_VH.setRelease(this, size - 1);
    }

    /** Removes every connection (`berth conntrack flush`). */
    public void clear()
    {
        final long now = System.currentTimeMillis();
        for (int e = 0; e < capacity; e++)
        {
            if (protocol[e] != 0)
            {
                remove(e, FlowEnd.FLUSH, now);
            }
        }
    }

    /** Sets the deadline; cheap when it moves later (the usual case), re-files the timer when it moves earlier. */
    public void refresh(final int entry, final long expiryMillis)
    {
        expiry[entry] = expiryMillis;
        wheel.deadlineSet(entry);
    }

    // ------------------------------------------------------------------ accounting and the flow log

    /** Counts one packet of {@code length} IPv4 bytes in {@code direction}. Packet path: two array writes. */
    public void account(final int entry, final int direction, final int length)
    {
        final int ref = (entry << 1) | direction;
        packets[ref]++;
        bytes[ref] += length;
    }

    /** Packets seen in a ref's direction ({@code entry << 1 | direction}). */
    public long packets(final int ref)
    {
        return packets[ref];
    }

    public long bytes(final int ref)
    {
        return bytes[ref];
    }

    /** When the connection was made (epoch ms), or re-opened by a SYN on its tuple. */
    public long started(final int entry)
    {
        return started[entry];
    }

    /** The flow log hears that the connection started, once: its other side answered. */
    public void flowAnswered(final int entry, final long nowMillis)
    {
        if ((flags[entry] & F_FLOW_STARTED) == 0)
        {
            flags[entry] |= F_FLOW_STARTED;
            flowEvents.started(this, entry, nowMillis);
        }
    }

    /** The flow log hears that the connection ended ({@link FlowEnd#FIN}, {@link FlowEnd#RESET}), once. */
    public void flowClosed(final int entry, final int reason, final long nowMillis)
    {
        if ((flags[entry] & F_FLOW_ENDED) == 0)
        {
            flags[entry] |= F_FLOW_ENDED;
            flowEvents.ended(this, entry, reason, nowMillis);
        }
    }

    /** A closed TCP connection's tuple was opened again by a new SYN: a new flow on the same entry. */
    public void restartFlow(final int entry, final long nowMillis)
    {
        flags[entry] &= ~(F_FLOW_STARTED | F_FLOW_ENDED);
        startFlow(entry, nowMillis);
    }

    private void startFlow(final int e, final long nowMillis)
    {
        started[e] = nowMillis;
        packets[e << 1] = 0;
        packets[(e << 1) | 1] = 0;
        bytes[e << 1] = 0;
        bytes[(e << 1) | 1] = 0;
    }

    // ------------------------------------------------------------------ entry fields

    /** Bumped each time the entry is given to a new connection. */
    public int generation(final int entry)
    {
        return generations[entry];
    }

    public boolean isLive(final int entry)
    {
        return protocol[entry] != 0;
    }

    public int protocol(final int entry)
    {
        return protocol[entry];
    }

    public int state(final int entry)
    {
        return state[entry];
    }

    public void state(final int entry, final int connState)
    {
        state[entry] = connState;
    }

    public int flags(final int entry)
    {
        return flags[entry];
    }

    public boolean hasFlags(final int entry, final int mask)
    {
        return (flags[entry] & mask) == mask;
    }

    public void addFlags(final int entry, final int mask)
    {
        if ((mask & F_SNAT) != 0 && (flags[entry] & F_SNAT) == 0)
        {
            SOURCE_TRANSLATED_VH.setRelease(this, sourceTranslated + 1);
        }
        flags[entry] |= mask;
    }

    public void clearFlags(final int entry, final int mask)
    {
        if ((mask & F_SNAT) != 0 && (flags[entry] & F_SNAT) != 0)
        {
            SOURCE_TRANSLATED_VH.setRelease(this, sourceTranslated - 1);
        }
        flags[entry] &= ~mask;
    }

    /** Any thread: live masqueraded connections, each holding one external port (NAT ports in use). */
    public int sourceTranslatedAnyThread()
    {
        return (int)SOURCE_TRANSLATED_VH.getAcquire(this);
    }

    private static final VarHandle SOURCE_TRANSLATED_VH =
        VarHandles.field(MethodHandles.lookup(), "sourceTranslated", int.class);

    public long expiry(final int entry)
    {
        return expiry[entry];
    }

    /** Key word 1 of a ref's tuple: {@code ref = entry << 1 | direction}. */
    public long key1(final int ref)
    {
        return key1[ref];
    }

    public long key2(final int ref)
    {
        return key2[ref];
    }

    /** Visits every live entry. */
    public void forEach(final IntConsumer entryConsumer)
    {
        for (int e = 0; e < capacity; e++)
        {
            if (protocol[e] != 0)
            {
                entryConsumer.accept(e);
            }
        }
    }

    // ------------------------------------------------------------------ expiry

    /**
     * Advances the wheel to {@code nowMillis}, examining at most {@code expiryBatch} entries: each one due is
     * removed, each one whose deadline was pushed later is filed again. Returns the entries examined.
     */
    @Override
    public int doWork(final long nowMillis)
    {
        return wheel.advance(nowMillis, expiryBatch, expireDue);
    }

    /** The wheel found {@code entry} due: it goes, counted as expired. */
    private void expire(final int entry, final long nowMillis)
    {
        counters.count(ConntrackCounter.EXPIRED);
        remove(entry, FlowEnd.TIMEOUT, nowMillis);
    }

    // ------------------------------------------------------------------ the index

    private int hash(final long k1, final long k2)
    {
        long h = (k1 ^ seed) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ k2 ^ (h >>> 29)) * 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 32;
        return (int)h;
    }

    private void insertKey(final long k1, final long k2, final int ref)
    {
        int i = hash(k1, k2) & slotMask;
        while (slotRef[i] != EMPTY)
        {
            i = (i + 1) & slotMask;
        }
        slotKey1[i] = k1;
        slotKey2[i] = k2;
        slotRef[i] = ref;
    }

    private void removeKey(final long k1, final long k2)
    {
        int i = hash(k1, k2) & slotMask;
        while (true)
        {
            if (slotRef[i] == EMPTY)
            {
                return;
            }
            if (slotKey1[i] == k1 && slotKey2[i] == k2)
            {
                break;
            }
            i = (i + 1) & slotMask;
        }
        // backward shift: pull later members of the probe run into the hole so lookups never stop early
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & slotMask;
            if (slotRef[j] == EMPTY)
            {
                break;
            }
            final int home = hash(slotKey1[j], slotKey2[j]) & slotMask;
            final boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays)
            {
                slotKey1[hole] = slotKey1[j];
                slotKey2[hole] = slotKey2[j];
                slotRef[hole] = slotRef[j];
                hole = j;
            }
        }
        slotRef[hole] = EMPTY;
    }
}
