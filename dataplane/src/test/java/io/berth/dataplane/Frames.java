package io.berth.dataplane;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Builds Ethernet, ARP, IPv4, ICMP, UDP and TCP frames as byte arrays with correct checksums, independently of
 * the flyweights under test (its own address parsing, its own checksum). Test code only.
 */
public final class Frames
{
    public static final int ETHER_IPV4 = 0x0800;
    public static final int ETHER_ARP = 0x0806;
    public static final int ETHER_IPV6 = 0x86DD;
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private Frames()
    {
    }

    /** "02:42:ac:11:00:02" to its 48-bit value. */
    public static long mac(final String text)
    {
        long value = 0;
        for (final String part : text.split(":"))
        {
            value = (value << 8) | Integer.parseInt(part, 16);
        }
        return value;
    }

    /** "172.17.0.2" to its 32-bit value. */
    public static int ip(final String text)
    {
        int value = 0;
        for (final String part : text.split("\\."))
        {
            value = (value << 8) | Integer.parseInt(part);
        }
        return value;
    }

    /** "ff ff 08 00" (whitespace ignored) to bytes. */
    public static byte[] hex(final String text)
    {
        final String digits = text.replaceAll("\\s+", "");
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    public static String toHex(final byte[] bytes)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length; i++)
        {
            if (i > 0)
            {
                sb.append(i % 16 == 0 ? '\n' : ' ');
            }
            sb.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return sb.toString();
    }

    public static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** RFC 1071 over {@code length} bytes plus a starting sum, folded and complemented. */
    public static int checksum(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int high = bytes[offset + i] & 0xFF;
            final int low = i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    /** Sum of the TCP/UDP pseudo-header (unfolded). */
    public static long pseudoHeaderSum(final int source, final int destination, final int protocol, final int l4Length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + protocol + l4Length;
    }

    public static byte[] ethernet(final long destination, final long source, final int etherType, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        putMac(b, destination);
        putMac(b, source);
        b.putShort((short)etherType);
        b.put(payload);
        return b.array();
    }

    /** Pads a frame with zeros to {@code length} (e.g. the 60-byte Ethernet minimum). */
    public static byte[] pad(final byte[] frame, final int length)
    {
        if (frame.length >= length)
        {
            return frame;
        }
        final byte[] padded = new byte[length];
        System.arraycopy(frame, 0, padded, 0, frame.length);
        return padded;
    }

    /** The 28-byte Ethernet/IPv4 ARP body. */
    public static byte[] arp(final int op, final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        final ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)op);
        putMac(b, senderMac);
        b.putInt(senderIp);
        putMac(b, targetMac);
        b.putInt(targetIp);
        return b.array();
    }

    /** Broadcast "who has targetIp, tell senderIp" (42 bytes, unpadded). */
    public static byte[] arpRequest(final long senderMac, final int senderIp, final int targetIp)
    {
        return ethernet(BROADCAST, senderMac, ETHER_ARP, arp(1, senderMac, senderIp, 0, targetIp));
    }

    public static byte[] arpReply(final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        return ethernet(targetMac, senderMac, ETHER_ARP, arp(2, senderMac, senderIp, targetMac, targetIp));
    }

    /** A 20-byte IPv4 header (id 0, DF, TOS 0) with a correct checksum, followed by {@code payload}. */
    public static byte[] ipv4(final int source, final int destination, final int protocol, final int ttl, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte)0x45).put((byte)0).putShort((short)(20 + payload.length));
        b.putShort((short)0).putShort((short)0x4000);
        b.put((byte)ttl).put((byte)protocol).putShort((short)0);
        b.putInt(source).putInt(destination);
        b.put(payload);
        final byte[] bytes = b.array();
        final int sum = checksum(bytes, 0, 20, 0);
        bytes[10] = (byte)(sum >>> 8);
        bytes[11] = (byte)sum;
        return bytes;
    }

    public static byte[] icmpEcho(final int type, final int identifier, final int sequence, final byte[] data)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte)type).put((byte)0).putShort((short)0).putShort((short)identifier).putShort((short)sequence).put(data);
        final byte[] bytes = b.array();
        final int sum = checksum(bytes, 0, bytes.length, 0);
        bytes[2] = (byte)(sum >>> 8);
        bytes[3] = (byte)sum;
        return bytes;
    }

    public static byte[] udp(final int source, final int destination, final int sourcePort, final int destinationPort, final byte[] data)
    {
        final int length = 8 + data.length;
        final ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)length).putShort((short)0).put(data);
        final byte[] bytes = b.array();
        int sum = checksum(bytes, 0, length, pseudoHeaderSum(source, destination, 17, length));
        if (sum == 0)
        {
            sum = 0xFFFF; // RFC 768: zero means "no checksum"
        }
        bytes[6] = (byte)(sum >>> 8);
        bytes[7] = (byte)sum;
        return bytes;
    }

    public static byte[] tcp(final int source, final int destination, final int sourcePort, final int destinationPort,
        final long sequence, final long ack, final int flags, final int window, final byte[] data)
    {
        final int length = 20 + data.length;
        final ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short)sourcePort).putShort((short)destinationPort).putInt((int)sequence).putInt((int)ack);
        b.put((byte)0x50).put((byte)flags).putShort((short)window).putShort((short)0).putShort((short)0).put(data);
        final byte[] bytes = b.array();
        final int sum = checksum(bytes, 0, length, pseudoHeaderSum(source, destination, 6, length));
        bytes[16] = (byte)(sum >>> 8);
        bytes[17] = (byte)sum;
        return bytes;
    }

    public static byte[] ping(final long sourceMac, final long destinationMac, final int sourceIp, final int destinationIp,
        final int identifier, final int sequence, final byte[] data)
    {
        return ethernet(destinationMac, sourceMac, ETHER_IPV4,
            ipv4(sourceIp, destinationIp, 1, 64, icmpEcho(8, identifier, sequence, data)));
    }

    /** An Ethernet/IPv4/UDP frame of exactly {@code frameLength} bytes (>= 42), payload zeros. */
    public static byte[] udpFrame(final long sourceMac, final long destinationMac, final int sourceIp, final int destinationIp,
        final int sourcePort, final int destinationPort, final int frameLength)
    {
        final byte[] data = new byte[frameLength - 14 - 20 - 8];
        return ethernet(destinationMac, sourceMac, ETHER_IPV4,
            ipv4(sourceIp, destinationIp, 17, 64, udp(sourceIp, destinationIp, sourcePort, destinationPort, data)));
    }

    public static byte[] tcpFrame(final long sourceMac, final long destinationMac, final int sourceIp, final int destinationIp,
        final int sourcePort, final int destinationPort, final int flags, final byte[] data)
    {
        return ethernet(destinationMac, sourceMac, ETHER_IPV4,
            ipv4(sourceIp, destinationIp, 6, 64, tcp(sourceIp, destinationIp, sourcePort, destinationPort, 1, 0, flags, 0xFAF0, data)));
    }

    /** True when the frame's IPv4 header (at 14, 20 bytes or more) sums to zero. */
    public static boolean ipv4ChecksumValid(final byte[] frame)
    {
        final int ihl = (frame[14] & 0xF) * 4;
        return checksum(frame, 14, ihl, 0) == 0;
    }

    /** True when the ICMP message after a 20-byte-or-more IPv4 header sums to zero. */
    public static boolean icmpChecksumValid(final byte[] frame)
    {
        final int ihl = (frame[14] & 0xF) * 4;
        final int total = ((frame[16] & 0xFF) << 8) | (frame[17] & 0xFF);
        return checksum(frame, 14 + ihl, total - ihl, 0) == 0;
    }

    /** True when the TCP or UDP segment after the IPv4 header sums to zero with its pseudo-header. */
    public static boolean l4ChecksumValid(final byte[] frame)
    {
        final ByteBuffer b = ByteBuffer.wrap(frame);
        final int ihl = (frame[14] & 0xF) * 4;
        final int total = b.getShort(16) & 0xFFFF;
        final int protocol = frame[23] & 0xFF;
        final long pseudo = pseudoHeaderSum(b.getInt(26), b.getInt(30), protocol, total - ihl);
        return checksum(frame, 14 + ihl, total - ihl, pseudo) == 0;
    }

    /**
     * An IPv6 frame from {@code src} to {@code dst} (each {hi, lo}) carrying {@code l4} (an ICMPv6 echo, UDP or TCP
     * header and data from {@link #l4v6}) as {@code nextHeader}, its checksum filled in over the pseudo-header.
     */
    public static byte[] ipv6Frame(final long destinationMac, final long sourceMac, final long[] src, final long[] dst,
        final int nextHeader, final int hopLimit, final byte[] l4)
    {
        final ByteBuffer b = ByteBuffer.allocate(40 + l4.length);
        b.putInt(0x6000_0000).putShort((short)l4.length).put((byte)nextHeader).put((byte)hopLimit);
        b.putLong(src[0]).putLong(src[1]).putLong(dst[0]).putLong(dst[1]);
        b.put(l4);
        final byte[] packet = b.array();
        final int checksumAt = nextHeader == 6 ? 16 : nextHeader == 17 ? 6 : nextHeader == 58 ? 2 : -1;
        if (checksumAt >= 0 && l4.length >= checksumAt + 2)
        {
            long sum = 0;
            for (int i = 8; i < 40; i += 2)
            {
                sum += ((packet[i] & 0xFF) << 8) | (packet[i + 1] & 0xFF);
            }
            sum += l4.length + nextHeader;
            packet[40 + checksumAt] = 0;
            packet[40 + checksumAt + 1] = 0;
            final int checksum = checksum(packet, 40, l4.length, sum);
            packet[40 + checksumAt] = (byte)(checksum >>> 8);
            packet[40 + checksumAt + 1] = (byte)checksum;
        }
        return ethernet(destinationMac, sourceMac, ETHER_IPV6, packet);
    }

    /**
     * An upper-layer header and {@code data} for {@link #ipv6Frame}: ICMPv6 (58: {@code a} the type, {@code b} the
     * echo identifier), UDP (17) or TCP (6: ports {@code a}, {@code b}, SYN).
     */
    public static byte[] l4v6(final int protocol, final int a, final int b, final byte[] data)
    {
        final int header = protocol == 6 ? 20 : 8;
        final ByteBuffer buffer = ByteBuffer.allocate(header + data.length);
        if (protocol == 58)
        {
            buffer.put((byte)a).put((byte)0).putShort((short)0).putShort((short)b).putShort((short)1);
        }
        else if (protocol == 17)
        {
            buffer.putShort((short)a).putShort((short)b).putShort((short)(8 + data.length)).putShort((short)0);
        }
        else
        {
            buffer.putShort((short)a).putShort((short)b).putInt(1).putInt(0).put((byte)0x50).put((byte)0x02)
                .putShort((short)65535).putInt(0);
        }
        buffer.put(data);
        return buffer.array();
    }

    private static void putMac(final ByteBuffer b, final long mac)
    {
        b.putShort((short)(mac >>> 32)).putInt((int)mac);
    }
}
