#!/usr/bin/env bash
# What an armed capture costs (issue 12): TCP between two containers on one berth network, iperf3 windows
# alternating between no capture, a capture armed at the tx stage on the sender's port (every packet copied
# into the ring and streamed to the CLI, written as pcapng to /dev/null), and the same capture with its CLI
# stopped (SIGSTOP: copies are lost, the flow must not wait), ROUNDS rounds. Prints each pair, the
# medians, the ratio, and what the capture reported captured and lost in each round.
#
# Usage: [ROUNDS=N] benchmarks/e2e/capture-cost.sh [seconds]   (default 5 s, 3 rounds). Root; iperf3, iproute2.
set -u
set -o pipefail
T=${1:-5}
ROUNDS=${ROUNDS:-3}
case "$T$ROUNDS" in *[!0-9]*) echo "capture-cost.sh: seconds and ROUNDS must be positive integers" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "capture-cost.sh: must run as root" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=cpc$$
TMP=$(mktemp -d /tmp/berth-capcost.XXXXXX)
export BERTH_SOCKET=$TMP/s.sock
cleanup() {
  trap - EXIT INT TERM
  [ -z "${CAP:-}" ] || kill "$CAP" 2>/dev/null
  if [ -S "$BERTH_SOCKET" ]; then
    for c in $P-a $P-b; do timeout 20 "$BIN/berth" rm -f "$c" >/dev/null 2>&1; done
    timeout 20 "$BIN/berth" network rm ${P}net >/dev/null 2>&1
  fi
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
  done
  sleep 1
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$n" 2>/dev/null; done
  rm -rf "$TMP" /etc/netns/$P-a /etc/netns/$P-b
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add $P-h; ip -n $P-h link set lo up
ip netns exec $P-h "$BIN/berthd" --socket "$BERTH_SOCKET" --state-dir "$TMP/state" >"$TMP/berthd.log" 2>&1 &
for _ in $(seq 600); do [ -S "$BERTH_SOCKET" ] && break; sleep 0.1; done
"$BIN/berth" network create --subnet 10.94.0.0/24 ${P}net >/dev/null || exit 2
"$BIN/berth" run -d --name $P-a --network ${P}net >/dev/null || exit 2
"$BIN/berth" run -d --name $P-b --network ${P}net -- iperf3 -s >/dev/null || exit 2
sleep 1
gbps() {
  ip netns exec $P-a iperf3 -c 10.94.0.3 -t "$1" -J 2>/dev/null | python3 -c \
    'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
gbps 2 >/dev/null  # warm-up
OFF=""; ON=""; STOPPED=""
for r in $(seq "$ROUNDS"); do
  OFF="$OFF $(gbps "$T")"
  "$BIN/berth" capture $P-a --stage tx -w /dev/null >"$TMP/capture.out" 2>"$TMP/capture.err" &
  CAP=$!
  sleep 1
  ON="$ON $(gbps "$T")"
  kill -STOP $CAP   # the capture's reader stopped: the packet path must not wait for it
  STOPPED="$STOPPED $(gbps "$T")"
  kill -CONT $CAP
  kill $CAP; wait $CAP 2>/dev/null; CAP=""   # TERM: a background job of a script ignores SIGINT
  echo "round $r, the capture: $(tail -1 "$TMP/capture.out")"   # "N packets captured, M lost", said at TERM
done
python3 - "$OFF" "$ON" "$STOPPED" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
st = [float(x) for x in sys.argv[3].split()]
print("rounds (no capture / armed capture / its CLI stopped, Gbps): "
      + ", ".join("%.2f/%.2f/%.2f" % p for p in zip(off, on, st)))
mo, mn, ms = statistics.median(off), statistics.median(on), statistics.median(st)
print("median: %.3f Gbps without, %.3f Gbps with a capture armed at tx (%.2fx), %.3f with its CLI stopped (%.2fx)"
      % (mo, mn, mn / mo, ms, ms / mo))
PY
