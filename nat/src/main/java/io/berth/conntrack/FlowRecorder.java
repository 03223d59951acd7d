package io.berth.conntrack;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes flow starts and ends into a ring the flow log drains (berthd --flow-log). A full ring loses the record
 * (counted), never holds the packet path up.
 * <pre>
 *  record (ring message type {@link #START} or {@link #END}), little-endian:
 *  0        4        8        12        16                 32                 48
 *  | reason | state  | flags  | proto   | original k1, k2  | reply k1, k2     |
 *  48                 64                 80          88          96
 *  | original pkts, bytes | reply pkts, bytes | started ms | now ms |
 * </pre>
 * An IPv6 connection's record ({@link #START_IPV6}, {@link #END_IPV6}) is {@link #LENGTH_IPV6} bytes: the same,
 * then its four addresses (its keys hold {@link Ipv6Tokens} tokens, which outlive nothing).
 * The tuples are {@link Tuples} keys: the original is the connection as its initiator sent it, the reply as it
 * comes back; the reply's inverse is the original after NAT. Worker thread (the ring's only producer);
 * allocation-free.
 */
public final class FlowRecorder implements FlowEvents
{
    public static final int START = 1;
    public static final int END = 2;
    /** {@link #START} and {@link #END} of an IPv6 connection: {@link #LENGTH_IPV6} bytes, its addresses after. */
    public static final int START_IPV6 = 3;
    public static final int END_IPV6 = 4;
    public static final int REASON_OFFSET = 0;
    public static final int STATE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 12;
    public static final int ORIGINAL_OFFSET = 16;
    public static final int REPLY_OFFSET = 32;
    public static final int ORIGINAL_COUNTS_OFFSET = 48;
    public static final int REPLY_COUNTS_OFFSET = 64;
    public static final int STARTED_OFFSET = 80;
    public static final int TIME_OFFSET = 88;
    public static final int LENGTH = 96;
    /** IPv6: the original tuple's source and destination, then the reply tuple's, 16 bytes each (big-endian halves). */
    public static final int ADDRESSES_OFFSET = 96;
    public static final int LENGTH_IPV6 = 160;

    private final RingBuffer ring;
    private final boolean starts;
    private final AtomicLong lost = new AtomicLong();
    private Ipv6Tokens tokens;

    /** @param starts record starts too, not only ends. */
    public FlowRecorder(final RingBuffer ring, final boolean starts)
    {
        this.ring = ring;
        this.starts = starts;
    }

    /** Setup time: IPv6 connections' addresses are these tokens (issue 27); without, IPv6 records are not written. */
    public FlowRecorder ipv6(final Ipv6Tokens ipv6Tokens)
    {
        this.tokens = ipv6Tokens;
        return this;
    }

    /** Records the full ring had no room for; any thread may read. */
    public long lost()
    {
        return lost.get();
    }

    @Override
    public void started(final ConnectionTable table, final int entry, final long nowMillis)
    {
        if (starts)
        {
            write(START, table, entry, 0, nowMillis);
        }
    }

    @Override
    public void ended(final ConnectionTable table, final int entry, final int reason, final long nowMillis)
    {
        write(END, table, entry, reason, nowMillis);
    }

    private void write(final int type, final ConnectionTable table, final int entry, final int reason, final long now)
    {
        final int original = entry << 1;
        final int reply = original | 1;
        final boolean ipv6 = Tuples.isIpv6(table.key2(original));
        if (ipv6 && tokens == null)
        {
            return;
        }
        final int index = ipv6 ? ring.tryClaim(type + 2, LENGTH_IPV6) : ring.tryClaim(type, LENGTH);
        if (index < 0)
        {
            lost.lazySet(lost.get() + 1); // single writer: the worker
            return;
        }
        final AtomicBuffer buffer = ring.buffer();
        if (ipv6)
        {
            // the tokens mean nothing once the connection is gone: the addresses go into the record
            address(buffer, index + ADDRESSES_OFFSET, Tuples.source(table.key1(original)));
            address(buffer, index + ADDRESSES_OFFSET + 16, Tuples.destination(table.key1(original)));
            address(buffer, index + ADDRESSES_OFFSET + 32, Tuples.source(table.key1(reply)));
            address(buffer, index + ADDRESSES_OFFSET + 48, Tuples.destination(table.key1(reply)));
        }
        buffer.putInt(index + REASON_OFFSET, reason);
        buffer.putInt(index + STATE_OFFSET, table.state(entry));
        buffer.putInt(index + FLAGS_OFFSET, table.flags(entry));
        buffer.putInt(index + PROTOCOL_OFFSET, table.protocol(entry));
        buffer.putLong(index + ORIGINAL_OFFSET, table.key1(original));
        buffer.putLong(index + ORIGINAL_OFFSET + 8, table.key2(original));
        buffer.putLong(index + REPLY_OFFSET, table.key1(reply));
        buffer.putLong(index + REPLY_OFFSET + 8, table.key2(reply));
        buffer.putLong(index + ORIGINAL_COUNTS_OFFSET, table.packets(original));
        buffer.putLong(index + ORIGINAL_COUNTS_OFFSET + 8, table.bytes(original));
        buffer.putLong(index + REPLY_COUNTS_OFFSET, table.packets(reply));
        buffer.putLong(index + REPLY_COUNTS_OFFSET + 8, table.bytes(reply));
        buffer.putLong(index + STARTED_OFFSET, table.started(entry));
        buffer.putLong(index + TIME_OFFSET, now);
        ring.commit(index);
    }

    private void address(final AtomicBuffer buffer, final int at, final int token)
    {
        buffer.putLong(at, tokens.hi(token), ByteOrder.BIG_ENDIAN);
        buffer.putLong(at + 8, tokens.lo(token), ByteOrder.BIG_ENDIAN);
    }
}
