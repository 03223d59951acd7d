#!/usr/bin/env bash
# berth's overlay vs. the kernel's VXLAN, between containers on two hosts, end to end, in one run.
#
# Both sides use private network namespaces only, with an "underlay" bridge standing in for the LAN:
#   kernel: two host namespaces on the underlay (10.241.0.1, .2), each with a vxlan device (VNI 100, port
#           4789, nolearning, the other host as default FDB destination) in a bridge with one container
#           namespace (10.77.0.2 and .3, MTU 1450): the way Docker's overlay builds it with the kernel;
#   berth:  a real etcd on a management bridge, two berthd host namespaces whose uplinks are on the underlay
#           (10.241.0.11, .12, berthd's own addresses), one overlay network made with bin/berth, a container
#           on each host (bin/berth run -d).
#   encrypted (issue 29): berth's same two hosts with a second network made with -o encrypted (WireGuard between
#           the hosts, MTU 1390), and wireguard-go + kernel VXLAN: two more host namespaces (10.241.0.21, .22),
#           each with a wireguard-go interface (MTU 1440) peered with the other and a vxlan device whose datagrams
#           are policy-routed into it (UDP 4789), bridged with a container (10.79.0.2 and .3, MTU 1390).
# Every setup stays up side by side. It measures ping average RTT c2->c1 (after a 20,000-echo warm-up) on each,
# then TCP throughput c2->c1 (iperf3, each window after a 2 s warm-up run) in ROUNDS rounds (default 1) that
# alternate kernel, berth, kernel, berth, ..., and prints metric | kernel | berth | berth/kernel with the
# medians, each round's pair, and berthd's CPU seconds per GB moved.
#
# Usage: [ROUNDS=N] benchmarks/e2e/compare-overlay.sh [seconds]     (iperf3 window, default 5)
# BERTHD_ARGS (extra berthd flags, e.g. "--spin-us 50") and BERTHD_JAVA_OPTS reach both berthds.
# Run as root. Needs etcd (etcd-server), iperf3, iproute2, python3, wireguard-go and /usr/bin/python3 with
# cryptography (the wireguard-go keys). ENCRYPTED=0 leaves the encrypted rows out. Leaves no namespace, process or temp
# file behind.
set -u
set -o pipefail

T=${1:-5}
ROUNDS=${ROUNDS:-1}
case "$ROUNDS" in ''|*[!0-9]*|0) echo "compare-overlay.sh: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 1 ;; esac
case "$T" in ''|*[!0-9]*|0) echo "compare-overlay.sh: seconds must be a positive integer, got '$T'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "compare-overlay.sh: must run as root" >&2; exit 1; }
for t in iperf3 ip python3 /usr/bin/etcd; do
  command -v "$t" >/dev/null 2>&1 || { echo "compare-overlay.sh: $t missing (.ci/install-tools installs it)" >&2; exit 1; }
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=ovc$$
TMP=$(mktemp -d /tmp/berth-overlay.XXXXXX)
ETCD_PID=""
ENCRYPTED=${ENCRYPTED:-1}
WGIF="wgo$$"
declare -A R

ns() { ip netns add "$1" && ip -n "$1" link set lo up; }
cleanup() {
  trap - EXIT INT TERM
  for h in 1 2; do
    if [ -S "$TMP/s$h.sock" ]; then
      timeout 20 env BERTH_SOCKET="$TMP/s$h.sock" "$BIN/berth" rm -f "$P-c$h" "$P-e$h" >/dev/null 2>&1
    fi
  done
  [ -S "$TMP/s1.sock" ] && timeout 20 env BERTH_SOCKET="$TMP/s1.sock" "$BIN/berth" network rm "${P}net" >/dev/null 2>&1
  [ -S "$TMP/s1.sock" ] && timeout 20 env BERTH_SOCKET="$TMP/s1.sock" "$BIN/berth" network rm "${P}enc" >/dev/null 2>&1
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
  done
  sleep 1
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill -9 $pids 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  [ -z "$ETCD_PID" ] || kill "$ETCD_PID" 2>/dev/null
  rm -f /var/run/wireguard/${WGIF}*.sock
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

iperf_gbps() {  # client ns, server ns, server ip
  ip netns exec "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local spid=$!
  for _ in $(seq 50); do ip netns exec "$2" ss -Hltn "sport = :5201" | grep -q . && break; sleep 0.1; done
  timeout $((T + 30)) ip netns exec "$1" iperf3 -c "$3" -p 5201 -t "$T" -J > "$TMP/iperf.json" 2>&1
  kill $spid 2>/dev/null; wait $spid 2>/dev/null
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' "$TMP/iperf.json"
}
ping_ms() {  # client ns, ip: warm up (JIT), then 200 echoes
  ip netns exec "$1" ping -f -c 20000 -W 2 -q "$2" >/dev/null 2>&1
  ip netns exec "$1" ping -c 200 -i 0.005 -W 2 -q "$2" | sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p'
}
cpu_ticks() {  # utime+stime of every process in the berth host namespaces (or those of PREFIX, e.g. wh)
  local c=0 pfx=${1:-bh}
  for h in 1 2; do for pid in $(ip netns pids ${P}$pfx$h); do c=$((c + $(awk '{print $14+$15}' /proc/$pid/stat))); done; done
  echo $c
}
tcp_round() {  # side, client ns, server ns, server ip: a warm-up, then the measured window
  # the warm-up on both sides alike: berthd's TSO path is JIT-compiled code, and the steady state is compared
  T0=$T; T=${WARMUP:-2}; iperf_gbps "$2" "$3" "$4" >/dev/null; T=$T0
  local pfx=bh; [ "$1" = wggo ] && pfx=wh
  local c0; c0=$(cpu_ticks $pfx)
  local g; g=$(iperf_gbps "$2" "$3" "$4")
  TICKS[$1]=$(( ${TICKS[$1]:-0} + $(cpu_ticks $pfx) - c0 ))
  R[$1.tcp]="${R[$1.tcp]:-} $g"
  echo "[$1] round $r: TCP $g Gbps" >&2
}
declare -A TICKS

# ---- kernel ----
ns ${P}u; ip -n ${P}u link add br0 type bridge; ip -n ${P}u link set br0 up
for h in 1 2; do
  ns ${P}kh$h; ns ${P}kc$h
  ip -n ${P}u link add k$h type veth peer name eth0 netns ${P}kh$h
  ip -n ${P}u link set k$h master br0 up
  ip -n ${P}kh$h addr add 10.241.0.$h/24 dev eth0; ip -n ${P}kh$h link set eth0 up
  ip -n ${P}kh$h link add vx0 type vxlan id 100 dstport 4789 local 10.241.0.$h nolearning
  ip -n ${P}kh$h link add br0 type bridge
  ip -n ${P}kh$h link set vx0 master br0 up
  ip -n ${P}kh$h link add v0 type veth peer name eth0 netns ${P}kc$h
  ip -n ${P}kh$h link set v0 master br0 up; ip -n ${P}kh$h link set br0 up
  ip -n ${P}kc$h link set eth0 mtu 1450; ip -n ${P}kc$h addr add 10.77.0.$((h + 1))/24 dev eth0
  ip -n ${P}kc$h link set eth0 up
  ip netns exec ${P}kh$h bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.241.0.$((3 - h))
done
for _ in $(seq 30); do ip netns exec ${P}kc2 ping -c1 -W1 -q 10.77.0.2 >/dev/null 2>&1 && break; done

# ---- berth ----
ns ${P}m; ip -n ${P}m link add br0 type bridge; ip -n ${P}m addr add 10.251.0.1/24 dev br0; ip -n ${P}m link set br0 up
ip netns exec ${P}m /usr/bin/etcd --name b --data-dir "$TMP/etcd" --listen-client-urls http://10.251.0.1:2379 \
  --advertise-client-urls http://10.251.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster b=http://127.0.0.1:2380 \
  --log-outputs stderr >"$TMP/etcd.log" 2>&1 &
ETCD_PID=$!
for h in 1 2; do
  ns ${P}bh$h
  ip -n ${P}u link add b$h type veth peer name uplink0 netns ${P}bh$h
  ip -n ${P}u link set b$h master br0 up; ip -n ${P}bh$h link set uplink0 up
  ip -n ${P}m link add m$h type veth peer name mgmt0 netns ${P}bh$h
  ip -n ${P}m link set m$h master br0 up
  ip -n ${P}bh$h addr add 10.251.0.1$h/24 dev mgmt0; ip -n ${P}bh$h link set mgmt0 up
  ip netns exec ${P}bh$h "$BIN/berthd" --socket "$TMP/s$h.sock" --state-dir "$TMP/state$h" --uplink uplink0 \
    --uplink-ip 10.241.0.1$h/24 --store etcd://10.251.0.1:2379 --node host$h ${BERTHD_ARGS:-} >"$TMP/berthd$h.log" 2>&1 &
done
for h in 1 2; do
  for _ in $(seq 600); do [ -S "$TMP/s$h.sock" ] && break; sleep 0.1; done
  [ -S "$TMP/s$h.sock" ] || { echo "berthd $h did not start: $(tail -5 "$TMP/berthd$h.log")" >&2; exit 2; }
done
BERTH_SOCKET=$TMP/s1.sock "$BIN/berth" network create -d overlay --subnet 10.78.0.0/24 ${P}net >/dev/null || exit 2
for _ in $(seq 100); do BERTH_SOCKET=$TMP/s2.sock "$BIN/berth" network ls | grep -q ${P}net && break; sleep 0.1; done
for h in 1 2; do BERTH_SOCKET=$TMP/s$h.sock "$BIN/berth" run -d --name $P-c$h --network ${P}net >/dev/null || exit 2; done
ip1=$(ip -n $P-c1 -4 -br addr show eth0 | awk '{print $3}' | cut -d/ -f1)
for _ in $(seq 50); do ip netns exec $P-c2 ping -c1 -W1 -q "$ip1" >/dev/null 2>&1 && break; done

if [ "$ENCRYPTED" = 1 ]; then
  # ---- berth, encrypted ----
  BERTH_SOCKET=$TMP/s1.sock "$BIN/berth" network create -d overlay -o encrypted --subnet 10.80.0.0/24 ${P}enc >/dev/null || exit 2
  for _ in $(seq 100); do BERTH_SOCKET=$TMP/s2.sock "$BIN/berth" network ls | grep -q ${P}enc && break; sleep 0.1; done
  for h in 1 2; do BERTH_SOCKET=$TMP/s$h.sock "$BIN/berth" run -d --name $P-e$h --network ${P}enc >/dev/null || exit 2; done
  ipe1=$(ip -n $P-e1 -4 -br addr show eth0 | awk '{print $3}' | cut -d/ -f1)
  for _ in $(seq 50); do ip netns exec $P-e2 ping -c1 -W1 -q "$ipe1" >/dev/null 2>&1 && break; done

  # ---- wireguard-go + kernel vxlan ----
  read -r -a WGK <<< "$(/usr/bin/python3 -c '
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives import serialization as s
for _ in range(2):
    k = X25519PrivateKey.generate()
    print(k.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption()).hex(),
          k.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw).hex(), end=" ")')"
  for h in 1 2; do
    o=$((3 - h))
    ns ${P}wh$h; ns ${P}wc$h
    ip -n ${P}u link add w$h type veth peer name eth0 netns ${P}wh$h
    ip -n ${P}u link set w$h master br0 up
    ip -n ${P}wh$h addr add 10.241.0.2$h/24 dev eth0; ip -n ${P}wh$h link set eth0 up
    ip netns exec ${P}wh$h env WG_PROCESS_FOREGROUND=1 wireguard-go -f $WGIF$h >"$TMP/wg$h.log" 2>&1 &
    for _ in $(seq 50); do [ -S /var/run/wireguard/$WGIF$h.sock ] && break; sleep 0.1; done
    ip netns exec ${P}wh$h /usr/bin/python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2].strip() + "\n\n").encode()); s.recv(4096)' \
      /var/run/wireguard/$WGIF$h.sock "$(printf 'set=1\nprivate_key=%s\nlisten_port=51820\npublic_key=%s\nendpoint=10.241.0.2%s:51820\nallowed_ip=10.241.0.2%s/32\n\n' \
      "${WGK[$(( (h - 1) * 2 ))]}" "${WGK[$(( (o - 1) * 2 + 1 ))]}" $o $o)"
    ip -n ${P}wh$h link set $WGIF$h mtu 1440 up
    ip netns exec ${P}wh$h sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.$WGIF$h.rp_filter=0
    ip -n ${P}wh$h rule add ipproto udp dport 4789 table 4789
    ip -n ${P}wh$h route add 10.241.0.2$o/32 dev $WGIF$h table 4789
    ip -n ${P}wh$h link add vx0 type vxlan id 100 dstport 4789 local 10.241.0.2$h nolearning
    ip -n ${P}wh$h link add br0 type bridge
    ip -n ${P}wh$h link set vx0 master br0 up
    ip -n ${P}wh$h link add v0 type veth peer name eth0 netns ${P}wc$h
    ip -n ${P}wh$h link set v0 master br0 up; ip -n ${P}wh$h link set br0 up
    ip -n ${P}wc$h link set eth0 mtu 1390; ip -n ${P}wc$h addr add 10.79.0.$((h + 1))/24 dev eth0
    ip -n ${P}wc$h link set eth0 up
    ip netns exec ${P}wh$h bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.241.0.2$o
  done
  for _ in $(seq 30); do ip netns exec ${P}wc2 ping -c1 -W1 -q 10.79.0.2 >/dev/null 2>&1 && break; done
fi
# both setups stay up; the rounds alternate between them, so a slow spell of this shared machine hits both alike
echo "[both] measuring, $ROUNDS round(s) ..." >&2
R[kernel.ping]=$(ping_ms ${P}kc2 10.77.0.2)
R[berth.ping]=$(ping_ms $P-c2 "$ip1")
if [ "$ENCRYPTED" = 1 ]; then
  R[sealed.ping]=$(ping_ms $P-e2 "$ipe1")
  R[wggo.ping]=$(ping_ms ${P}wc2 10.79.0.2)
fi
for r in $(seq "$ROUNDS"); do
  tcp_round kernel ${P}kc2 ${P}kc1 10.77.0.2
  tcp_round berth $P-c2 $P-c1 "$ip1"
  if [ "$ENCRYPTED" = 1 ]; then
    tcp_round sealed $P-e2 $P-e1 "$ipe1"
    tcp_round wggo ${P}wc2 ${P}wc1 10.79.0.2
  fi
done

python3 - "${R[kernel.tcp]:-}" "${R[berth.tcp]:-}" "${R[kernel.ping]:-}" "${R[berth.ping]:-}" "${TICKS[berth]:-0}" \
  "$(getconf CLK_TCK)" "$T" "${R[sealed.tcp]:-}" "${R[wggo.tcp]:-}" "${R[sealed.ping]:-}" "${R[wggo.ping]:-}" \
  "${TICKS[sealed]:-0}" "${TICKS[wggo]:-0}" <<'PY'
import statistics, sys
kts, bts, kp, bp, ticks, hz, secs = sys.argv[1:8]
sts, wts, sp, wp, sticks, wticks = sys.argv[8:14]
def f(x):
    try: return float(x)
    except ValueError: return None
kts = [float(x) for x in kts.split()]
bts = [float(x) for x in bts.split()]
kp, bp = f(kp), f(bp)
kt = statistics.median(kts) if kts else None
bt = statistics.median(bts) if bts else None
print("%-34s | %-12s | %-12s | %s" % ("metric", "kernel", "berth", "berth/kernel"))
print("%-34s | %-12s | %-12s | %s" % ("TCP c2->c1 across hosts (iperf3)", "%.3f Gbps" % kt if kt else "-",
      "%.3f Gbps" % bt if bt else "-", "%.2fx" % (bt / kt) if kt and bt else "-"))
print("%-34s | %-12s | %-12s | %s" % ("ping RTT avg c2->c1", "%.3f ms" % kp if kp else "-",
      "%.3f ms" % bp if bp else "-", "%.2fx" % (bp / kp) if kp and bp else "-"))
if len(kts) > 1 and len(kts) == len(bts):
    print("TCP per round (kernel/berth Gbps, ratio): " + ", ".join(
        "%.2f/%.2f %.2fx" % (k, b, b / k) for k, b in zip(kts, bts)) + "; medians above")
if bts:
    gb = sum(bts) * float(secs) / 8
    print("both berthds' CPU over the measured TCP windows: %.2f s, %.2f CPU-s per GB" % (
        int(ticks) / float(hz), int(ticks) / float(hz) / gb))
sts = [float(x) for x in sts.split()]
wts = [float(x) for x in wts.split()]
if sts and wts:
    st, wt = statistics.median(sts), statistics.median(wts)
    sp, wp = f(sp), f(wp)
    print()
    print("%-34s | %-12s | %-16s | %-16s | %s" % ("encrypted", "berth clear", "berth encrypted",
          "wireguard-go+vxlan", "encrypted/wireguard-go"))
    print("%-34s | %-12s | %-16s | %-16s | %.2fx" % ("TCP c2->c1 across hosts (iperf3)", "%.3f Gbps" % bt,
          "%.3f Gbps" % st, "%.3f Gbps" % wt, st / wt))
    print("%-34s | %-12s | %-16s | %-16s | %s" % ("ping RTT avg c2->c1", "%.3f ms" % bp if bp else "-",
          "%.3f ms" % sp if sp else "-", "%.3f ms" % wp if wp else "-", "%.2fx" % (sp / wp) if sp and wp else "-"))
    def per_gb(t, xs):
        return int(t) / float(hz) / (sum(xs) * float(secs) / 8)
    print("%-34s | %-12s | %-16s | %-16s |" % ("CPU-s per GB (berthds / wireguard-gos)", "%.2f" % per_gb(ticks, bts),
          "%.2f" % per_gb(sticks, sts), "%.2f" % per_gb(wticks, wts)))
    if len(sts) > 1:
        print("encrypted TCP per round (berth/wireguard-go Gbps): " + ", ".join(
            "%.2f/%.2f" % (a, b) for a, b in zip(sts, wts)))
PY
