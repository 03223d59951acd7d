package io.berth.conntrack;

import io.berth.dataplane.PacketPool;
import io.berth.dataplane.flyweight.Checksums;
import io.berth.dataplane.flyweight.EthernetFlyweight;
import io.berth.dataplane.flyweight.Ipv4Flyweight;
import io.berth.dataplane.flyweight.VirtioNetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/** Golden IPv4 frames with correct checksums, and checksum verification by full recomputation. */
public final class TestPackets
{
    public static final int ETH = EthernetFlyweight.HEADER_LENGTH;

    private TestPackets()
    {
    }

    public static int ip(final String dotted)
    {
        return Ipv4Flyweight.parse(dotted);
    }

    public static int tcp(final PacketPool pool, final int src, final int sport, final int dst, final int dport, final int flags)
    {
        return tcp(pool, src, sport, dst, dport, flags, 0);
    }

    public static int tcp(final PacketPool pool, final int src, final int sport, final int dst, final int dport, final int flags, final int payload)
    {
        final int h = frame(pool, Ipv4Flyweight.PROTO_TCP, src, dst, 20 + payload);
        final UnsafeBuffer b = pool.buffer();
        final int l4 = l4(pool, h);
        b.putShort(l4, (short)sport, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short)dport, ByteOrder.BIG_ENDIAN);
        b.putInt(l4 + 4, 0x1111_1111, ByteOrder.BIG_ENDIAN);
        b.putInt(l4 + 8, (flags & 0x10) != 0 ? 0x2222_2222 : 0, ByteOrder.BIG_ENDIAN);
        b.putByte(l4 + 12, (byte)0x50);
        b.putByte(l4 + 13, (byte)flags);
        b.putShort(l4 + 14, (short)64240, ByteOrder.BIG_ENDIAN);
        fillPayload(b, l4 + 20, payload);
        fullL4Checksum(pool, h);
        return h;
    }

    public static int udp(final PacketPool pool, final int src, final int sport, final int dst, final int dport, final int payload)
    {
        final int h = frame(pool, Ipv4Flyweight.PROTO_UDP, src, dst, 8 + payload);
        final UnsafeBuffer b = pool.buffer();
        final int l4 = l4(pool, h);
        b.putShort(l4, (short)sport, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short)dport, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 4, (short)(8 + payload), ByteOrder.BIG_ENDIAN);
        fillPayload(b, l4 + 8, payload);
        fullL4Checksum(pool, h);
        return h;
    }

    public static int echo(final PacketPool pool, final int src, final int dst, final int type, final int id, final int seq)
    {
        final int h = frame(pool, Ipv4Flyweight.PROTO_ICMP, src, dst, 8 + 16);
        final UnsafeBuffer b = pool.buffer();
        final int l4 = l4(pool, h);
        b.putByte(l4, (byte)type);
        b.putShort(l4 + 4, (short)id, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 6, (short)seq, ByteOrder.BIG_ENDIAN);
        fillPayload(b, l4 + 8, 16);
        fullL4Checksum(pool, h);
        return h;
    }

    /** An ICMP error from {@code src} to {@code dst} quoting the IPv4 header and {@code quotedPayload} bytes of {@code quoted}. */
    public static int icmpError(final PacketPool pool, final int src, final int dst, final int type, final int code, final int quoted, final int quotedPayload)
    {
        final UnsafeBuffer b = pool.buffer();
        final int qip = pool.frameOffset(quoted) + ETH;
        final int qihl = (b.getByte(qip) & 0xF) * 4;
        final int qlen = Math.min(qihl + quotedPayload, (b.getShort(qip + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF));
        final int h = frame(pool, Ipv4Flyweight.PROTO_ICMP, src, dst, 8 + qlen);
        final int l4 = l4(pool, h);
        b.putByte(l4, (byte)type);
        b.putByte(l4 + 1, (byte)code);
        b.putBytes(l4 + 8, b, qip, qlen);
        fullL4Checksum(pool, h);
        return h;
    }

    private static int frame(final PacketPool pool, final int protocol, final int src, final int dst, final int l4Length)
    {
        final int h = pool.allocate();
        pool.clearVnetHeader(h);
        final UnsafeBuffer b = pool.buffer();
        final int f = pool.frameOffset(h);
        b.setMemory(f, ETH + 20 + l4Length, (byte)0);
        new EthernetFlyweight().wrap(b, f).destination(0x02_00_00_00_00_02L).source(0x02_00_00_00_00_01L).etherType(EthernetFlyweight.TYPE_IPV4);
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(b, f + ETH);
        ipv4.fill(20 + l4Length, 64, protocol, src, dst);
        b.putShort(f + ETH + 4, (short)0x1234, ByteOrder.BIG_ENDIAN);
        ipv4.updateChecksum();
        pool.frameLength(h, ETH + 20 + l4Length);
        return h;
    }

    private static void fillPayload(final UnsafeBuffer b, final int offset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            b.putByte(offset + i, (byte)(i * 7 + 3));
        }
    }

    public static int ipOffset(final PacketPool pool, final int h)
    {
        return pool.frameOffset(h) + ETH;
    }

    public static int l4(final PacketPool pool, final int h)
    {
        final int ip = ipOffset(pool, h);
        return ip + (pool.buffer().getByte(ip) & 0xF) * 4;
    }

    public static int l4Length(final PacketPool pool, final int h)
    {
        final UnsafeBuffer b = pool.buffer();
        final int ip = ipOffset(pool, h);
        return (b.getShort(ip + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF) - (b.getByte(ip) & 0xF) * 4;
    }

    public static int protocol(final PacketPool pool, final int h)
    {
        return pool.buffer().getByte(ipOffset(pool, h) + 9) & 0xFF;
    }

    public static int checksumOffset(final int protocol)
    {
        return protocol == Ipv4Flyweight.PROTO_TCP ? 16 : protocol == Ipv4Flyweight.PROTO_UDP ? 6 : 2;
    }

    /** Sum of the pseudo-header (RFC 793/768): addresses, protocol, L4 length. Unfolded. */
    public static long pseudoSum(final PacketPool pool, final int h)
    {
        final UnsafeBuffer b = pool.buffer();
        final int ip = ipOffset(pool, h);
        return Checksums.sum(b, ip + 12, 8, 0) + protocol(pool, h) + l4Length(pool, h);
    }

    /** Recomputes the L4 checksum from scratch. */
    public static void fullL4Checksum(final PacketPool pool, final int h)
    {
        final UnsafeBuffer b = pool.buffer();
        final int proto = protocol(pool, h);
        final int l4 = l4(pool, h);
        final int at = l4 + checksumOffset(proto);
        b.putShort(at, (short)0, ByteOrder.BIG_ENDIAN);
        final long initial = proto == Ipv4Flyweight.PROTO_ICMP ? 0 : pseudoSum(pool, h);
        int c = ~Checksums.fold(Checksums.sum(b, l4, l4Length(pool, h), initial)) & 0xFFFF;
        if (proto == Ipv4Flyweight.PROTO_UDP && c == 0)
        {
            c = 0xFFFF;
        }
        b.putShort(at, (short)c, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Turns a packet into what a TAP with offloads hands over: F_NEEDS_CSUM, csum_start at the L4 header, and the
     * checksum field holding the folded pseudo-header sum (not complemented), as Linux leaves it.
     */
    public static void makePartial(final PacketPool pool, final int h)
    {
        final UnsafeBuffer b = pool.buffer();
        final int proto = protocol(pool, h);
        final int l4 = l4(pool, h);
        new VirtioNetHeader().wrap(b, pool.vnetOffset(h))
            .set(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, l4 - pool.frameOffset(h), checksumOffset(proto));
        b.putShort(l4 + checksumOffset(proto), (short)Checksums.fold(pseudoSum(pool, h)), ByteOrder.BIG_ENDIAN);
    }

    /** What the NIC/kernel does with a NEEDS_CSUM packet: checksums from csum_start, field included, and stores it. */
    public static void completePartial(final PacketPool pool, final int h)
    {
        final UnsafeBuffer b = pool.buffer();
        final VirtioNetHeader vnet = new VirtioNetHeader().wrap(b, pool.vnetOffset(h));
        final int start = pool.frameOffset(h) + vnet.csumStart();
        final int end = pool.frameOffset(h) + pool.frameLength(h);
        final int c = ~Checksums.fold(Checksums.sum(b, start, end - start, 0)) & 0xFFFF;
        b.putShort(start + vnet.csumOffset(), (short)c, ByteOrder.BIG_ENDIAN);
        vnet.clear();
    }

    /** The partial field a correct stack would have written for the packet's current addresses. */
    public static int expectedPartial(final PacketPool pool, final int h)
    {
        return Checksums.fold(pseudoSum(pool, h));
    }

    public static boolean ipChecksumValid(final UnsafeBuffer b, final int ip)
    {
        return Checksums.fold(Checksums.sum(b, ip, (b.getByte(ip) & 0xF) * 4, 0)) == 0xFFFF;
    }

    /** Every checksum of the packet verified from scratch; for ICMP errors the quoted IPv4 header's too. */
    public static boolean checksumsValid(final PacketPool pool, final int h)
    {
        final UnsafeBuffer b = pool.buffer();
        final int ip = ipOffset(pool, h);
        if (!ipChecksumValid(b, ip))
        {
            return false;
        }
        final int proto = protocol(pool, h);
        final int l4 = l4(pool, h);
        final int len = l4Length(pool, h);
        if (proto == Ipv4Flyweight.PROTO_UDP && (b.getShort(l4 + 6, ByteOrder.BIG_ENDIAN) & 0xFFFF) == 0)
        {
            return true;
        }
        final long initial = proto == Ipv4Flyweight.PROTO_ICMP ? 0 : pseudoSum(pool, h);
        if (Checksums.fold(Checksums.sum(b, l4, len, initial)) != 0xFFFF)
        {
            return false;
        }
        if (proto == Ipv4Flyweight.PROTO_ICMP)
        {
            final int type = b.getByte(l4) & 0xFF;
            if (type == 3 || type == 11 || type == 12)
            {
                return ipChecksumValid(b, l4 + 8);
            }
        }
        return true;
    }

    public static int source(final PacketPool pool, final int h)
    {
        return pool.buffer().getInt(ipOffset(pool, h) + 12, ByteOrder.BIG_ENDIAN);
    }

    public static int destination(final PacketPool pool, final int h)
    {
        return pool.buffer().getInt(ipOffset(pool, h) + 16, ByteOrder.BIG_ENDIAN);
    }

    /** The frames of two packets, byte for byte, as hex (equal strings: equal packets). */
    public static String hex(final PacketPool pool, final int h)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pool.frameLength(h); i++)
        {
            sb.append(String.format("%02x", pool.buffer().getByte(pool.frameOffset(h) + i)));
            if (i % 16 == 15)
            {
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    public static int u16(final PacketPool pool, final int offset)
    {
        return pool.buffer().getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public static int sourcePort(final PacketPool pool, final int h)
    {
        return u16(pool, l4(pool, h));
    }

    public static int destinationPort(final PacketPool pool, final int h)
    {
        return u16(pool, l4(pool, h) + 2);
    }
}
