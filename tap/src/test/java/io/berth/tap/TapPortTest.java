package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TapPort's error paths without a TAP: a non-blocking eventfd stands in, since reading it gives EAGAIN when empty,
 * an 8-byte runt (shorter than a virtio-net header) otherwise, and it refuses writes that are not 8 bytes.
 */
class TapPortTest
{
    private int efd;
    private TapPort port;
    private final PacketPool pool = new PacketPool(4);
    private final PacketBatch batch = new PacketBatch();

    @BeforeEach
    void open() throws Exception
    {
        efd = Natives.eventfd(Natives.EFD_NONBLOCK | Natives.EFD_CLOEXEC);
        port = new TapPort(7, "efd", efd);
    }

    @AfterEach
    void close()
    {
        port.close();
    }

    private void bumpEventfd()
    {
        final UnsafeBuffer one = new UnsafeBuffer(BufferUtil.allocateDirectAligned(8, 8));
        one.putLong(0, 1);
        assertEquals(8, Natives.write(efd, one.addressOffset(), 8));
    }

    @Test
    void nothingWaitingIsNotAnError()
    {
        assertEquals(0, port.receive(pool, batch, 8));
        assertEquals(0, batch.count());
        assertEquals(4, pool.available(), "the packet is returned to the pool");
        assertEquals(0, port.counters().get(PortCounters.RX_ERRORS));
    }

    @Test
    void runtShorterThanVnetHeaderIsCountedAndDropped()
    {
        bumpEventfd();
        assertEquals(0, port.receive(pool, batch, 8));
        assertEquals(1, port.counters().get(PortCounters.RX_ERRORS));
        assertEquals(4, pool.available());
    }

    @Test
    void dryPoolIsCounted()
    {
        final PacketPool empty = new PacketPool(1);
        empty.allocate();
        assertEquals(0, port.receive(empty, batch, 8));
        assertEquals(1, port.counters().get(PortCounters.RX_NO_BUFFER));
    }

    @Test
    void failedWriteIsCountedNotThrown()
    {
        final int h = Frames.packet(pool, new byte[60]);
        assertFalse(port.transmit(pool, h));
        assertEquals(1, port.counters().get(PortCounters.TX_ERRORS));
        assertEquals(0, port.counters().get(PortCounters.TX_PACKETS));
    }

    @Test
    void describesItself()
    {
        assertEquals(7, port.id());
        assertEquals(efd, port.pollFd());
        assertTrue(port.offloads());
    }
}
