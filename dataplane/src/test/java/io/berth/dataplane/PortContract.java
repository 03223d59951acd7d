package io.berth.dataplane;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Port} must do, whatever it is (in memory, a TAP, an AF_PACKET socket): receive whole frames
 * into pool packets with their in-port set, never more than asked, nothing when the pool is dry and without
 * losing what waits; transmit a packet's frame to the other side without releasing it; count both ways. A
 * subclass provides the port and its {@link Peer}, the far side (the kernel, for real devices). Frames carry the
 * IEEE local experimental ethertype 0x88B5 so a peer can tell them from the kernel's own traffic.
 */
public abstract class PortContract
{
    protected static final int TEST_ETHERTYPE = 0x88B5;

    /** The far side of the port under test. */
    public interface Peer
    {
        /** Puts a frame on the wire towards the port. */
        void send(byte[] frame) throws Exception;

        /** The next test frame the port transmitted, or null when none arrives within {@code timeoutMs}. */
        byte[] receive(long timeoutMs) throws Exception;
    }

    protected PacketPool pool;
    private final PacketBatch batch = new PacketBatch();

    /** Makes the port under test (id {@link #portId()}) and its peer; both are closed in {@link #tearDown}. */
    protected abstract void open() throws Exception;

    protected abstract Port port();

    protected abstract Peer peer();

    /** Closes the port and everything the subclass made, also after a failure. */
    protected abstract void close() throws Exception;

    protected int portId()
    {
        return 7;
    }

    @BeforeEach
    void setUp() throws Exception
    {
        pool = new PacketPool(32);
        open();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        close();
    }

    protected static byte[] frame(final int sequence, final int length)
    {
        final byte[] frame = new byte[length];
        Arrays.fill(frame, 0, 6, (byte)0xFF); // broadcast: every device takes it
        frame[6] = 0x02;
        frame[11] = (byte)sequence;
        frame[12] = (byte)(TEST_ETHERTYPE >>> 8);
        frame[13] = (byte)TEST_ETHERTYPE;
        for (int i = 14; i < length; i++)
        {
            frame[i] = (byte)(sequence + i);
        }
        return frame;
    }

    private static boolean isTestFrame(final byte[] frame)
    {
        return frame.length >= 14 && (frame[12] & 0xFF) == (TEST_ETHERTYPE >>> 8) && (frame[13] & 0xFF) == (TEST_ETHERTYPE & 0xFF);
    }

    private static byte[] frameOf(final PacketPool pool, final int handle)
    {
        final byte[] bytes = new byte[pool.frameLength(handle)];
        pool.buffer().getBytes(pool.frameOffset(handle), bytes);
        return bytes;
    }

    /** Receives until {@code want} test frames came (others released), within 5 s; returns their handles. */
    private int[] receiveTestFrames(final int want, final int limit) throws InterruptedException
    {
        final int[] handles = new int[want];
        int got = 0;
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (got < want && System.nanoTime() < deadline)
        {
            batch.clear();
            final int n = port().receive(pool, batch, limit);
            assertEquals(batch.count(), n, "receive returns how many it added");
            assertTrue(n <= limit, "never more than asked: " + n + " > " + limit);
            for (int i = 0; i < n; i++)
            {
                final int h = batch.get(i);
                assertEquals(port().id(), pool.inPort(h), "in-port set");
                if (got < want && isTestFrame(frameOf(pool, h)))
                {
                    handles[got++] = h;
                }
                else
                {
                    pool.release(h);
                }
            }
            if (n == 0)
            {
                Thread.sleep(2);
            }
        }
        assertEquals(want, got, "test frames received");
        return handles;
    }

    @Test
    void idAndNameAreStable()
    {
        assertEquals(portId(), port().id());
        assertNotNull(port().name());
        assertEquals(port().name(), port().name());
        assertTrue(port().pollFd() >= -1);
    }

    @Test
    void aFrameFromThePeerArrivesWhole() throws Exception
    {
        final byte[] sent = frame(1, 300);
        peer().send(sent);
        final int handle = receiveTestFrames(1, 16)[0];
        assertArrayEquals(sent, frameOf(pool, handle));
        pool.release(handle);
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void receiveTakesNoMoreThanItsLimitAndKeepsTheRest() throws Exception
    {
        for (int i = 0; i < 5; i++)
        {
            peer().send(frame(10 + i, 60 + i));
        }
        final int[] first = receiveTestFrames(2, 1);
        final int[] rest = receiveTestFrames(3, 16);
        final int[] all = {first[0], first[1], rest[0], rest[1], rest[2]};
        for (int i = 0; i < 5; i++)
        {
            assertArrayEquals(frame(10 + i, 60 + i), frameOf(pool, all[i]), "in order, none lost");
            pool.release(all[i]);
        }
    }

    @Test
    void aDryPoolReceivesNothingAndLosesNothing() throws Exception
    {
        final int[] taken = new int[pool.capacity()];
        for (int i = 0; i < taken.length; i++)
        {
            taken[i] = pool.allocate();
        }
        peer().send(frame(20, 100));
        Thread.sleep(50);
        batch.clear();
        assertEquals(0, port().receive(pool, batch, 16), "no packet to receive into");
        assertEquals(0, batch.count());
        for (final int h : taken)
        {
            pool.release(h);
        }
        final int handle = receiveTestFrames(1, 16)[0];
        assertArrayEquals(frame(20, 100), frameOf(pool, handle), "the frame waited");
        pool.release(handle);
    }

    /**
     * A port worker reads into packets the owner lent it ({@link PortWorker}): one frame into the packet the
     * caller holds, with its in-port, the packet reused after a refused or empty read, and the caller's always.
     */
    @Test
    void receiveOneReadsAFrameIntoAPacketTheCallerHolds() throws Exception
    {
        final int handle = pool.allocate();
        final byte[] sent = frame(40, 150);
        peer().send(sent);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        boolean got = false;
        while (!got && System.nanoTime() < deadline)
        {
            pool.renew(handle);
            final int outcome = port().receiveOne(pool, handle);
            assertTrue(outcome == Port.RECEIVED || outcome == Port.NOTHING || outcome == Port.SKIPPED,
                "outcome " + outcome);
            if (outcome == Port.RECEIVED)
            {
                assertEquals(port().id(), pool.inPort(handle), "in-port set");
                got = isTestFrame(frameOf(pool, handle)); // the kernel's own frames (IPv6 DAD, ...) are skipped
            }
            else if (outcome == Port.NOTHING)
            {
                Thread.sleep(2);
            }
        }
        assertTrue(got, "the peer's frame was read");
        assertArrayEquals(sent, frameOf(pool, handle));
        assertEquals(pool.capacity() - 1, pool.available(), "the packet stays the caller's");
        pool.release(handle);
    }

    @Test
    void transmitSendsTheFrameAndLeavesThePacketToTheCaller() throws Exception
    {
        final byte[] frame = frame(30, 200);
        final int handle = pool.allocate();
        pool.clearVnetHeader(handle);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        assertTrue(port().transmit(pool, handle));
        assertTrue(port().transmit(pool, handle), "the same packet can go out again (floods)");
        port().flushTransmits(); // the end of a pass: a port that defers its writes sends them now
        assertEquals(pool.capacity() - 1, pool.available(), "transmit never releases");
        assertArrayEquals(frame, peer().receive(5000));
        assertArrayEquals(frame, peer().receive(5000));
        pool.release(handle);
    }

    @Test
    void countersCountBothWays() throws Exception
    {
        final long rx = port().counters().get(PortCounters.RX_PACKETS);
        final long tx = port().counters().get(PortCounters.TX_PACKETS);
        peer().send(frame(40, 80));
        pool.release(receiveTestFrames(1, 16)[0]);
        final int handle = pool.allocate();
        pool.clearVnetHeader(handle);
        final byte[] frame = frame(41, 80);
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        port().transmit(pool, handle);
        port().flushTransmits();
        pool.release(handle);
        assertArrayEquals(frame, peer().receive(5000));
        assertTrue(port().counters().get(PortCounters.RX_PACKETS) >= rx + 1);
        assertEquals(tx + 1, port().counters().get(PortCounters.TX_PACKETS));
    }
}
