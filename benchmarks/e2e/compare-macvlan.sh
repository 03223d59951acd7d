#!/usr/bin/env bash
# berth's macvlan vs. the kernel's macvlan (bridge mode), container <-> LAN host, end to end, in one run.
#
# Both sides use private network namespaces only, each with its own "LAN" (a kernel bridge) and one LAN host on it:
#   kernel: a host namespace whose veth lan0 is on the LAN, a macvlan device (mode bridge) on lan0 moved into the
#           container namespace (192.168.91.2/24); the LAN host is 192.168.91.10. What Docker's macvlan driver builds.
#   berth:  bin/berthd in a host namespace whose veth lan0 is on its LAN, a macvlan network on parent lan0 made with
#           bin/berth (192.168.92.0/24) and a container on it (bin/berth run -d); the LAN host is 192.168.92.10.
# Both setups stay up side by side. It measures ping average RTT container->LAN host (after a 20,000-echo warm-up),
# then TCP throughput container->LAN host and LAN host->container (iperf3, each window after a 2 s warm-up) in
# ROUNDS rounds (default 1) alternating kernel, berth, ..., and prints metric | kernel | berth | berth/kernel with
# the medians, each round's pair, and berthd's CPU seconds per GB moved.
#
# Usage: [ROUNDS=N] benchmarks/e2e/compare-macvlan.sh [seconds]     (iperf3 window, default 5)
# BERTHD_ARGS (extra berthd flags) reach berthd. Run as root. Needs iperf3, iproute2, python3. Leaves no namespace,
# process or temp file behind.
set -u
set -o pipefail

T=${1:-5}
ROUNDS=${ROUNDS:-1}
case "$ROUNDS" in ''|*[!0-9]*|0) echo "compare-macvlan.sh: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 1 ;; esac
case "$T" in ''|*[!0-9]*|0) echo "compare-macvlan.sh: seconds must be a positive integer, got '$T'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "compare-macvlan.sh: must run as root" >&2; exit 1; }
for t in iperf3 ip python3; do
  command -v "$t" >/dev/null 2>&1 || { echo "compare-macvlan.sh: $t missing (.ci/install-tools installs it)" >&2; exit 1; }
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=mvc$$
TMP=$(mktemp -d /tmp/berth-macvlan.XXXXXX)
SOCK=$TMP/s.sock
declare -A R

ns() { ip netns add "$1" && ip -n "$1" link set lo up; }
cleanup() {
  trap - EXIT INT TERM
  if [ -S "$SOCK" ]; then
    timeout 20 env BERTH_SOCKET="$SOCK" "$BIN/berth" rm -f "$P-c" >/dev/null 2>&1
    timeout 20 env BERTH_SOCKET="$SOCK" "$BIN/berth" network rm "${P}net" >/dev/null 2>&1
  fi
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
  done
  sleep 1
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill -9 $pids 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
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
cpu_ticks() {  # utime+stime of every process in berthd's host namespace
  local c=0
  for pid in $(ip netns pids ${P}bh); do c=$((c + $(awk '{print $14+$15}' /proc/$pid/stat))); done
  echo $c
}
tcp_round() {  # side, metric, client ns, server ns, server ip: a warm-up, then the measured window
  T0=$T; T=${WARMUP:-2}; iperf_gbps "$3" "$4" "$5" >/dev/null; T=$T0
  local c0; c0=$(cpu_ticks)
  local g; g=$(iperf_gbps "$3" "$4" "$5")
  [ "$1" = berth ] && BERTH_TICKS=$((BERTH_TICKS + $(cpu_ticks) - c0))
  R[$1.$2]="${R[$1.$2]:-} $g"
  echo "[$1] round $r: TCP $2 $g Gbps" >&2
}
BERTH_TICKS=0

lan() {  # $1 prefix (k|b), $2 LAN host address: a LAN bridge, a LAN host, a host namespace with lan0 on the LAN
  ns ${P}$1l; ip -n ${P}$1l link add br0 type bridge; ip -n ${P}$1l link set br0 up
  ns ${P}$1lh
  ip -n ${P}$1l link add lh0 type veth peer name eth0 netns ${P}$1lh
  ip -n ${P}$1l link set lh0 master br0 up
  ip -n ${P}$1lh addr add "$2"/24 dev eth0; ip -n ${P}$1lh link set eth0 up
  ns ${P}$1h
  ip -n ${P}$1l link add par0 type veth peer name lan0 netns ${P}$1h
  ip -n ${P}$1l link set par0 master br0 up; ip -n ${P}$1h link set lan0 up
}

# ---- kernel: a macvlan device on lan0, in the container ----
lan k 192.168.91.10
ns ${P}kc
ip -n ${P}kh link add mv0 link lan0 type macvlan mode bridge
ip -n ${P}kh link set mv0 netns ${P}kc
ip -n ${P}kc link set mv0 name eth0
ip -n ${P}kc addr add 192.168.91.2/24 dev eth0; ip -n ${P}kc link set eth0 up
for _ in $(seq 30); do ip netns exec ${P}kc ping -c1 -W1 -q 192.168.91.10 >/dev/null 2>&1 && break; done

# ---- berth: a macvlan network on parent lan0 ----
lan b 192.168.92.10
ip netns exec ${P}bh "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" ${BERTHD_ARGS:-} >"$TMP/berthd.log" 2>&1 &
for _ in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "berthd did not start: $(tail -5 "$TMP/berthd.log")" >&2; exit 2; }
BERTH_SOCKET=$SOCK "$BIN/berth" network create -d macvlan --subnet 192.168.92.0/24 --gateway 192.168.92.1 \
  -o parent=lan0 ${P}net >/dev/null || exit 2
BERTH_SOCKET=$SOCK "$BIN/berth" run -d --name $P-c --network ${P}net --ip 192.168.92.2 >/dev/null || exit 2
for _ in $(seq 50); do ip netns exec $P-c ping -c1 -W1 -q 192.168.92.10 >/dev/null 2>&1 && break; done

echo "[both] measuring, $ROUNDS round(s) ..." >&2
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
R[kernel.ping]=$(ping_ms ${P}kc 192.168.91.10)
R[berth.ping]=$(ping_ms $P-c 192.168.92.10)
for r in $(seq "$ROUNDS"); do
  tcp_round kernel out ${P}kc ${P}klh 192.168.91.10
  tcp_round berth out $P-c ${P}blh 192.168.92.10
  tcp_round kernel in ${P}klh ${P}kc 192.168.91.2
  tcp_round berth in ${P}blh $P-c 192.168.92.2
done

python3 - "${R[kernel.out]:-}" "${R[berth.out]:-}" "${R[kernel.in]:-}" "${R[berth.in]:-}" "${R[kernel.ping]:-}" \
  "${R[berth.ping]:-}" "$BERTH_TICKS" "$(getconf CLK_TCK)" "$T" "$LOAD" "$(git -C "$ROOT" rev-parse --short HEAD)" <<'PY'
import statistics, sys
ko, bo, ki, bi, kp, bp, ticks, hz, secs, load, commit = sys.argv[1:12]
def f(x):
    try: return float(x)
    except ValueError: return None
def series(s): return [float(x) for x in s.split()]
ko, bo, ki, bi = series(ko), series(bo), series(ki), series(bi)
kp, bp = f(kp), f(bp)
med = lambda xs: statistics.median(xs) if xs else None
print("commit %s, load before %s, %s round(s) of %s s" % (commit, load, len(ko), secs))
print("%-38s | %-12s | %-12s | %s" % ("metric", "kernel", "berth", "berth/kernel"))
for label, k, b in (("TCP container->LAN host (iperf3)", med(ko), med(bo)), ("TCP LAN host->container (iperf3)", med(ki), med(bi))):
    print("%-38s | %-12s | %-12s | %s" % (label, "%.3f Gbps" % k if k else "-", "%.3f Gbps" % b if b else "-",
          "%.2fx" % (b / k) if k and b else "-"))
print("%-38s | %-12s | %-12s | %s" % ("ping RTT avg container->LAN host", "%.3f ms" % kp if kp else "-",
      "%.3f ms" % bp if bp else "-", "%.2fx" % (bp / kp) if kp and bp else "-"))
for label, ks, bs in (("out", ko, bo), ("in", ki, bi)):
    if len(ks) > 1 and len(ks) == len(bs):
        print("TCP %s per round (kernel/berth Gbps, ratio): " % label + ", ".join(
            "%.2f/%.2f %.2fx" % (k, b, b / k) for k, b in zip(ks, bs)))
if bo or bi:
    gb = (sum(bo) + sum(bi)) * float(secs) / 8
    print("berthd's CPU over the measured TCP windows: %.2f s, %.2f CPU-s per GB" % (
        int(ticks) / float(hz), int(ticks) / float(hz) / gb))
PY
