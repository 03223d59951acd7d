#!/usr/bin/env python3
"""Connection-rate load for compare-nat.sh (server and client), standard library only.

  connrate.py serve PORT NPROC
      NPROC processes share PORT (SO_REUSEPORT); each accepts and closes at once (the server closes first,
      so the client never holds TIME_WAIT). Runs until killed.
  connrate.py client DST_IP DST_PORT SRC_IP NPROC SECONDS PORT_LO PORT_HI
      NPROC processes connect to DST_IP:DST_PORT from SRC_IP, each from its own slice of the source ports
      PORT_LO..PORT_HI (bound explicitly, every port used once: no 4-tuple is reused, so no connection meets
      the TIME_WAIT entry of an earlier one anywhere on the path); one connection = connect (3-way handshake),
      wait for the server's FIN, close. Stops after SECONDS or when the ports run out, whichever comes first.
      Prints "RATE COUNT ELAPSED ERRORS" (connections per second, completed connections, seconds from the
      common start to the last process's end, failed connects/timeouts).
"""
import os
import socket
import struct
import sys
import time


def serve(port, nproc):
    for _ in range(nproc - 1):
        if os.fork() == 0:
            break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    while True:
        try:
            c, _ = s.accept()
            c.close()
        except OSError:
            pass


def client(dst, dport, src, nproc, seconds, lo, hi):
    go_r, go_w = os.pipe()
    res_r, res_w = os.pipe()
    span = (hi - lo + 1) // nproc
    kids = []
    for i in range(nproc):
        pid = os.fork()
        if pid == 0:
            os.close(go_w)
            os.close(res_r)
            first, last = lo + i * span, lo + (i + 1) * span - 1
            os.read(go_r, 8)                    # start signal
            deadline = time.monotonic() + seconds
            n = err = 0
            p = first
            while p <= last and time.monotonic() < deadline:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.settimeout(3)
                try:
                    s.bind((src, p))
                    s.connect((dst, dport))
                    s.recv(1)                   # the server's FIN
                    n += 1
                except OSError:
                    err += 1
                finally:
                    s.close()
                p += 1
            end = time.monotonic()
            os.write(res_w, struct.pack("iid", n, err, end))
            os._exit(0)
        kids.append(pid)
    os.close(go_r)
    os.close(res_w)
    t0 = time.monotonic()
    os.write(go_w, b"g" * 8 * nproc)
    total = errs = 0
    last_end = t0
    for _ in range(nproc):
        n, err, end = struct.unpack("iid", os.read(res_r, struct.calcsize("iid")))
        total += n
        errs += err
        last_end = max(last_end, end)
    for pid in kids:
        os.waitpid(pid, 0)
    el = last_end - t0
    print("%.1f %d %.3f %d" % (total / el if el > 0 else 0.0, total, el, errs))


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "serve" and len(a) == 3:
        serve(int(a[1]), int(a[2]))
    elif a and a[0] == "client" and len(a) == 8:
        client(a[1], int(a[2]), a[3], int(a[4]), float(a[5]), int(a[6]), int(a[7]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(1)
