package io.berth.dataplane;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryPortTest
{
    private final byte[] frame = Frames.udpFrame(0x0200_0000_0001L, 0x0200_0000_0002L, 0x0A00_0001, 0x0A00_0002, 1, 2, 64);

    @Test
    void receivesInjectedFramesIntoPooledPacketsWithAZeroVnetHeader()
    {
        final PacketPool pool = new PacketPool(4);
        // leave garbage where the first packet's vnet header goes
        pool.buffer().setMemory(pool.receiveOffset(0), PacketPool.VNET_HDR_LEN, (byte)0x77);
        final MemoryPort port = new MemoryPort(3, "mem3");
        assertEquals(3, port.id());
        assertEquals("mem3", port.name());
        assertFalse(port.offloads());
        assertEquals(-1, port.pollFd());
        port.inject(frame);
        port.inject(Frames.pad(new byte[] {1, 2, 3}, 20));
        final PacketBatch batch = new PacketBatch(8);
        assertEquals(2, port.receive(pool, batch, 8));
        assertEquals(2, batch.count());
        final int handle = batch.get(0);
        assertEquals(3, pool.inPort(handle));
        assertEquals(64, pool.frameLength(handle));
        final byte[] copy = new byte[64];
        pool.buffer().getBytes(pool.frameOffset(handle), copy);
        assertArrayEquals(frame, copy);
        for (int i = 0; i < PacketPool.VNET_HDR_LEN; i++)
        {
            assertEquals(0, pool.buffer().getByte(pool.vnetOffset(handle) + i));
        }
        assertEquals(2, port.counters().get(PortCounters.RX_PACKETS));
        assertEquals(84, port.counters().get(PortCounters.RX_BYTES));
        assertEquals(0, port.receive(pool, batch, 8), "nothing left");
    }

    @Test
    void respectsTheLimitAndKeepsFramesWhenThePoolIsDry()
    {
        final PacketPool pool = new PacketPool(2);
        final MemoryPort port = new MemoryPort(0, "m");
        for (int i = 0; i < 5; i++)
        {
            port.inject(Frames.pad(new byte[] {(byte)i}, 60));
        }
        final PacketBatch batch = new PacketBatch(8);
        assertEquals(1, port.receive(pool, batch, 1));
        assertEquals(1, port.receive(pool, batch, 8), "one slot left in the pool");
        assertEquals(0, port.receive(pool, batch, 8));
        assertEquals(2, port.counters().get(PortCounters.RX_NO_BUFFER));
        pool.release(batch.get(0));
        pool.release(batch.get(1));
        batch.clear();
        assertEquals(2, port.receive(pool, batch, 8));
        assertEquals(2, pool.buffer().getByte(pool.frameOffset(batch.get(0))), "the frame refused for want of a buffer comes next");
        assertEquals(3, pool.buffer().getByte(pool.frameOffset(batch.get(1))));
    }

    @Test
    void transmitCopiesOrOnlyCounts()
    {
        final PacketPool pool = new PacketPool(1);
        final MemoryPort port = new MemoryPort(0, "m", true);
        assertTrue(port.offloads());
        final int handle = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(handle), frame);
        pool.frameLength(handle, frame.length);
        assertTrue(port.transmit(pool, handle));
        assertTrue(port.transmit(pool, handle));
        assertEquals(2, port.transmittedWaiting());
        assertArrayEquals(frame, port.takeTransmitted());
        assertArrayEquals(frame, port.takeTransmitted());
        assertNull(port.takeTransmitted());
        port.keepTransmitted(false);
        assertTrue(port.transmit(pool, handle));
        assertEquals(0, port.transmittedWaiting());
        assertEquals(3, port.counters().get(PortCounters.TX_PACKETS));
        assertEquals(3L * frame.length, port.counters().get(PortCounters.TX_BYTES));
        assertEquals(0, pool.available(), "transmit never releases");
    }

    @Test
    void replayIsAnEndlessSource()
    {
        final PacketPool pool = new PacketPool(300);
        final MemoryPort port = new MemoryPort(0, "m");
        port.replay(frame);
        final PacketBatch batch = new PacketBatch(256);
        assertEquals(256, port.receive(pool, batch, 256));
        batch.clear();
        assertEquals(44, port.receive(pool, batch, 256), "until the pool runs dry");
        assertEquals(1, port.counters().get(PortCounters.RX_NO_BUFFER));
        port.transmit(pool, batch.get(0));
        assertEquals(0, port.transmittedWaiting(), "replay stops keeping transmitted frames");
    }
}
