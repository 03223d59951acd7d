package io.berth.l3.frag;

import io.berth.dataplane.DropCounters;
import io.berth.dataplane.DropReason;
import io.berth.dataplane.MemoryPort;
import io.berth.dataplane.PacketPool;
import io.berth.dataplane.PortTable;
import io.berth.dataplane.graph.Graph;
import io.berth.dataplane.graph.TestGraphs;
import io.berth.dataplane.graph.TxNode;
import io.berth.l3.L3Drops;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.berth.dataplane.Frames.checksum;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * defrag -> ip-fragment -> tx on one port: a datagram cut into fragments (by hand, like a kernel would) comes out
 * byte for byte as the kernel would send it, whole when it fits the egress MTU and re-cut when it does not;
 * refusals each have their reason, and nothing is held or leaked.
 */
class FragmentsRoundTripTest
{
    static final int SRC = ip("203.0.113.7");
    static final int DST = ip("172.17.0.2");
    static final int OUT_PORT = 3;

    final PacketPool pool = new PacketPool(64);
    final DropCounters drops = new DropCounters();
    final FragmentCounters counters = new FragmentCounters();
    final CachedEpochClock clock = new CachedEpochClock();
    final PortTable ports = new PortTable();
    final MemoryPort out = new MemoryPort(OUT_PORT, "out");
    Reassembly reassembly;
    Graph graph;

    @BeforeEach
    void setUp()
    {
        clock.update(1_000_000);
        ports.put(out);
        reassembly = new Reassembly(pool, 8, 4, counters);
        graph = TestGraphs.autowire(pool, drops, new DefragNode(reassembly, clock), new FragmentNode(ports, counters),
            new TxNode(ports));
    }

    /** A whole IPv4 UDP datagram in an Ethernet frame: id, DF as given; payload bytes i*3. */
    static byte[] datagram(final int id, final int payload, final boolean df)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + payload);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)(28 + payload)).putShort((short)id).putShort((short)(df ? 0x4000 : 0));
        b.put((byte)64).put((byte)17).putShort((short)0).putInt(SRC).putInt(DST);
        b.putShort((short)5000).putShort((short)53).putShort((short)(8 + payload)).putShort((short)0);
        for (int i = 0; i < payload; i++)
        {
            b.put((byte)(i * 3));
        }
        final byte[] bytes = b.array();
        fixIpChecksum(bytes);
        return bytes;
    }

    static void fixIpChecksum(final byte[] frame)
    {
        frame[24] = 0;
        frame[25] = 0;
        final int sum = checksum(frame, 14, (frame[14] & 0xF) * 4, 0);
        frame[24] = (byte)(sum >>> 8);
        frame[25] = (byte)sum;
    }

    /** RFC 791 fragmentation of a whole frame into pieces of at most {@code mtu} IPv4 bytes. */
    static List<byte[]> fragments(final byte[] whole, final int mtu)
    {
        final List<byte[]> result = new ArrayList<>();
        final int payload = whole.length - 34;
        final int chunk = (mtu - 20) & ~7;
        for (int at = 0; at < payload; at += chunk)
        {
            final int length = Math.min(chunk, payload - at);
            final byte[] f = new byte[34 + length];
            System.arraycopy(whole, 0, f, 0, 34);
            System.arraycopy(whole, 34 + at, f, 34, length);
            f[16] = (byte)((20 + length) >>> 8);
            f[17] = (byte)(20 + length);
            final int field = (at >>> 3) | (at + length < payload ? 0x2000 : 0) | ((whole[20] & 0x40) << 8);
            f[20] = (byte)(field >>> 8);
            f[21] = (byte)field;
            fixIpChecksum(f);
            result.add(f);
        }
        return result;
    }

    void inject(final byte[] frame)
    {
        final int h = pool.allocate();
        pool.buffer().putBytes(pool.frameOffset(h), frame);
        pool.frameLength(h, frame.length);
        pool.clearVnetHeader(h);
        pool.inPort(h, 1);
        pool.egress(h, OUT_PORT); // routing is not under test: the egress is decided already
        graph.inject(h);
        graph.run();
    }

    @Test
    void fragmentsOutOfOrderComeOutAsTheWholeDatagram()
    {
        final byte[] whole = datagram(0x1234, 2972, false); // 3000 bytes of IPv4
        final List<byte[]> pieces = fragments(whole, 1500);
        assertEquals(3, pieces.size());
        ports.mtu(OUT_PORT, 9000);
        inject(pieces.get(2));
        inject(pieces.get(0));
        assertEquals(0, out.transmittedWaiting());
        inject(pieces.get(1));
        assertEquals(1, out.transmittedWaiting());
        assertEquals(toHex(whole), toHex(out.takeTransmitted()), "reassembled byte for byte");
        assertEquals(1, counters.get(FragmentCounter.REASSEMBLED));
        assertEquals(pool.capacity(), pool.available(), "nothing held");
    }

    @Test
    void aDatagramLargerThanTheEgressMtuIsCutAsAKernelWould()
    {
        ports.mtu(OUT_PORT, 1400);
        final byte[] whole = datagram(0x0101, 3972, false);
        inject(whole);
        final List<byte[]> expected = fragments(whole, 1400);
        assertEquals(expected.size(), out.transmittedWaiting());
        for (final byte[] piece : expected)
        {
            assertEquals(toHex(piece), toHex(out.takeTransmitted()));
        }
        assertEquals(1, counters.get(FragmentCounter.FRAGMENTED));
        assertEquals(expected.size(), counters.get(FragmentCounter.FRAGMENTS_CREATED));
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void fragmentsAreReassembledThenCutAgainForASmallerMtu()
    {
        ports.mtu(OUT_PORT, 576);
        final byte[] whole = datagram(0x0202, 2972, false);
        for (final byte[] piece : fragments(whole, 1500))
        {
            inject(piece);
        }
        final List<byte[]> expected = fragments(whole, 576);
        assertEquals(expected.size(), out.transmittedWaiting());
        for (final byte[] piece : expected)
        {
            assertArrayEquals(piece, out.takeTransmitted());
        }
    }

    @Test
    void dfTooLargeAtTheLastStepIsDroppedWithItsReason()
    {
        ports.mtu(OUT_PORT, 1400);
        inject(datagram(1, 1472, true));
        assertEquals(0, out.transmittedWaiting());
        assertEquals(1, drops.get(L3Drops.FRAG_NEEDED));
    }

    @Test
    void duplicatesOverlapsAndTinyFirstFragmentsEachHaveTheirReason()
    {
        final byte[] whole = datagram(0x0303, 2972, false);
        final List<byte[]> pieces = fragments(whole, 1500);
        inject(pieces.get(0));
        inject(pieces.get(0));
        assertEquals(1, drops.get(L3Drops.FRAG_DUPLICATE));
        final byte[] overlapping = pieces.get(1).clone();
        overlapping[21] = (byte)(overlapping[21] - 1); // starts 8 bytes early, into fragment 0
        fixIpChecksum(overlapping);
        inject(overlapping);
        assertEquals(1, drops.get(L3Drops.FRAG_OVERLAP));
        assertEquals(0, reassembly.size(), "an overlap drops the whole datagram");

        final byte[] tiny = fragments(datagram(0x0404, 100, false), 28).get(0); // first fragment of 8 bytes: UDP fits
        inject(tiny);
        assertEquals(0, drops.get(L3Drops.FRAG_TINY), "8 bytes hold the UDP ports");
        final byte[] tinyTcp = tiny.clone();
        tinyTcp[23] = 6;
        tinyTcp[19] = 0x05; // another datagram
        fixIpChecksum(tinyTcp);
        inject(tinyTcp);
        assertEquals(1, drops.get(L3Drops.FRAG_TINY), "8 bytes do not hold TCP's flags (RFC 1858)");

        final byte[] tooBig = pieces.get(2).clone();
        tooBig[20] = 0x1F; // offset 8191 * 8
        tooBig[21] = (byte)0xFF;
        fixIpChecksum(tooBig);
        inject(tooBig);
        assertEquals(1, drops.get(L3Drops.FRAG_TOO_BIG));
        reassembly.clear();
        assertEquals(pool.capacity(), pool.available());
    }

    @Test
    void incompleteDatagramsTimeOutAndTheBoundEvictsTheOldest()
    {
        for (int id = 1; id <= 20; id++)
        {
            inject(fragments(datagram(id, 2972, false), 1500).get(0));
        }
        assertEquals(4, reassembly.size(), "one source holds its quarter of the bound");
        assertEquals(16, counters.get(FragmentCounter.EVICTED));
        assertEquals(pool.capacity() - 4, pool.available());
        clock.update(clock.time() + Reassembly.TIMEOUT_MILLIS);
        reassembly.doWork(clock.time());
        assertEquals(0, reassembly.size());
        assertEquals(4, counters.get(FragmentCounter.TIMEOUTS));
        assertEquals(pool.capacity(), pool.available());
    }
}
