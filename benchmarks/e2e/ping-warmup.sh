#!/usr/bin/env bash
# Ping RTT through berthd before and after its packet path is warm (JIT-compiled), in private namespaces only.
# Usage: benchmarks/e2e/ping-warmup.sh [berthd options, e.g. --spin-us 10000]   (root; leaves nothing behind)
set -euo pipefail
cd "$(dirname "$0")/../.."
P=bpw$$
T=$(mktemp -d "/tmp/berth-ping-warmup-XXXX")
export BERTH_SOCKET=$T/s.sock
cleanup() {
  set +e
  for c in $P-a $P-b; do bin/berth rm -f "$c" >/dev/null 2>&1; done
  [ -n "${BERTHD:-}" ] && kill "$BERTHD" 2>/dev/null && wait "$BERTHD" 2>/dev/null
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P-"); do
    for pid in $(ip netns pids "$ns"); do kill -9 "$pid"; done
    ip netns del "$ns"
  done
  rm -rf "$T"
}
trap cleanup EXIT
ip netns add $P-h; ip -n $P-h link set lo up
ip netns exec $P-h bin/berthd --socket "$BERTH_SOCKET" --state-dir "$T/state" "$@" >"$T/berthd.log" 2>&1 &
BERTHD=$!
for _ in $(seq 100); do [ -S "$BERTH_SOCKET" ] && bin/berth network ls >/dev/null 2>&1 && break; sleep 0.1; done
bin/berth network create --subnet 10.77.0.0/24 $P-n >/dev/null
bin/berth run -d --name $P-a --network $P-n >/dev/null
bin/berth run -d --name $P-b --network $P-n >/dev/null
ip netns exec $P-a ping -c 5 -i 0.01 -q 10.77.0.3 >/dev/null
echo "berthd $*"
echo "cold (200 x 5 ms):   $(ip netns exec $P-a ping -c 200 -i 0.005 -q 10.77.0.3 | tail -1)"
echo "flood (20,000):      $(ip netns exec $P-a ping -f -c 20000 -q 10.77.0.3 | tail -1)"
echo "warm (200 x 5 ms):   $(ip netns exec $P-a ping -c 200 -i 0.005 -q 10.77.0.3 | tail -1)"
