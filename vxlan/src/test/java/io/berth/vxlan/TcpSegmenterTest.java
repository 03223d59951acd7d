package io.berth.vxlan;

import io.berth.dataplane.offload.TcpSegmenter;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.junit.jupiter.api.Test;

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
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.agrona.concurrent.UnsafeBuffer;

class TcpSegmenterTest
{
    private static final int SRC = ip("10.0.0.2");
    private static final int DST = ip("10.0.0.3");

    /** A TSO frame as a container's kernel writes it: PSH|FIN|ACK, checksum left as the pseudo-header sum. */
    private static byte[] superFrame(final byte[] payload)
    {
        final byte[] frame = ethernet(0x0242_0a00_0003L, 0x0242_0a00_0002L, ETHER_IPV4,
            ipv4(SRC, DST, 6, 64, tcp(SRC, DST, 40000, 5201, 1000, 77, 0x19, 502, payload)));
        return frame;
    }

    @Test
    void cutsIntoMssSegmentsWithRightHeadersAndChecksumsAndRestoresThePacket()
    {
        final PacketPool pool = new PacketPool(4);
        final byte[] payload = new byte[5000];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(i * 7);
        }
        final byte[] frame = superFrame(payload);
        final int h = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        new VirtioNetHeader().wrap(pool.buffer(), pool.vnetOffset(h))
            .set(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 54, 1400, 34, 16);
        final byte[] vnetBefore = new byte[PacketPool.VNET_HDR_LEN];
        pool.buffer().getBytes(pool.vnetOffset(h), vnetBefore);
        final byte[] headroomBefore = new byte[PacketPool.HEADROOM];
        pool.buffer().getBytes(pool.frameOffset(h) - PacketPool.HEADROOM, headroomBefore);

        final List<byte[]> segments = new ArrayList<>();
        final int sent = new TcpSegmenter(VxlanTunnelPort.SEGMENT_ROOM).segment(pool, h, (p, handle) ->
        {
            final byte[] bytes = new byte[p.frameLength(handle)];
            p.buffer().getBytes(p.frameOffset(handle), bytes);
            segments.add(bytes);
            // the sink may write in front of the segment (outer headers), as the tunnel's encapsulation does
            p.buffer().setMemory(p.frameOffset(handle) - VxlanEncapsulation.OVERHEAD - PacketPool.VNET_HDR_LEN,
                VxlanEncapsulation.OVERHEAD + PacketPool.VNET_HDR_LEN, (byte)0xEE);
            return true;
        });

        assertEquals(4, sent);
        assertEquals(4, segments.size());
        final ByteBuffer joined = ByteBuffer.allocate(payload.length);
        for (int k = 0; k < segments.size(); k++)
        {
            final ByteBuffer s = ByteBuffer.wrap(segments.get(k));
            final int chunk = k < 3 ? 1400 : 800;
            assertEquals(54 + chunk, segments.get(k).length);
            assertEquals(40 + chunk, s.getShort(16) & 0xFFFF, "IP total length");
            assertEquals(0, Checksums.internet(new UnsafeBuffer(segments.get(k)), 14, 20, 0),
                "IP header checksum of segment " + k);
            assertEquals(1000 + k * 1400, s.getInt(38), "sequence");
            final int flags = segments.get(k)[47] & 0xFF;
            assertEquals(k == 3 ? 0x19 : 0x10, flags, "FIN and PSH on the last segment only");
            final int tcpLength = 20 + chunk;
            final long sum = pseudoHeaderSum(SRC, DST, 6, tcpLength);
            assertEquals(0, Checksums.internet(new UnsafeBuffer(segments.get(k)), 34, tcpLength,
                (int)Checksums.fold(sum)) , "TCP checksum of segment " + k);
            joined.put(segments.get(k), 54, chunk);
        }
        assertArrayEquals(payload, joined.array());

        // the packet is as it came, for the next copy of a flood
        final byte[] after = new byte[pool.frameLength(h)];
        pool.buffer().getBytes(pool.frameOffset(h), after);
        assertArrayEquals(frame, after);
        final byte[] vnetAfter = new byte[PacketPool.VNET_HDR_LEN];
        pool.buffer().getBytes(pool.vnetOffset(h), vnetAfter);
        assertArrayEquals(vnetBefore, vnetAfter);
        assertTrue(Arrays.equals(frame, after));
    }

    @Test
    void refusesWhatIsNotTcpOverIpv4()
    {
        final PacketPool pool = new PacketPool(2);
        final byte[] frame = ethernet(1, 2, 0x86DD, new byte[100]);
        final int h = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        new VirtioNetHeader().wrap(pool.buffer(), pool.vnetOffset(h))
            .set(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 54, 1400, 34, 16);
        assertEquals(-1, new TcpSegmenter(VxlanTunnelPort.SEGMENT_ROOM).segment(pool, h, (p, handle) -> true));
    }
}
