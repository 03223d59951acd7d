#!/usr/bin/python3
"""A LAN host on one 802.1Q VLAN, for a kernel without 8021q: answers ARP and ICMP echo for its address on
IFACE, in frames tagged with VID, and ignores everything else. The kernel hands a received frame's tag over in
PACKET_AUXDATA, not in the frame, so that is where the VID is read.

usage: vlan-responder.py IFACE VID IP MAC
"""
import socket
import struct
import sys

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
ETH_P_ALL = 0x0003

iface, vid, ip, mac = sys.argv[1], int(sys.argv[2]), socket.inet_aton(sys.argv[3]), bytes.fromhex(sys.argv[4].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
s.bind((iface, 0))
tag = struct.pack("!HH", 0x8100, vid)
print("ready", flush=True)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


while True:
    frame, ancillary, _, address = s.recvmsg(65535, socket.CMSG_SPACE(20))
    if address[2] == socket.PACKET_OUTGOING:
        continue
    tagged = None
    for level, kind, data in ancillary:
        if level == SOL_PACKET and kind == PACKET_AUXDATA:
            status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", data[:20])
            if status & TP_STATUS_VLAN_VALID:
                tagged = tci & 0x0FFF
    if tagged != vid or len(frame) < 14:
        continue
    dst, src, ethertype, payload = frame[0:6], frame[6:12], struct.unpack("!H", frame[12:14])[0], frame[14:]
    if ethertype == 0x0806 and len(payload) >= 28:
        op = struct.unpack("!H", payload[6:8])[0]
        sender_mac, sender_ip, target_ip = payload[8:14], payload[14:18], payload[24:28]
        if op == 1 and target_ip == ip:
            reply = payload[0:6] + struct.pack("!H", 2) + mac + ip + sender_mac + sender_ip
            s.send(sender_mac + mac + tag + struct.pack("!H", 0x0806) + reply)
    elif ethertype == 0x0800 and dst == mac and len(payload) >= 28:
        ihl = (payload[0] & 0x0F) * 4
        if payload[9] != 1 or payload[16:20] != ip or payload[ihl] != 8:
            continue
        total = struct.unpack("!H", payload[2:4])[0]
        icmp = bytearray(payload[ihl:total])
        icmp[0] = 0
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
        header = bytearray(payload[:ihl])
        header[8] = 64
        header[12:16], header[16:20] = payload[16:20], payload[12:16]
        header[10:12] = b"\0\0"
        header[10:12] = struct.pack("!H", checksum(bytes(header)))
        s.send(src + mac + tag + struct.pack("!H", 0x0800) + bytes(header) + bytes(icmp))
