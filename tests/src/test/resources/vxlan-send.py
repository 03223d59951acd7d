#!/usr/bin/env python3
"""Sends hand-made VXLAN datagrams (raw IPv4, so fragments and bad headers are possible) for the overlay tests.

usage: vxlan-send.py SRC DST KIND VNI COUNT
KIND: good (I flag, whole packet), noflag (I flag clear), fragment (outer MF set).
Only stdlib: struct and a raw socket.
"""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src, dst, payload, flags_fragment):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, flags_fragment, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def main():
    src, dst, kind, vni, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes.fromhex("020000000042"),
                      socket.inet_aton("10.99.99.1"), b"\0" * 6, socket.inet_aton("10.99.99.2"))
    inner = bytes.fromhex("ffffffffffff" "020000000042" "0806") + arp
    flags = 0x00 if kind == "noflag" else 0x08
    vxlan = struct.pack("!B3sI", flags, b"\0\0\0", vni << 8)
    udp_payload = vxlan + inner
    udp = struct.pack("!HHHH", 50000, 4789, 8 + len(udp_payload), 0) + udp_payload
    flags_fragment = 0x2000 if kind == "fragment" else 0x4000
    packet = ipv4(src, dst, udp, flags_fragment)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for _ in range(count):
        sock.sendto(packet, (dst, 0))


if __name__ == "__main__":
    main()
