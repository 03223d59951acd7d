package io.berth.control.dataplane;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.conntrack.ConnState;
import io.berth.conntrack.ConnectionFlags;
import io.berth.conntrack.ConnectionTable;
import io.berth.conntrack.FlowEnd;
import io.berth.conntrack.FlowRecorder;
import io.berth.conntrack.Tuples;
import io.berth.control.ipam.Ipv4;
import io.berth.control.ipam.Ipv6Cidr;
import io.berth.control.wire.Json;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.function.IntFunction;

/**
 * The flow log's records as the worker writes them ({@link FlowRecorder}'s layout), decoded into the JSON that * {@code berth flows -o json} prints:
 * <pre>
 * {"event":"end","time":"…","proto":"tcp","container":"web","nat":"dnat",
 *  "original":{"src":"10.0.0.9","sport":40112,"dst":"10.0.0.1","dport":8080},
 *  "translated":{"src":"10.0.0.9","sport":40112,"dst":"172.18.0.2","dport":80},
 *  "packets":{"original":6,"reply":5},"bytes":{"original":406,"reply":1042},
 *  "durationMs":12,"reason":"fin","state":"TIME_WAIT"}
 * </pre>
 * "translated" is the original direction as it left berth: the reply tuple turned round. Stateless.
 */
public final class FlowRecords
{
    /** Bytes of one record as the worker writes it. */
    public static final int LENGTH = FlowRecorder.LENGTH;
    public static final int LENGTH_IPV6 = FlowRecorder.LENGTH_IPV6;

    /**
     * About 80,000 records (96 bytes and the ring's 8-byte header each): 4 s of 10,000 new connections a second
     * (a start and an end each), should the flow log's writer be held up that long.
     */
    private static final int RING_BYTES = 8 << 20;

    /** The worker's flow recorder, writing into a ring the flow log drains (control thread, at start). */
    static Dataplane.FlowSource start(final PacketPath pipeline, final boolean starts)
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(RING_BYTES
            + RingBufferDescriptor.TRAILER_LENGTH)));
        final FlowRecorder recorder = new FlowRecorder(ring, starts).ipv6(pipeline.ipv6.tokens);
        WorkerCalls.await(pipeline.worker.submit(() -> pipeline.connections.onFlow(recorder)));
        return new Dataplane.FlowSource(ring, recorder::lost);
    }

    /** Bytes of a record of {@code type}: an IPv6 connection's carries its addresses too (issue 27). */
    public static int length(final int type)
    {
        return isIpv6(type) ? FlowRecorder.LENGTH_IPV6 : FlowRecorder.LENGTH;
    }

    public static boolean isIpv6(final int type)
    {
        return type == FlowRecorder.START_IPV6 || type == FlowRecorder.END_IPV6;
    }

    /** An IPv6 record's addresses whose container it is about, in {@link #addresses}'s order, as text. */
    public static String[] addresses6(final DirectBuffer buffer, final int index)
    {
        return new String[] {address(buffer, index, 0), address(buffer, index, 2), address(buffer, index, 1)};
    }

    /** Address {@code n} of an IPv6 record: 0, 1 the original source and destination, 2, 3 the reply's. */
    private static String address(final DirectBuffer buffer, final int index, final int n)
    {
        final int at = index + FlowRecorder.ADDRESSES_OFFSET + 16 * n;
        return Ipv6Cidr.format(buffer.getLong(at, ByteOrder.BIG_ENDIAN), buffer.getLong(at + 8, ByteOrder.BIG_ENDIAN));
    }

    private FlowRecords()
    {
    }

    /**
     * The addresses whose container a record is about, in the order to ask: the original source (the container
     * made the connection), the translated destination (a published port led to it), the original destination.
     */
    public static int[] addresses(final DirectBuffer buffer, final int index)
    {
        final long original = buffer.getLong(index + FlowRecorder.ORIGINAL_OFFSET);
        final long translated = Tuples.invert1(buffer.getLong(index + FlowRecorder.REPLY_OFFSET));
        return new int[] {Tuples.source(original), Tuples.destination(translated), Tuples.destination(original)};
    }

    /** @param containerOf the container an address belongs to, or null. */
    public static ObjectNode decode(final int type, final DirectBuffer buffer, final int index,
        final IntFunction<String> containerOf)
    {
        final int protocol = buffer.getInt(index + FlowRecorder.PROTOCOL_OFFSET);
        final long o1 = buffer.getLong(index + FlowRecorder.ORIGINAL_OFFSET);
        final long o2 = buffer.getLong(index + FlowRecorder.ORIGINAL_OFFSET + 8);
        final long t1 = Tuples.invert1(buffer.getLong(index + FlowRecorder.REPLY_OFFSET));
        final long t2 = Tuples.invert2(buffer.getLong(index + FlowRecorder.REPLY_OFFSET + 8));
        final int flags = buffer.getInt(index + FlowRecorder.FLAGS_OFFSET);
        final long started = buffer.getLong(index + FlowRecorder.STARTED_OFFSET);
        final long now = buffer.getLong(index + FlowRecorder.TIME_OFFSET);

        final ObjectNode record = Json.WIRE.createObjectNode();
        final boolean ipv6 = isIpv6(type);
        record.put("event", type == FlowRecorder.START || type == FlowRecorder.START_IPV6 ? "start" : "end");
        record.put("time", Instant.ofEpochMilli(now).toString());
        record.put("timeMs", now);
        record.put("proto", Tuples.protocolName(protocol));
        String container = null;
        for (final int address : ipv6 ? new int[] {0} : addresses(buffer, index))
        {
            container = container == null ? containerOf.apply(address) : container;
        }
        record.put("container", container == null ? "" : container);
        final boolean snat = (flags & ConnectionFlags.F_SNAT) != 0;
        final boolean dnat = (flags & ConnectionFlags.F_DNAT) != 0;
        record.put("nat", snat && dnat ? "snat+dnat" : snat ? "snat" : dnat ? "dnat" : "");
        tuple(record.putObject("original"), protocol, o1, o2);
        tuple(record.putObject("translated"), protocol, t1, t2);
        if (ipv6)
        {
            // the keys held tokens: the addresses are in the record; "translated" is the reply turned round
            ((ObjectNode)record.get("original")).put("src", address(buffer, index, 0)).put("dst", address(buffer, index, 1));
            ((ObjectNode)record.get("translated")).put("src", address(buffer, index, 3)).put("dst", address(buffer, index, 2));
        }
        record.putObject("packets")
            .put("original", buffer.getLong(index + FlowRecorder.ORIGINAL_COUNTS_OFFSET))
            .put("reply", buffer.getLong(index + FlowRecorder.REPLY_COUNTS_OFFSET));
        record.putObject("bytes")
            .put("original", buffer.getLong(index + FlowRecorder.ORIGINAL_COUNTS_OFFSET + 8))
            .put("reply", buffer.getLong(index + FlowRecorder.REPLY_COUNTS_OFFSET + 8));
        record.put("startedMs", started);
        record.put("durationMs", Math.max(0, now - started));
        if (type == FlowRecorder.END || type == FlowRecorder.END_IPV6)
        {
            record.put("reason", FlowEnd.name(buffer.getInt(index + FlowRecorder.REASON_OFFSET)));
        }
        record.put("state", ConnState.name(buffer.getInt(index + FlowRecorder.STATE_OFFSET)));
        return record;
    }

    private static void tuple(final ObjectNode node, final int protocol, final long k1, final long k2)
    {
        node.put("src", Ipv4.format(Tuples.source(k1)));
        node.put("sport", Tuples.sourcePort(k2));
        node.put("dst", Ipv4.format(Tuples.destination(k1)));
        node.put("dport", Tuples.destinationPort(k2));
        if (protocol == 1 || protocol == 58)
        {
            node.put("id", Tuples.sourcePort(k2)); // ICMP echo: the identifier is both "ports"
        }
    }
}
