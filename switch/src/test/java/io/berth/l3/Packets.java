package io.berth.l3;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Builds frames for the routing tests as plain byte arrays, with checksums computed here (not by the flyweights
 * under test), and checks checksums by recomputing them over the whole header or message. Test code only.
 */
final class Packets
{
    static final int ARP = 0x0806;
    static final int IPV4 = 0x0800;
    static final int ICMP = 1;
    static final int TCP = 6;
    static final int UDP = 17;
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private Packets()
    {
    }

    static long mac(final String text)
    {
        return Long.parseLong(text.replace(":", ""), 16);
    }

    static int ip(final String text)
    {
        final String[] parts = text.split("\\.");
        int value = 0;
        for (final String part : parts)
        {
            value = (value << 8) | Integer.parseInt(part);
        }
        return value;
    }

    static byte[] hex(final String text)
    {
        final String digits = text.replaceAll("\\s+", "");
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits, 2 * i, 2 * i + 2, 16);
        }
        return bytes;
    }

    static String toHex(final byte[] bytes)
    {
        if (bytes == null)
        {
            return "null";
        }
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length; i++)
        {
            sb.append(i == 0 ? "" : i % 16 == 0 ? "\n" : " ").append(String.format("%02x", bytes[i] & 0xFF));
        }
        return sb.toString();
    }

    /** RFC 1071 over bytes [offset, offset + length) plus {@code initial}, folded and complemented. */
    static int checksum(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            sum += ((bytes[offset + i] & 0xFF) << 8) | (i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0);
        }
        while (sum >>> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)~sum & 0xFFFF;
    }

    static long pseudo(final int source, final int destination, final int protocol, final int length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + protocol + length;
    }

    static byte[] ethernet(final long destination, final long source, final int type, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.putShort((short)(destination >>> 32)).putInt((int)destination);
        b.putShort((short)(source >>> 32)).putInt((int)source);
        return b.putShort((short)type).put(payload).array();
    }

    static byte[] arp(final int op, final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        final ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short)1).putShort((short)IPV4).put((byte)6).put((byte)4).putShort((short)op);
        b.putShort((short)(senderMac >>> 32)).putInt((int)senderMac).putInt(senderIp);
        b.putShort((short)(targetMac >>> 32)).putInt((int)targetMac).putInt(targetIp);
        return b.array();
    }

    static byte[] arpRequest(final long senderMac, final int senderIp, final int targetIp)
    {
        return ethernet(BROADCAST, senderMac, ARP, arp(1, senderMac, senderIp, 0, targetIp));
    }

    static byte[] arpReply(final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        return ethernet(targetMac, senderMac, ARP, arp(2, senderMac, senderIp, targetMac, targetIp));
    }

    /** IPv4 header with id 0, DF, TOS 0 (what berthd writes for the packets it originates). */
    static byte[] ipv4(final int source, final int destination, final int protocol, final int ttl, final byte[] payload)
    {
        return ipv4(source, destination, protocol, ttl, 0x4000, payload);
    }

    static byte[] ipv4(final int source, final int destination, final int protocol, final int ttl, final int flagsFragment,
        final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte)0x45).put((byte)0).putShort((short)(20 + payload.length)).putShort((short)0).putShort((short)flagsFragment);
        b.put((byte)ttl).put((byte)protocol).putShort((short)0).putInt(source).putInt(destination).put(payload);
        final byte[] bytes = b.array();
        final int sum = checksum(bytes, 0, 20, 0);
        bytes[10] = (byte)(sum >>> 8);
        bytes[11] = (byte)sum;
        return bytes;
    }

    /** An ICMP message: type, code, checksum, the 4-byte rest-of-header word, then {@code body}. */
    static byte[] icmp(final int type, final int code, final int rest, final byte[] body)
    {
        final byte[] bytes = ByteBuffer.allocate(8 + body.length)
            .put((byte)type).put((byte)code).putShort((short)0).putInt(rest).put(body).array();
        final int sum = checksum(bytes, 0, bytes.length, 0);
        bytes[2] = (byte)(sum >>> 8);
        bytes[3] = (byte)sum;
        return bytes;
    }

    static byte[] udp(final int source, final int destination, final int sourcePort, final int destinationPort, final byte[] data)
    {
        final int length = 8 + data.length;
        final byte[] bytes = ByteBuffer.allocate(length)
            .putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)length).putShort((short)0)
            .put(data).array();
        int sum = checksum(bytes, 0, length, pseudo(source, destination, UDP, length));
        sum = sum == 0 ? 0xFFFF : sum;
        bytes[6] = (byte)(sum >>> 8);
        bytes[7] = (byte)sum;
        return bytes;
    }

    static byte[] tcp(final int source, final int destination, final int sourcePort, final int destinationPort,
        final int sequence, final int ack, final int flags, final int window, final byte[] data)
    {
        final int length = 20 + data.length;
        final byte[] bytes = ByteBuffer.allocate(length)
            .putShort((short)sourcePort).putShort((short)destinationPort).putInt(sequence).putInt(ack)
            .put((byte)0x50).put((byte)flags).putShort((short)window).putShort((short)0).putShort((short)0)
            .put(data).array();
        final int sum = checksum(bytes, 0, length, pseudo(source, destination, TCP, length));
        bytes[16] = (byte)(sum >>> 8);
        bytes[17] = (byte)sum;
        return bytes;
    }

    static byte[] udpFrame(final long sourceMac, final long destinationMac, final int source, final int destination,
        final int ttl, final int dataLength)
    {
        final byte[] data = new byte[dataLength];
        for (int i = 0; i < dataLength; i++)
        {
            data[i] = (byte)(i * 13 + 1);
        }
        return ethernet(destinationMac, sourceMac, IPV4, ipv4(source, destination, UDP, ttl, udp(source, destination, 40000, 53, data)));
    }

    static byte[] ping(final long sourceMac, final long destinationMac, final int source, final int destination, final int ttl)
    {
        return ethernet(destinationMac, sourceMac, IPV4,
            ipv4(source, destination, ICMP, ttl, icmp(8, 0, 0x4711_0001, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})));
    }

    static byte[] slice(final byte[] bytes, final int from, final int to)
    {
        return Arrays.copyOfRange(bytes, from, to);
    }

    /** The error a router sends about {@code offending}: its IPv4 header and the first 8 bytes of its payload quoted. */
    static byte[] icmpError(final long routerMac, final int routerIp, final byte[] offending, final int type, final int code)
    {
        final int ihl = (offending[14] & 0xF) * 4;
        final int senderIp = ByteBuffer.wrap(offending).getInt(26);
        final long senderMac = macAt(offending, 6);
        return ethernet(senderMac, routerMac, IPV4,
            ipv4(routerIp, senderIp, ICMP, 64, icmp(type, code, 0, slice(offending, 14, 14 + ihl + 8))));
    }

    static int u8(final byte[] frame, final int offset)
    {
        return frame[offset] & 0xFF;
    }

    static long macAt(final byte[] frame, final int offset)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (frame[offset + i] & 0xFF);
        }
        return mac;
    }

    static int intAt(final byte[] frame, final int offset)
    {
        return ByteBuffer.wrap(frame).getInt(offset);
    }

    static boolean ipv4Valid(final byte[] frame)
    {
        return checksum(frame, 14, (frame[14] & 0xF) * 4, 0) == 0;
    }

    static int totalLength(final byte[] frame)
    {
        return ((frame[16] & 0xFF) << 8) | (frame[17] & 0xFF);
    }

    static boolean icmpValid(final byte[] frame)
    {
        final int ihl = (frame[14] & 0xF) * 4;
        return checksum(frame, 14 + ihl, totalLength(frame) - ihl, 0) == 0;
    }

    static boolean l4Valid(final byte[] frame)
    {
        final int ihl = (frame[14] & 0xF) * 4;
        final int length = totalLength(frame) - ihl;
        return checksum(frame, 14 + ihl, length, pseudo(intAt(frame, 26), intAt(frame, 30), u8(frame, 23), length)) == 0;
    }
}
