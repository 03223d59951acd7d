#!/usr/bin/python3
"""Records one WireGuard transport data message off the wire, and sends a recorded one again (issue 29's replay).

  wg-replay.py record IFACE DST_IP DST_PORT   prints "recorded HEX" (the IPv4 packet) for the first data message
  wg-replay.py send HEX                       sends that IPv4 packet as it was, source address included
"""
import socket
import struct
import sys


def record(iface, dst_ip, dst_port):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    # a bridge hands its own socket only what is addressed to it, unless promiscuous (PACKET_ADD_MEMBERSHIP)
    mreq = struct.pack("iHH8s", socket.if_nametoindex(iface), 1, 0, b"")
    s.setsockopt(263, 1, mreq)
    s.settimeout(30)
    want = socket.inet_aton(dst_ip)
    print("sniffing", flush=True)
    while True:
        frame = s.recv(65535)
        ip = frame[14:]
        if len(ip) < 28 or ip[9] != 17 or ip[16:20] != want:
            continue
        ihl = (ip[0] & 0xF) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        udp = ip[ihl:total]
        if struct.unpack("!H", udp[2:4])[0] != int(dst_port):
            continue
        message = udp[8:]
        if len(message) > 32 and message[0] == 4:  # transport data, not a keepalive
            print("recorded " + ip[:total].hex(), flush=True)
            return


def send(packet_hex):
    packet = bytes.fromhex(packet_hex)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(packet, (socket.inet_ntoa(packet[16:20]), 0))


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        send(sys.argv[2])
