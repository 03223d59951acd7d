package io.berth.vxlan;

import io.berth.dataplane.PacketBatch;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.Port;
import io.berth.dataplane.PortCounters;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.berth.dataplane.Frames.ETHER_IPV4;
import static io.berth.dataplane.Frames.ethernet;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.ipv4;
import static io.berth.dataplane.Frames.pseudoHeaderSum;
import static io.berth.dataplane.Frames.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import java.nio.ByteOrder;

/** A TSO frame through UDP GSO encapsulation, the kernel's UDP segmentation (emulated), and coalescing back. */
class UdpGsoTest
{
    private static final int SRC = ip("10.0.0.2");
    private static final int DST = ip("10.0.0.3");
    private static final int VTEP_A = ip("192.168.0.1");
    private static final int VTEP_B = ip("192.168.0.2");
    private static final int MSS = 1400;

    /** The uplink: keeps [virtio-net header | frame] of what it is given, whole or (when it gathers) in iovecs. */
    private static final class Capture implements Port
    {
        final List<byte[]> vnets = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        final boolean gathers;
        int gatheredWrites;

        Capture(final boolean gathers)
        {
            this.gathers = gathers;
        }

        @Override
        public boolean gathers()
        {
            return gathers;
        }

        /** As writev would: the pieces joined, the first 10 bytes the virtio-net header. */
        @Override
        public boolean transmitGathered(final long iovecs, final int count, final int frameLength)
        {
            final ByteBuffer joined = ByteBuffer.allocate(PacketPool.VNET_HDR_LEN + frameLength);
            for (int i = 0; i < count; i++)
            {
                final UnsafeBuffer iovec = new UnsafeBuffer(iovecs + 16L * i, 16);
                final byte[] piece = new byte[(int)iovec.getLong(8)];
                new UnsafeBuffer(iovec.getLong(0), piece.length).getBytes(0, piece);
                joined.put(piece);
            }
            assertEquals(0, joined.remaining(), "the iovecs add up to the frame length given");
            vnets.add(Arrays.copyOfRange(joined.array(), 0, PacketPool.VNET_HDR_LEN));
            frames.add(Arrays.copyOfRange(joined.array(), PacketPool.VNET_HDR_LEN, joined.capacity()));
            gatheredWrites++;
            return true;
        }

        @Override
        public boolean transmit(final PacketPool pool, final int handle)
        {
            final byte[] vnet = new byte[PacketPool.VNET_HDR_LEN];
            pool.buffer().getBytes(pool.vnetOffset(handle), vnet);
            final byte[] frame = new byte[pool.frameLength(handle)];
            pool.buffer().getBytes(pool.frameOffset(handle), frame);
            vnets.add(vnet);
            frames.add(frame);
            return true;
        }

        @Override
        public int id()
        {
            return 9;
        }

        @Override
        public String name()
        {
            return "capture";
        }

        @Override
        public int receive(final PacketPool pool, final PacketBatch into, final int limit)
        {
            return 0;
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

    private static byte[] payload(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return bytes;
    }

    @ParameterizedTest(name = "gathered write: {0}")
    @ValueSource(booleans = {false, true})
    void oneWritePerGroupAndTheKernelsSegmentsAreVxlanDatagramsThatCoalesceBack(final boolean gathers)
    {
        final byte[] data = payload(5000);
        final byte[] frame = ethernet(0x0242_0a00_0003L, 0x0242_0a00_0002L, ETHER_IPV4,
            ipv4(SRC, DST, 6, 64, tcp(SRC, DST, 40000, 5201, 1000, 77, 0x18, 502, data)));
        final PacketPool pool = new PacketPool(4);
        final int h = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        new VirtioNetHeader().wrap(pool.buffer(), pool.vnetOffset(h))
            .set(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 54, MSS, 34, 16);

        final Capture uplink = new Capture(gathers);
        assertEquals(1, new UdpGsoEncapsulation().send(pool, h, uplink, 4242, VTEP_A, VTEP_B, 4789, 0x0200_0000_0001L,
            0x0200_0000_0002L));
        assertEquals(gathers ? 1 : 0, uplink.gatheredWrites, "a gathering uplink gets the datagram in pieces");
        final byte[] after = new byte[pool.frameLength(h)];
        pool.buffer().getBytes(pool.frameOffset(h), after);
        assertArrayEquals(frame, after, "the TSO frame is left as it was");
        assertEquals(3, pool.available(), "the scratch packet went back to the pool");

        final ByteBuffer vnet = ByteBuffer.wrap(uplink.vnets.get(0)).order(ByteOrder.LITTLE_ENDIAN);
        final int unit = 8 + 54 + MSS;
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, vnet.get(0));
        assertEquals(UdpGsoEncapsulation.GSO_UDP_L4, vnet.get(1));
        assertEquals(42, vnet.getShort(2));
        assertEquals(unit, vnet.getShort(4));
        assertEquals(34, vnet.getShort(6));
        assertEquals(6, vnet.getShort(8));

        // what the kernel's UDP segmentation makes of it: one VXLAN datagram per gso_size of UDP payload
        final byte[] datagram = uplink.frames.get(0);
        assertEquals(42 + 3 * unit + 8 + 54 + 800, datagram.length);
        final ByteBuffer joined = ByteBuffer.allocate(data.length);
        for (int k = 0; k < 4; k++)
        {
            final int at = 42 + k * unit;
            final int chunk = k < 3 ? MSS : 800;
            final byte[] inner = Arrays.copyOfRange(datagram, at + 8, at + 8 + 54 + chunk);
            assertEquals(0x08, datagram[at] & 0xFF, "VXLAN I flag");
            assertEquals(4242, ByteBuffer.wrap(datagram, at + 4, 4).getInt() >>> 8, "VNI");
            final UnsafeBuffer b = new UnsafeBuffer(inner);
            assertEquals(0, Checksums.internet(b, 14, 20, 0), "inner IP checksum " + k);
            assertEquals(0, Checksums.internet(b, 34, 20 + chunk, Checksums.fold(pseudoHeaderSum(SRC, DST, 6, 20 + chunk))),
                "inner TCP checksum " + k);
            assertEquals(1000 + k * MSS, ByteBuffer.wrap(inner, 38, 4).getInt());
            assertEquals(k == 3 ? 0x18 : 0x10, inner[47] & 0xFF, "PSH on the last segment only");
            joined.put(inner, 54, chunk);
        }
        assertArrayEquals(data, joined.array());

        // the receiving host gets it whole (a veth keeps GSO) and makes one TSO frame of it again
        final int r = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(r), datagram);
        pool.frameLength(r, datagram.length);
        final int base = pool.frameOffset(r) + 42;
        final VirtioNetHeader header = new VirtioNetHeader();
        final int length = new UdpGsoDecapsulation().coalesce(pool.buffer(), base, datagram.length - 42, unit, 4242,
            header, base + 8 - PacketPool.VNET_HDR_LEN);
        assertEquals(54 + data.length, length);
        final byte[] tso = new byte[length];
        pool.buffer().getBytes(base + 8, tso);
        assertArrayEquals(Arrays.copyOfRange(frame, 0, 14), Arrays.copyOfRange(tso, 0, 14));
        assertEquals(40 + data.length, ByteBuffer.wrap(tso, 16, 2).getShort() & 0xFFFF);
        assertEquals(0, Checksums.internet(new UnsafeBuffer(tso), 14, 20, 0), "IP checksum of the TSO frame");
        assertEquals(0x18, tso[47] & 0xFF);
        assertArrayEquals(data, Arrays.copyOfRange(tso, 54, tso.length));
        header.wrap(pool.buffer(), base + 8 - PacketPool.VNET_HDR_LEN);
        assertEquals(VirtioNetHeader.GSO_TCPV4, header.gsoType());
        assertEquals(MSS, header.gsoSize());
        assertEquals(34, header.csumStart());
    }

    @Test
    void unitsThatAreNotOneStreamAreLeftAlone()
    {
        final byte[] data = payload(3000);
        final byte[] frame = ethernet(0x0242_0a00_0003L, 0x0242_0a00_0002L, ETHER_IPV4,
            ipv4(SRC, DST, 6, 64, tcp(SRC, DST, 40000, 5201, 1000, 77, 0x10, 502, data)));
        final PacketPool pool = new PacketPool(4);
        final int h = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        new VirtioNetHeader().wrap(pool.buffer(), pool.vnetOffset(h))
            .set(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 54, MSS, 34, 16);
        final Capture uplink = new Capture(false);
        new UdpGsoEncapsulation().send(pool, h, uplink, 7, VTEP_A, VTEP_B, 4789, 1, 2);
        final byte[] datagram = uplink.frames.get(0);
        final int unit = 8 + 54 + MSS;
        datagram[42 + unit + 8 + 38] ^= 1; // the second segment's sequence number
        final int r = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(r), datagram);
        final byte[] before = datagram.clone();
        final int base = pool.frameOffset(r) + 42;
        assertEquals(-1, new UdpGsoDecapsulation().coalesce(pool.buffer(), base, datagram.length - 42, unit, 7,
            new VirtioNetHeader(), base + 8 - PacketPool.VNET_HDR_LEN));
        final byte[] now = new byte[datagram.length];
        pool.buffer().getBytes(pool.frameOffset(r), now);
        assertArrayEquals(before, now, "nothing moved");
        // another VNI in a unit is not one stream either
        assertEquals(-1, new UdpGsoDecapsulation().coalesce(pool.buffer(), base, datagram.length - 42, unit, 8,
            new VirtioNetHeader(), base + 8 - PacketPool.VNET_HDR_LEN));
    }
}
