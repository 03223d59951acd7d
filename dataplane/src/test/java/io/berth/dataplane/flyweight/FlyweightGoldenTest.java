package io.berth.dataplane.flyweight;

import io.berth.dataplane.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static io.berth.dataplane.Frames.hex;
import static io.berth.dataplane.Frames.ip;
import static io.berth.dataplane.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;

/**
 * Flyweights read and write frames written out byte by byte from the RFC layouts (RFC 826, 791, 792, 9293,
 * linux/virtio_net.h). The checksums in these arrays were worked out by hand (16-bit ones'-complement sums).
 */
class FlyweightGoldenTest
{
    /** ARP request from 02:42:ac:11:00:02 (172.17.0.2): who has 172.17.0.1? */
    static final byte[] ARP_REQUEST = hex(
        "ff ff ff ff ff ff" + "02 42 ac 11 00 02" + "08 06"   // Ethernet: broadcast, source, ARP
        + "00 01 08 00 06 04 00 01"                           // Ethernet/IPv4, request
        + "02 42 ac 11 00 02" + "ac 11 00 02"                 // sender MAC, IP
        + "00 00 00 00 00 00" + "ac 11 00 01");               // target MAC (unknown), IP

    /** Echo request 172.17.0.2 -> 172.17.0.1, id 0x1234 seq 1, data 01..08; IPv4 sum 0xe2b3, ICMP sum 0xd5b6. */
    static final byte[] ECHO_REQUEST = hex(
        "02 42 ac 11 00 01" + "02 42 ac 11 00 02" + "08 00"
        + "45 00 00 24 00 00 40 00 40 01 e2 b3 ac 11 00 02 ac 11 00 01"
        + "08 00 d5 b6 12 34 00 01" + "01 02 03 04 05 06 07 08");

    /** TCP SYN 172.17.0.2:40000 -> 172.17.0.3:80, seq 0x01020304, window 0xfaf0; IPv4 sum 0xe2a8, TCP sum 0xbc33. */
    static final byte[] TCP_SYN = hex(
        "02 42 ac 11 00 03" + "02 42 ac 11 00 02" + "08 00"
        + "45 00 00 28 00 00 40 00 40 06 e2 a8 ac 11 00 02 ac 11 00 03"
        + "9c 40 00 50 01 02 03 04 00 00 00 00 50 02 fa f0 bc 33 00 00");

    /** virtio_net_hdr: NEEDS_CSUM, GSO_TCPV4, hdr_len 54, gso_size 1448, csum_start 34, csum_offset 16 (LE). */
    static final byte[] VNET_TSO = hex("01 01 36 00 a8 05 22 00 10 00");

    private static UnsafeBuffer bufferOf(final byte[] bytes, final int at)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[at + bytes.length + 64]);
        buffer.putBytes(at, bytes);
        return buffer;
    }

    @Test
    void builderProducesTheGoldenFrames()
    {
        final long host = mac("02:42:ac:11:00:02");
        assertArrayEquals(ARP_REQUEST, Frames.arpRequest(host, ip("172.17.0.2"), ip("172.17.0.1")));
        assertArrayEquals(ECHO_REQUEST, Frames.ping(host, mac("02:42:ac:11:00:01"), ip("172.17.0.2"), ip("172.17.0.1"),
            0x1234, 1, hex("01 02 03 04 05 06 07 08")));
        assertArrayEquals(TCP_SYN, synWithSequence());
        assertTrue(Frames.ipv4ChecksumValid(ECHO_REQUEST));
        assertTrue(Frames.icmpChecksumValid(ECHO_REQUEST));
        assertTrue(Frames.ipv4ChecksumValid(TCP_SYN));
        assertTrue(Frames.l4ChecksumValid(TCP_SYN));
    }

    private static byte[] synWithSequence()
    {
        final int src = ip("172.17.0.2");
        final int dst = ip("172.17.0.3");
        return Frames.ethernet(mac("02:42:ac:11:00:03"), mac("02:42:ac:11:00:02"), Frames.ETHER_IPV4,
            Frames.ipv4(src, dst, 6, 64, Frames.tcp(src, dst, 40000, 80, 0x01020304L, 0, 0x02, 0xFAF0, new byte[0])));
    }

    @Test
    void ethernetReadsAndWritesTheHeader()
    {
        final int at = 7; // odd offset: nothing may assume alignment
        final UnsafeBuffer buffer = bufferOf(ARP_REQUEST, at);
        final EthernetFlyweight eth = new EthernetFlyweight().wrap(buffer, at);
        assertEquals(0xFFFF_FFFF_FFFFL, eth.destination());
        assertEquals(0x0242_ac11_0002L, eth.source());
        assertEquals(EthernetFlyweight.TYPE_ARP, eth.etherType());
        assertEquals(at + 14, eth.payloadOffset());
        assertTrue(EthernetFlyweight.isMulticast(eth.destination()));
        assertFalse(EthernetFlyweight.isMulticast(eth.source()));
        assertTrue(EthernetFlyweight.isMulticast(0x0100_5e00_0001L)); // 01:00:5e:00:00:01, IPv4 all-hosts
        assertFalse(EthernetFlyweight.isMulticast(0xFEFF_FFFF_FFFFL)); // only the I/G bit counts

        final UnsafeBuffer out = new UnsafeBuffer(new byte[14 + at]);
        new EthernetFlyweight().wrap(out, at).destination(EthernetFlyweight.BROADCAST).source(0x0242_ac11_0002L)
            .etherType(EthernetFlyweight.TYPE_ARP);
        final byte[] header = new byte[14];
        out.getBytes(at, header);
        assertArrayEquals(Arrays.copyOf(ARP_REQUEST, 14), header);
    }

    @Test
    void macsReadAndWriteBigEndianInTheLow48Bits()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
        EthernetFlyweight.writeMac(buffer, 1, 0xFEDC_BA98_7654L);
        assertEquals(0x00, buffer.getByte(0));
        assertEquals((byte)0xFE, buffer.getByte(1));
        assertEquals((byte)0x54, buffer.getByte(6));
        assertEquals(0x00, buffer.getByte(7));
        assertEquals(0xFEDC_BA98_7654L, EthernetFlyweight.readMac(buffer, 1));
    }

    @Test
    void arpReadsTheGoldenRequestAndFillWritesIt()
    {
        final UnsafeBuffer buffer = bufferOf(ARP_REQUEST, 0);
        final ArpFlyweight arp = new ArpFlyweight().wrap(buffer, 14);
        assertTrue(arp.isEthernetIpv4());
        assertEquals(ArpFlyweight.OP_REQUEST, arp.operation());
        assertEquals(0x0242_ac11_0002L, arp.senderMac());
        assertEquals(0xAC11_0002, arp.senderIp());
        assertEquals(0L, arp.targetMac());
        assertEquals(0xAC11_0001, arp.targetIp());

        final UnsafeBuffer out = new UnsafeBuffer(new byte[28]);
        new ArpFlyweight().wrap(out, 0).fill(ArpFlyweight.OP_REQUEST, 0x0242_ac11_0002L, 0xAC11_0002, 0, 0xAC11_0001);
        final byte[] written = new byte[28];
        out.getBytes(0, written);
        assertArrayEquals(Arrays.copyOfRange(ARP_REQUEST, 14, 42), written);
    }

    @Test
    void arpThatIsNotEthernetIpv4IsRecognised()
    {
        // hardware type 6 (IEEE 802), protocol 0x8600, hardware length 8, protocol length 16
        for (final int[] corrupt : new int[][] {{15, 0x06}, {16, 0x86}, {18, 8}, {19, 16}})
        {
            final byte[] bad = ARP_REQUEST.clone();
            bad[corrupt[0]] = (byte)corrupt[1];
            assertFalse(new ArpFlyweight().wrap(bufferOf(bad, 0), 14).isEthernetIpv4(), "byte " + corrupt[0]);
        }
    }

    @Test
    void ipv4ReadsTheGoldenHeaderAndFillWritesIt()
    {
        final UnsafeBuffer buffer = bufferOf(ECHO_REQUEST, 3);
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(buffer, 3 + 14);
        assertEquals(4, ipv4.version());
        assertEquals(20, ipv4.headerLength());
        assertEquals(36, ipv4.totalLength());
        assertEquals(64, ipv4.ttl());
        assertEquals(Ipv4Flyweight.PROTO_ICMP, ipv4.protocol());
        assertEquals(0xE2B3, ipv4.checksum());
        assertEquals(0xAC11_0002, ipv4.source());
        assertEquals(0xAC11_0001, ipv4.destination());
        assertFalse(ipv4.isFragment()); // DF alone is not a fragment
        assertEquals(3 + 14 + 20, ipv4.payloadOffset());
        assertEquals(0, Checksums.internet(buffer, 3 + 14, 20, 0), "a valid header sums to zero");

        ipv4.checksum(0x1111).updateChecksum();
        assertEquals(0xE2B3, ipv4.checksum());

        final UnsafeBuffer out = new UnsafeBuffer(new byte[20]);
        new Ipv4Flyweight().wrap(out, 0).fill(36, 64, Ipv4Flyweight.PROTO_ICMP, 0xAC11_0002, 0xAC11_0001);
        final byte[] written = new byte[20];
        out.getBytes(0, written);
        assertArrayEquals(Arrays.copyOfRange(ECHO_REQUEST, 14, 34), written);
    }

    @Test
    void ipv4FragmentsAreRecognised()
    {
        final byte[] frame = ECHO_REQUEST.clone();
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(bufferOf(frame, 0), 14);
        assertFalse(ipv4.isFragment());
        final UnsafeBuffer more = bufferOf(frame, 0);
        more.putShort(14 + 6, (short)0x2000, ByteOrder.BIG_ENDIAN); // MF
        assertTrue(new Ipv4Flyweight().wrap(more, 14).isFragment());
        final UnsafeBuffer last = bufferOf(frame, 0);
        last.putShort(14 + 6, (short)0x00B9, ByteOrder.BIG_ENDIAN); // offset 185*8, no MF
        assertTrue(new Ipv4Flyweight().wrap(last, 14).isFragment());
    }

    @Test
    void icmpReadsTheGoldenEchoRequest()
    {
        final UnsafeBuffer buffer = bufferOf(ECHO_REQUEST, 0);
        final IcmpFlyweight icmp = new IcmpFlyweight().wrap(buffer, 34);
        assertEquals(IcmpFlyweight.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0xD5B6, icmp.checksum());
        assertEquals(0x1234, icmp.identifier());
        assertEquals(1, icmp.sequence());
        assertEquals(0x0800, icmp.typeCodeWord());
        assertEquals(0, Checksums.internet(buffer, 34, 16, 0));

        // the reply differs by the type only; RFC 1624 gives its checksum without a full pass
        icmp.type(IcmpFlyweight.TYPE_ECHO_REPLY).checksum(Checksums.update16(0xD5B6, 0x0800, 0x0000));
        assertEquals(0xDDB6, icmp.checksum());
        assertEquals(0, Checksums.internet(buffer, 34, 16, 0));
    }

    @Test
    void tcpReadsTheGoldenSyn()
    {
        final UnsafeBuffer buffer = bufferOf(TCP_SYN, 0);
        final TcpFlyweight tcp = new TcpFlyweight().wrap(buffer, 34);
        assertEquals(40000, tcp.sourcePort());
        assertEquals(80, tcp.destinationPort());
        assertEquals(20, tcp.headerLength());
        assertEquals(TcpFlyweight.SYN, tcp.flags());
        assertEquals(0xBC33, tcp.checksum());
        final long pseudo = Frames.pseudoHeaderSum(0xAC11_0002, 0xAC11_0003, 6, 20);
        assertEquals(0, Checksums.internet(buffer, 34, 20, (int)pseudo));

        tcp.sourcePort(1).destinationPort(2).checksum(0xABCD);
        assertEquals(1, tcp.sourcePort());
        assertEquals(2, tcp.destinationPort());
        assertEquals(0xABCD, tcp.checksum());
        assertEquals(hex("00 01 00 02")[1], buffer.getByte(35));
        assertEquals((byte)0xAB, buffer.getByte(34 + 16));
    }

    @Test
    void udpReadsAndWritesItsHeader()
    {
        final int src = ip("10.0.0.1");
        final int dst = ip("10.0.0.2");
        final byte[] frame = Frames.udpFrame(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), src, dst, 5353, 53, 64);
        assertEquals(64, frame.length);
        assertTrue(Frames.l4ChecksumValid(frame));
        final UnsafeBuffer buffer = bufferOf(frame, 0);
        final UdpFlyweight udp = new UdpFlyweight().wrap(buffer, 34);
        assertEquals(5353, udp.sourcePort());
        assertEquals(53, udp.destinationPort());
        assertEquals(64 - 34, udp.length());
        assertEquals(0, Checksums.internet(buffer, 34, 30, (int)Frames.pseudoHeaderSum(src, dst, 17, 30)));

        udp.sourcePort(0xFFFF).destinationPort(0x8000).length(8).checksum(0);
        assertArrayEquals(hex("ff ff 80 00 00 08 00 00"), bytes(buffer, 34, 8));
    }

    @Test
    void virtioNetHeaderIsLittleEndian()
    {
        final UnsafeBuffer buffer = bufferOf(VNET_TSO, 5);
        final VirtioNetHeader vnet = new VirtioNetHeader().wrap(buffer, 5);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, vnet.flags());
        assertEquals(VirtioNetHeader.GSO_TCPV4, vnet.gsoType());
        assertTrue(vnet.isSegmented());
        assertEquals(1448, vnet.gsoSize());
        assertEquals(34, vnet.csumStart());
        assertEquals(16, vnet.csumOffset());

        final UnsafeBuffer out = new UnsafeBuffer(new byte[10]);
        final VirtioNetHeader written = new VirtioNetHeader().wrap(out, 0)
            .set(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 54, 1448, 34, 16);
        assertArrayEquals(VNET_TSO, bytes(out, 0, 10));

        written.set(0, VirtioNetHeader.GSO_NONE | VirtioNetHeader.GSO_ECN, 0, 0, 0, 0);
        assertFalse(written.isSegmented(), "ECN alone is no segmentation");
        written.set(0, VirtioNetHeader.GSO_UDP, 0, 0, 0, 0);
        assertTrue(written.isSegmented());
        written.set(0xFF, 0xFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF).clear();
        assertArrayEquals(new byte[10], bytes(out, 0, 10));
    }

    private static byte[] bytes(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }
}
