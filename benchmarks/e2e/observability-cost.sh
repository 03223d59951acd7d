#!/usr/bin/env bash
# What observing costs (issue 12): TCP throughput and new TCP connections per second from the host (berthd's
# namespace, over berth0: routed, so every connection goes through conntrack) to a container, measured in
# alternating windows on
#   plain     berthd with nothing armed,
#   capture   the same berthd with `berth capture --stage tx` armed on the container's port (pcapng to /dev/null),
#   flow-log  a second berthd, started with --flow-log --flow-log-start (every connection's start and end
#             recorded in its Chronicle queue),
# ROUNDS rounds in one run. Both berthds stay up; only one carries traffic at a time. Prints every round, the
# medians, the ratios against plain, and the flow records written.
#
# Usage: [ROUNDS=N] benchmarks/e2e/observability-cost.sh [seconds]   (default 5 s, 3 rounds). Root; iperf3.
set -u
set -o pipefail
T=${1:-5}
ROUNDS=${ROUNDS:-3}
case "$T$ROUNDS" in *[!0-9]*) echo "observability-cost.sh: seconds and ROUNDS must be positive integers" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "observability-cost.sh: must run as root" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=obc$$
TMP=$(mktemp -d /tmp/berth-obscost.XXXXXX)
cp "$ROOT/benchmarks/e2e/connrate.py" "$TMP/connrate.py"
cleanup() {
  trap - EXIT INT TERM
  [ -z "${CAP:-}" ] || kill "$CAP" 2>/dev/null
  for side in plain flow; do
    if [ -S "$TMP/$side.sock" ]; then
      for c in $P-$side-s; do BERTH_SOCKET=$TMP/$side.sock timeout 20 "$BIN/berth" rm -f "$c" >/dev/null 2>&1; done
      BERTH_SOCKET=$TMP/$side.sock timeout 20 "$BIN/berth" network rm $P-$side >/dev/null 2>&1
    fi
  done
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
  done
  sleep 1
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$n" 2>/dev/null; done
  rm -rf "$TMP" /etc/netns/$P-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_side() {  # $1 side, $2 subnet prefix (10.95 / 10.96), berthd options...
  local side=$1 net=$2; shift 2
  ip netns add $P-h$side; ip -n $P-h$side link set lo up
  ip netns exec $P-h$side "$BIN/berthd" --socket "$TMP/$side.sock" --state-dir "$TMP/$side" "$@" \
    >"$TMP/$side.log" 2>&1 &
  for _ in $(seq 600); do [ -S "$TMP/$side.sock" ] && break; sleep 0.1; done
  export BERTH_SOCKET=$TMP/$side.sock
  "$BIN/berth" network create --subnet $net.0.0/24 $P-$side >/dev/null || exit 2
  "$BIN/berth" run -d --name $P-$side-s --network $P-$side -- sh -c \
    "iperf3 -s -D; exec python3 $TMP/connrate.py serve 8080 2" >/dev/null || exit 2
}
start_side plain 10.95
start_side flow 10.96 --flow-log --flow-log-start
sleep 1

gbps() {  # $1 side, $2 seconds
  local net; [ "$1" = plain ] && net=10.95 || net=10.96
  ip netns exec $P-h$1 iperf3 -c $net.0.2 -t "$2" -J 2>/dev/null | python3 -c \
    'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
PORT=2000
SPAN=$(( 63000 / (3 * ROUNDS) ))
conns() {  # $1 side -> connections per second; each window has its own source ports (no 4-tuple is ever reused),
  # so a window ends after T seconds or SPAN connections, whichever comes first: the rate is count / elapsed
  local net; [ "$1" = plain ] && net=10.95 || net=10.96
  local lo=$PORT hi=$((PORT + SPAN - 1)); PORT=$((PORT + SPAN))
  ip netns exec $P-h$1 timeout $((T + 30)) python3 "$TMP/connrate.py" client $net.0.2 8080 169.254.123.1 2 "$T" $lo $hi \
    | awk '{printf "%.0f\n", $1}'
}
armed() {  # the capture on the plain side's container port
  BERTH_SOCKET=$TMP/plain.sock "$BIN/berth" capture $P-plain-s --stage tx -w /dev/null 2>"$TMP/capture.err" &
  CAP=$!
  sleep 1
}
disarm() { kill $CAP; wait $CAP 2>/dev/null; CAP=""; }   # TERM: a background job of a script ignores SIGINT

gbps plain 2 >/dev/null; gbps flow 2 >/dev/null   # warm-up (TCP only: conn/s windows use every port once)
declare -A G C
for r in $(seq "$ROUNDS"); do
  G[plain]+=" $(gbps plain "$T")"; C[plain]+=" $(conns plain)"
  armed; G[capture]+=" $(gbps plain "$T")"; C[capture]+=" $(conns plain)"; disarm
  G[flow]+=" $(gbps flow "$T")"; C[flow]+=" $(conns flow)"
done
WRITTEN=$(BERTH_SOCKET=$TMP/flow.sock "$BIN/berth" counters -o json | python3 -c \
  'import json,sys; d=json.load(sys.stdin); print(d.get("flow_log", {}))')
python3 - "${G[plain]}" "${G[capture]}" "${G[flow]}" "${C[plain]}" "${C[capture]}" "${C[flow]}" "$WRITTEN" <<'PY'
import statistics, sys
g = [[float(x) for x in a.split()] for a in sys.argv[1:4]]
c = [[float(x) for x in a.split()] for a in sys.argv[4:7]]
names = ["plain", "capture armed", "flow log"]
for title, rows, unit in (("TCP", g, "Gbps"), ("new connections", c, "conn/s")):
    print("%s, %s per round: %s" % (title, unit, "; ".join("/".join("%.2f" % rows[k][i] if unit == "Gbps" else
          "%.0f" % rows[k][i] for k in range(3)) for i in range(len(rows[0])))))
    base = statistics.median(rows[0])
    print("  median " + ", ".join("%s %.3g %s (%.2fx)" % (names[k], statistics.median(rows[k]), unit,
          statistics.median(rows[k]) / base) for k in range(3)))
print("flow log counters: " + sys.argv[7])
PY
