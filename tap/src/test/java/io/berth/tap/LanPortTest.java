package io.berth.tap;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.agrona.concurrent.UnsafeBuffer;

/** A LAN port tags in place for its parent's write and leaves the packet as it was, for the next copy of a flood. */
class LanPortTest
{
    private final PacketPool pool = new PacketPool(8);

    /** What a parent saw: [vnet header | frame] as it would have written them. */
    private static final class RecordingParent implements Port
    {
        final List<byte[]> vnet = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        boolean accept = true;

        @Override
        public int id()
        {
            return 1;
        }

        @Override
        public String name()
        {
            return "eth9";
        }

        @Override
        public int receive(final PacketPool pool, final PacketBatch into, final int limit)
        {
            return 0;
        }

        @Override
        public boolean transmit(final PacketPool pool, final int handle)
        {
            final byte[] header = new byte[PacketPool.VNET_HDR_LEN];
            pool.buffer().getBytes(pool.vnetOffset(handle), header);
            final byte[] frame = new byte[pool.frameLength(handle)];
            pool.buffer().getBytes(pool.frameOffset(handle), frame);
            vnet.add(header);
            frames.add(frame);
            return accept;
        }

        @Override
        public boolean offloads()
        {
            return true;
        }

        @Override
        public int pollFd()
        {
            return -1;
        }

        @Override
        public PortCounters counters()
        {
            return new PortCounters();
        }

        @Override
        public void close()
        {
        }
    }

    private static byte[] frame()
    {
        final byte[] f = new byte[60];
        for (int i = 0; i < f.length; i++)
        {
            f[i] = (byte)(i + 1);
        }
        f[12] = 0x08;
        f[13] = 0x00;
        return f;
    }

    private int packet(final byte[] frame)
    {
        final int h = pool.allocate();
        pool.clearVnetHeader(h);
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        return h;
    }

    @Test
    void aTaggedSendPutsTheTagAfterTheMacsAndRestoresThePacket()
    {
        final RecordingParent parent = new RecordingParent();
        final LanPort port = new LanPort(7, parent, 10);
        assertEquals("lan/eth9.10", port.name());
        final byte[] original = frame();
        final int h = packet(original);
        new VirtioNetHeader().wrap(pool.buffer(), pool.vnetOffset(h)).set(VirtioNetHeader.F_NEEDS_CSUM,
            VirtioNetHeader.GSO_TCPV4, 54, 1448, 34, 16);
        final byte[] vnetBefore = new byte[PacketPool.VNET_HDR_LEN];
        pool.buffer().getBytes(pool.vnetOffset(h), vnetBefore);

        assertTrue(port.transmit(pool, h));
        assertTrue(port.transmit(pool, h), "a second copy (a flood) is tagged the same");

        for (int copy = 0; copy < 2; copy++)
        {
            final byte[] sent = parent.frames.get(copy);
            assertEquals(original.length + 4, sent.length);
            assertArrayEquals(Arrays.copyOfRange(original, 0, 12), Arrays.copyOfRange(sent, 0, 12), "MACs first");
            assertArrayEquals(new byte[] {(byte)0x81, 0x00, 0x00, 0x0a}, Arrays.copyOfRange(sent, 12, 16), "TPID, VID 10");
            assertArrayEquals(Arrays.copyOfRange(original, 12, original.length), Arrays.copyOfRange(sent, 16, sent.length));
            final VirtioNetHeader vnet = new VirtioNetHeader().wrap(new UnsafeBuffer(
                parent.vnet.get(copy)), 0);
            assertEquals(38, vnet.csumStart(), "the checksum starts 4 bytes later");
            assertEquals(58, vnet.hdrLen(), "and so do a GSO frame's headers");
            assertEquals(1448, vnet.gsoSize());
            assertEquals(16, vnet.csumOffset());
        }
        final byte[] after = new byte[pool.frameLength(h)];
        pool.buffer().getBytes(pool.frameOffset(h), after);
        assertArrayEquals(original, after, "the packet is as it was");
        final byte[] vnetAfter = new byte[PacketPool.VNET_HDR_LEN];
        pool.buffer().getBytes(pool.vnetOffset(h), vnetAfter);
        assertArrayEquals(vnetBefore, vnetAfter);
        assertEquals(2, port.counters().get(PortCounters.TX_PACKETS));
    }

    @Test
    void theUntaggedNetworkSendsTheFrameAsItIsAndARefusalIsCounted()
    {
        final RecordingParent parent = new RecordingParent();
        final LanPort port = new LanPort(7, parent, 0);
        final int h = packet(frame());
        assertTrue(port.transmit(pool, h));
        assertArrayEquals(frame(), parent.frames.get(0));
        parent.accept = false;
        assertFalse(port.transmit(pool, h));
        assertEquals(1, port.counters().get(PortCounters.TX_ERRORS));
        assertThrows(IllegalArgumentException.class, () -> new LanPort(7, parent, 4095));
    }
}
