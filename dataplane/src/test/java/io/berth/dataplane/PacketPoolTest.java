package io.berth.dataplane;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketPoolTest
{
    @Test
    void allocatesDistinctSlotsFromTheFrontUntilDry()
    {
        final PacketPool pool = new PacketPool(8);
        assertEquals(8, pool.capacity());
        assertEquals(8, pool.available());
        final Set<Integer> handles = new HashSet<>();
        for (int i = 0; i < 8; i++)
        {
            final int handle = pool.allocate();
            assertEquals(i, handle, "slot 0 first, then in order");
            assertTrue(handles.add(handle));
            assertEquals(8 - i - 1, pool.available());
        }
        assertEquals(PacketPool.NO_PACKET, pool.allocate());
        assertEquals(PacketPool.NO_PACKET, pool.allocate());
        assertEquals(0, pool.available());

        pool.release(5);
        assertEquals(1, pool.available());
        assertEquals(5, pool.allocate(), "the released slot comes back");
        assertEquals(PacketPool.NO_PACKET, pool.allocate());
        for (final int handle : handles)
        {
            pool.release(handle);
        }
        assertEquals(8, pool.available());
    }

    @Test
    void freshPacketsHaveDefaultMetadata()
    {
        final PacketPool pool = new PacketPool(2);
        final int handle = pool.allocate();
        pool.frameLength(handle, 100);
        pool.inPort(handle, 3);
        pool.egress(handle, 7);
        pool.domain(handle, 9);
        pool.adjustFrameStart(handle, -20);
        assertEquals(100 + 20, pool.frameLength(handle));
        assertEquals(3, pool.inPort(handle));
        assertEquals(7, pool.egress(handle));
        assertEquals(9, pool.domain(handle));
        pool.release(handle);

        final int again = pool.allocate();
        assertEquals(handle, again);
        assertEquals(0, pool.frameLength(again));
        assertEquals(-1, pool.inPort(again));
        assertEquals(Egress.NONE, pool.egress(again));
        assertEquals(-1, pool.domain(again));
        assertEquals(again * PacketPool.SLOT_SIZE + PacketPool.HEADROOM, pool.frameOffset(again));
    }

    @Test
    void slotLayoutLeavesHeadroomAndTheVnetHeaderInFrontOfTheFrame()
    {
        final PacketPool pool = new PacketPool(4);
        pool.allocate();
        final int handle = pool.allocate();
        final int frame = pool.frameOffset(handle);
        assertEquals(PacketPool.SLOT_SIZE + PacketPool.HEADROOM, frame);
        assertEquals(frame - PacketPool.VNET_HDR_LEN, pool.vnetOffset(handle));
        assertEquals(pool.vnetOffset(handle), pool.receiveOffset(handle));
        assertEquals(PacketPool.VNET_HDR_LEN + PacketPool.MAX_FRAME, PacketPool.receiveCapacity());
        assertTrue(PacketPool.HEADROOM + PacketPool.MAX_FRAME <= PacketPool.SLOT_SIZE, "a 64 KiB frame fits its slot");
        assertEquals(0, PacketPool.SLOT_SIZE % 4096);
        assertEquals(0, pool.baseAddress() % 4096, "the region is page aligned");
        assertEquals(4L * PacketPool.SLOT_SIZE, pool.buffer().capacity());
    }

    @Test
    void adjustFrameStartPushesAndPopsHeaders()
    {
        final PacketPool pool = new PacketPool(1);
        final int handle = pool.allocate();
        final int start = pool.frameOffset(handle);
        pool.frameLength(handle, 64);
        pool.buffer().putByte(start, (byte)0x42);

        pool.adjustFrameStart(handle, -50); // push a VXLAN outer header
        assertEquals(start - 50, pool.frameOffset(handle));
        assertEquals(114, pool.frameLength(handle));
        assertEquals(start - 50 - PacketPool.VNET_HDR_LEN, pool.vnetOffset(handle), "the vnet header moves with the frame");
        assertEquals(0x42, pool.buffer().getByte(pool.frameOffset(handle) + 50), "the inner frame did not move");

        pool.adjustFrameStart(handle, 50); // and pop it again
        assertEquals(start, pool.frameOffset(handle));
        assertEquals(64, pool.frameLength(handle));
        assertEquals(pool.receiveOffset(handle), pool.vnetOffset(handle));
    }

    @Test
    void clearVnetHeaderZeroesExactlyTenBytes()
    {
        final PacketPool pool = new PacketPool(1);
        final int handle = pool.allocate();
        pool.buffer().setMemory(pool.vnetOffset(handle) - 1, PacketPool.VNET_HDR_LEN + 2, (byte)0x5A);
        pool.clearVnetHeader(handle);
        assertEquals(0x5A, pool.buffer().getByte(pool.vnetOffset(handle) - 1));
        for (int i = 0; i < PacketPool.VNET_HDR_LEN; i++)
        {
            assertEquals(0, pool.buffer().getByte(pool.vnetOffset(handle) + i));
        }
        assertEquals(0x5A, pool.buffer().getByte(pool.frameOffset(handle)), "the frame is untouched");
    }

    @Test
    void capacityIsValidated()
    {
        assertThrows(IllegalArgumentException.class, () -> new PacketPool(0));
        assertThrows(IllegalArgumentException.class, () -> new PacketPool(-1));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new PacketPool(1 << 20));
        assertTrue(ex.getMessage().contains("1048576"), ex.getMessage());
    }

    @Test
    void egressCodesEncodeFloodLists()
    {
        assertEquals(-1, Egress.NONE);
        assertTrue(Egress.isFlood(Egress.flood(0)));
        assertTrue(Egress.isFlood(Egress.flood(4095)));
        assertEquals(0, Egress.floodListId(Egress.flood(0)));
        assertEquals(4095, Egress.floodListId(Egress.flood(4095)));
        assertTrue(!Egress.isFlood(Egress.NONE) && !Egress.isFlood(0) && !Egress.isFlood(17));
    }

    @Test
    void batchesAddCountAndClear()
    {
        final PacketBatch batch = new PacketBatch(3);
        assertEquals(3, batch.capacity());
        assertEquals(3, batch.remaining());
        batch.add(7);
        batch.add(9);
        assertEquals(2, batch.count());
        assertEquals(9, batch.get(1));
        batch.add(11);
        assertTrue(batch.isFull());
        assertEquals(0, batch.remaining());
        batch.clear();
        assertEquals(0, batch.count());
        assertEquals(PacketBatch.DEFAULT_CAPACITY, new PacketBatch().capacity());
    }

    @Test
    void countersKeepOneValueEach()
    {
        final DropCounters drops = new DropCounters();
        assertEquals(DropReason.capacity(), drops.size());
        assertTrue(DropReason.values().containsAll(DropReason.BASE), "the base reasons are declared with the class");
        drops.count(DropReason.SAME_PORT);
        drops.count(DropReason.SAME_PORT);
        drops.count(DropReason.NO_EGRESS);
        assertEquals(2, drops.get(DropReason.SAME_PORT));
        assertEquals(1, drops.get(DropReason.NO_EGRESS));
        assertEquals(0, drops.get(DropReason.FRAME_TOO_SHORT));
        assertEquals(DropReason.SAME_PORT, DropReason.of(DropReason.SAME_PORT.ordinal()));
        assertEquals("same_port", DropReason.SAME_PORT.counterName());

        final PortCounters port = new PortCounters();
        port.received(60);
        port.received(40);
        port.transmitted(1500);
        assertEquals(2, port.get(PortCounters.RX_PACKETS));
        assertEquals(100, port.get(PortCounters.RX_BYTES));
        assertEquals(1, port.get(PortCounters.TX_PACKETS));
        assertEquals(1500, port.get(PortCounters.TX_BYTES));
        assertEquals(PortCounters.NAMES.length, port.size());
    }
}
