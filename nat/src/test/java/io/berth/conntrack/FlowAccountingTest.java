package io.berth.conntrack;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.berth.dataplane.flyweight.TcpFlyweight.ACK;
import static io.berth.dataplane.flyweight.TcpFlyweight.FIN;
import static io.berth.dataplane.flyweight.TcpFlyweight.PSH;
import static io.berth.dataplane.flyweight.TcpFlyweight.RST;
import static io.berth.dataplane.flyweight.TcpFlyweight.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.berth.dataplane.PacketPool;
import java.lang.management.ManagementFactory;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.MessageHandler;

/** Per-connection packets and bytes each way, and the flow events the flow log hears (berthd --flow-log). */
class FlowAccountingTest
{
    static final int C = ConntrackNodeTest.C;
    static final int S = ConntrackNodeTest.S;

    /** The conntrack rig of {@link ConntrackNodeTest}, used, not inherited (its tests would run twice). */
    final ConntrackNodeTest rig = new ConntrackNodeTest();
    final CachedEpochClock clock = rig.clock;
    final PacketPool pool = rig.pool;
    ConnectionTable table;

    {
        rig.setUp();
        table = rig.table;
    }

    boolean send(final int handle)
    {
        return rig.send(handle);
    }

    void handshake()
    {
        rig.handshake();
    }

    record Heard(String what, int reason, long origPackets, long origBytes, long replyPackets, long replyBytes, int state)
    {
    }

    final List<Heard> heard = new ArrayList<>();

    void listen()
    {
        table.onFlow(new FlowEvents()
        {
            @Override
            public void started(final ConnectionTable t, final int entry, final long nowMillis)
            {
                heard.add(new Heard("start", 0, t.packets(entry << 1), t.bytes(entry << 1), t.packets(entry << 1 | 1),
                    t.bytes(entry << 1 | 1), t.state(entry)));
            }

            @Override
            public void ended(final ConnectionTable t, final int entry, final int reason, final long nowMillis)
            {
                heard.add(new Heard("end", reason, t.packets(entry << 1), t.bytes(entry << 1), t.packets(entry << 1 | 1),
                    t.bytes(entry << 1 | 1), t.state(entry)));
            }
        });
    }

    @Test
    void aClosedTcpConnectionEndsOnceWithItsCountsAtTheLastAck()
    {
        listen();
        handshake(); // 3 packets of 40 bytes: SYN, SYN-ACK, ACK
        assertEquals(List.of(new Heard("start", 0, 1, 40, 1, 40, ConnState.SYN_RECV)), heard);
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, ACK | PSH, 100)));
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, FIN | ACK)));
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, FIN | ACK)));
        assertEquals(1, heard.size(), "not ended before the last ACK");
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, ACK)));
        assertEquals(new Heard("end", FlowEnd.FIN, 4, 160, 3, 220, ConnState.TIME_WAIT), heard.get(1));

        // TIME_WAIT runs out later: no second end
        clock.update(clock.time() + 200_000);
        for (int i = 0; i < 50 && table.size() > 0; i++)
        {
            table.doWork(clock.time());
        }
        assertEquals(0, table.size());
        assertEquals(2, heard.size());
    }

    @Test
    void aResetEndsTheFlowAndASynOnTheSameTupleIsANewOne()
    {
        listen();
        handshake();
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, RST)));
        assertEquals(FlowEnd.RESET, heard.get(heard.size() - 1).reason());
        final int ends = heard.size();
        assertTrue(send(TestPackets.tcp(pool, C, 40000, S, 80, SYN)));
        assertTrue(send(TestPackets.tcp(pool, S, 80, C, 40000, SYN | ACK)));
        assertEquals(new Heard("start", 0, 1, 40, 1, 40, ConnState.SYN_RECV), heard.get(ends), "counted afresh");
    }

    @Test
    void anUnansweredUdpFlowEndsByTimeoutWithoutAStart()
    {
        listen();
        assertTrue(send(TestPackets.udp(pool, C, 5000, S, 53, 30)));
        assertTrue(send(TestPackets.udp(pool, C, 5000, S, 53, 30)));
        clock.update(clock.time() + 31_000);
        for (int i = 0; i < 400 && table.size() > 0; i++)
        {
            table.doWork(clock.time());
        }
        assertEquals(List.of(new Heard("end", FlowEnd.TIMEOUT, 2, 116, 0, 0, ConnState.UNREPLIED)), heard);
    }

    @Test
    void aFlushEndsEveryFlowAndARefusedOneIsNoFlow()
    {
        listen();
        handshake();
        table.clear();
        assertEquals(FlowEnd.FLUSH, heard.get(heard.size() - 1).reason());
        final int before = heard.size();
        final int entry = table.create(1, 2, ConnState.SYN_SENT, 0, clock.time() + 1000, clock.time());
        table.remove(entry);
        assertEquals(before, heard.size(), "a connection that carried nothing is not logged");
    }

    @Test
    void theRecorderWritesTheRingLayoutAndCountsWhatAFullRingLoses()
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(
            1024 + RingBufferDescriptor.TRAILER_LENGTH)));
        final FlowRecorder recorder = new FlowRecorder(ring, true);
        table.onFlow(recorder);
        handshake();
        final long[] seen = new long[4];
        ring.read((type, buffer, index, length) ->
        {
            assertEquals(FlowRecorder.START, type);
            assertEquals(FlowRecorder.LENGTH, length);
            seen[0] = buffer.getLong(index + FlowRecorder.ORIGINAL_OFFSET);
            seen[1] = buffer.getLong(index + FlowRecorder.ORIGINAL_COUNTS_OFFSET + 8);
            seen[2] = buffer.getInt(index + FlowRecorder.PROTOCOL_OFFSET);
            seen[3]++;
        });
        assertEquals(1, seen[3]);
        assertEquals(Tuples.key1(C, S), seen[0]);
        assertEquals(40, seen[1]);
        assertEquals(6, seen[2]);
        for (int i = 0; i < 20; i++) // 20 flushes of one connection each: the 1 KiB ring holds 9 records
        {
            assertTrue(send(TestPackets.tcp(pool, C, 41000 + i, S, 80, SYN)));
            table.clear();
        }
        assertTrue(recorder.lost() > 0);
    }

    @Test
    void recordingFlowsAllocatesNothing()
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(
            (1 << 16) + RingBufferDescriptor.TRAILER_LENGTH)));
        final FlowRecorder recorder = new FlowRecorder(ring, true);
        final ConnectionTable flows = new ConnectionTable(1024, new ConntrackCounters());
        flows.onFlow(recorder);
        final MessageHandler drain = (type, buffer, index, length) -> { };
        final Runnable oneFlow = () ->
        {
            final int e = flows.create(Tuples.key1(C, S), Tuples.key2(17, 5000, 53), ConnState.UNREPLIED, 0, 2000, 1000);
            flows.account(e, ConnectionTable.ORIGINAL, 60);
            flows.account(e, ConnectionTable.REPLY, 90);
            flows.flowAnswered(e, 1001);
            flows.remove(e, FlowEnd.TIMEOUT, 1002);
            ring.read(drain);
        };
        for (int i = 0; i < 20_000; i++)
        {
            oneFlow.run();
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long id = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 100_000; i++)
        {
            oneFlow.run();
        }
        final long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 4096, allocated + " bytes allocated for 100,000 flows recorded");
        assertEquals(0, recorder.lost());
    }
}
