#!/usr/bin/env bash
# Ping RTT and idle CPU of berthd at its default spin (auto) and at fixed --spin-us settings, beside the kernel
# bridge, in one run (issue 11).
#
# Kernel: two namespaces on a kernel bridge (veth pairs). berth: for each setting, a fresh bin/berthd in a host
# namespace, one bridge network and two containers (bin/berth run -d). For each side: a 20,000-echo flood to warm
# up (JIT, ARP), then the RTT of 200 pings 5 ms apart (what compare.sh reports) and of 20 pings 200 ms apart (sparse
# traffic), each as average and median. For berth then the idle cost: no traffic for IDLE_WAIT seconds (default 10), then berthd's CPU over
# IDLE_SECONDS (default 60), as a percentage of one core.
#
# Usage: [IDLE_WAIT=S] [IDLE_SECONDS=S] benchmarks/e2e/latency-sweep.sh [SETTING ...]
#        SETTING: auto or microseconds for --spin-us (default: auto 0 1000 10000)
# Run as root. Leaves no namespace, process or temp file behind.
set -u
set -o pipefail

IDLE_WAIT=${IDLE_WAIT:-10}
IDLE_SECONDS=${IDLE_SECONDS:-60}
SETTINGS=("$@")
[ ${#SETTINGS[@]} -gt 0 ] || SETTINGS=(auto 0 1000 10000)
[ "$(id -u)" = 0 ] || { echo "latency-sweep.sh: must run as root" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=lsw$$
TMP=$(mktemp -d /tmp/berth-latency.XXXXXX)
SOCK=$TMP/s.sock
declare -A R
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cleanup() {
  trap - EXIT INT TERM
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do kill_ns_pids "$n"; done
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$n" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rtt() {  # ns ip count interval -> "average/median" RTT in ms (a VM's stolen time shows as a few long outliers,
  # which move the average and not the median)
  local out avg med
  out=$(ip netns exec "$1" ping -c "$3" -i "$4" -W 2 "$2" 2>/dev/null)
  avg=$(awk -F/ '/^rtt|^round-trip/ {print $5}' <<<"$out")
  med=$(grep -o 'time=[0-9.]*' <<<"$out" | cut -d= -f2 | sort -n | awk '{t[NR] = $1} END {if (NR) print t[int((NR + 1) / 2)]}')
  echo "$avg/$med"
}
measure() {  # label ns ip
  ip netns exec "$2" ping -c 5 -i 0.2 -W 2 -q "$3" >/dev/null 2>&1
  ip netns exec "$2" ping -f -c 20000 -W 2 -q "$3" >/dev/null 2>&1
  R[$1.rtt5]=$(rtt "$2" "$3" 200 0.005)
  R[$1.rtt200]=$(rtt "$2" "$3" 20 0.2)
}

# the kernel bridge
ip netns add "$P-kb"; ip netns add "$P-k1"; ip netns add "$P-k2"
ip -n "$P-kb" link add br0 type bridge; ip -n "$P-kb" link set br0 up
for i in 1 2; do
  ip -n "$P-kb" link add "v$i" type veth peer name eth0 netns "$P-k$i"
  ip -n "$P-kb" link set "v$i" master br0 up
  ip -n "$P-k$i" addr add "10.214.0.$i/24" dev eth0; ip -n "$P-k$i" link set eth0 up; ip -n "$P-k$i" link set lo up
done
measure kernel "$P-k1" 10.214.0.2
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %16s %16s %12s\n' "spin" "RTT 5 ms" "RTT 200 ms" "idle CPU"
printf '%-14s %16s %16s %12s\n' "" "avg/median ms" "avg/median ms" ""
printf '%-14s %16s %16s %12s\n' "kernel bridge" "${R[kernel.rtt5]}" "${R[kernel.rtt200]}" "-"

for s in "${SETTINGS[@]}"; do
  H="$P-h$s"
  ip netns add "$H"; ip -n "$H" link set lo up
  rm -rf "$TMP/state"
  ip netns exec "$H" "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" --spin-us "$s" > "$TMP/berthd-$s.log" 2>&1 &
  for _ in $(seq 100); do berth ps >/dev/null 2>&1 && break; sleep 0.2; done
  berth network create --subnet 10.215.0.0/24 "${P}n" >/dev/null || { cat "$TMP/berthd-$s.log"; exit 1; }
  berth run -d --name "$P-a$s" --network "${P}n" >/dev/null
  berth run -d --name "$P-b$s" --network "${P}n" >/dev/null
  measure "$s" "$P-a$s" 10.215.0.3
  sleep "$IDLE_WAIT"
  t0=$(cpu_ticks_ns "$H"); sleep "$IDLE_SECONDS"; t1=$(cpu_ticks_ns "$H")
  hz=$(getconf CLK_TCK)
  idle=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f %%", 100 * d / hz / s}')
  ratio=$(awk -v b="${R[$s.rtt5]}" -v k="${R[kernel.rtt5]}" 'BEGIN {split(b, x, "/"); split(k, y, "/");
    if (y[1] > 0 && y[2] > 0) printf "%.2fx / %.2fx", x[1] / y[1], x[2] / y[2]}')
  printf '%-14s %16s %16s %12s   RTT 5 ms / kernel, avg / median: %s\n' "--spin-us $s" "${R[$s.rtt5]}" \
    "${R[$s.rtt200]}" "$idle" "$ratio"
  berth rm -f "$P-a$s" "$P-b$s" >/dev/null 2>&1
  berth network rm "${P}n" >/dev/null 2>&1
  kill_ns_pids "$H"
  ip netns del "$H"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
