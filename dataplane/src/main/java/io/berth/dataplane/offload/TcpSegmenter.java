package io.berth.dataplane.offload;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.TcpFlyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Cuts a TSO super-frame (IPv4/TCP, gso_size from its virtio-net header) into MSS-sized segments in place, for a
 * port that must see each segment as its own frame (a VXLAN tunnel: the segments are encapsulated one by one; an
 * AF_XDP port, which takes no virtio-net header).
 * No copy of the payload: segment k's headers are written just in front of its payload, over the tail of segment
 * k-1, which was already handed on; the bytes overwritten there (and the room the caller's encapsulation needs in
 * front) are saved first and put back afterwards, so the packet leaves exactly as it came, for the next copy of a
 * flood.
 * <pre>
 *  | eth | ip | tcp | payload 0 ........ | payload 1 ........ | payload 2 ... |
 *                          segment 1:  | room | eth | ip | tcp | payload 1 ... |
 *                                      ^ saved, restored after the last segment
 * </pre>
 * Each segment gets its IP total length, identification (id + k) and header checksum, its sequence number, FIN and
 * PSH on the last segment only, CWR on the first only, and a full TCP checksum. Worker thread; allocation-free.
 */
public final class TcpSegmenter
{
    /** Called for each segment, the packet's frame being that segment. */
    @FunctionalInterface
    public interface SegmentSink
    {
        boolean send(PacketPool pool, int handle);
    }

    private static final int MAX_HEADERS = EthernetFlyweight.HEADER_LENGTH + 60 + 60;
    /** At most this many segments (a 64 KiB frame at an MSS of 512). */
    private static final int MAX_SEGMENTS = 128;

    /** Bytes in front of each segment's headers the sink may write (virtio-net header + outer headers). */
    private final int room;
    private final int saveSlot;
    private final UnsafeBuffer saved;
    private final UnsafeBuffer headers = new UnsafeBuffer(new byte[MAX_HEADERS + PacketPool.VNET_HDR_LEN]);
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final TcpSegments parsed = new TcpSegments();

    /**
     * @param room the bytes in front of each segment's headers its sink may write: the virtio-net header, and the
     *             outer headers of an encapsulation (a VXLAN tunnel's), saved and restored here.
     */
    public TcpSegmenter(final int room)
    {
        this.room = room;
        this.saveSlot = room + MAX_HEADERS;
        this.saved = new UnsafeBuffer(new byte[saveSlot * MAX_SEGMENTS]);
    }

    /**
     * @return the segments the sink accepted, or -1 when the frame is not IPv4/TCP with sane lengths (nothing
     * was sent and the packet is unchanged).
     */
    public int segment(final PacketPool pool, final int handle, final SegmentSink sink)
    {
        final UnsafeBuffer buffer = pool.buffer();
        final int frame = pool.frameOffset(handle);
        final int length = pool.frameLength(handle);
        vnet.wrap(buffer, pool.vnetOffset(handle));
        final int mss = vnet.gsoSize();
        if (!parsed.parse(buffer, frame, length))
        {
            return -1;
        }
        final int ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int ihl = parsed.ihl;
        final int tcp = ip + ihl;
        final int thl = parsed.thl;
        final int headerLength = parsed.headerLength;
        final int payload = length - headerLength;
        if (payload <= 0 || mss <= 0 || mss <= room + headerLength || (payload + mss - 1) / mss > MAX_SEGMENTS)
        {
            return -1;
        }
        final int segments = (payload + mss - 1) / mss;
        headers.putBytes(0, buffer, frame, headerLength);
        headers.putBytes(MAX_HEADERS, buffer, pool.vnetOffset(handle), PacketPool.VNET_HDR_LEN);
        final int id = parsed.id;
        final int sequence = parsed.sequence;
        final int flags = parsed.flags;
        final long pseudo = parsed.pseudo;

        int sent = 0;
        for (int k = 0; k < segments; k++)
        {
            final int chunk = Math.min(mss, payload - k * mss);
            final int at = frame + k * mss; // segment k's headers go here, its payload follows in place
            if (k > 0)
            {
                buffer.getBytes(at - room, saved, k * saveSlot, room + headerLength);
                buffer.putBytes(at, headers, 0, headerLength);
            }
            pool.adjustFrameStart(handle, at - pool.frameOffset(handle));
            pool.frameLength(handle, headerLength + chunk);
            TcpSegments.fixSegment(buffer, at + EthernetFlyweight.HEADER_LENGTH, ihl, thl, chunk, id + k,
                sequence + k * mss, TcpSegments.segmentFlags(flags, k, segments), pseudo);
            pool.clearVnetHeader(handle);
            if (sink.send(pool, handle))
            {
                sent++;
            }
        }
        // put the packet back as it came: the overwritten bytes, last segment first, then the first headers
        for (int k = segments - 1; k > 0; k--)
        {
            buffer.putBytes(frame + k * mss - room, saved, k * saveSlot, room + headerLength);
        }
        pool.adjustFrameStart(handle, frame - pool.frameOffset(handle));
        pool.frameLength(handle, length);
        buffer.putBytes(frame, headers, 0, headerLength);
        buffer.putBytes(pool.vnetOffset(handle), headers, MAX_HEADERS, PacketPool.VNET_HDR_LEN);
        return sent;
    }
}
