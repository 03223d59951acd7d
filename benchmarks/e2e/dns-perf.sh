#!/usr/bin/env bash
# The embedded DNS under load, with dnsmasq beside it as the anchor, in one run (issue 8).
#
# A berthd host namespace with a dnsmasq upstream on 127.0.0.1:53 (answering www.upstream.test), one user-defined
# network, a target container and a client container. From the client, dnsperf (-q 100 outstanding, -v for
# every response's latency) runs three loads of SECONDS each:
#   berth local:     "TARGET A" against 127.0.0.11 (berth answers it from its names);
#   dnsmasq local:   the same record from a dnsmasq inside the client's namespace on 127.0.0.12 (the anchor);
#   berth forwarded: "www.upstream.test A" against 127.0.0.11, which berth forwards to the dnsmasq upstream.
# It prints queries/s, lost queries, latency P50/P99/P99.9 and berthd's CPU per 10^5 queries.
#
# Usage: benchmarks/e2e/dns-perf.sh [seconds]   (default 10). Run as root; needs dnsperf, dnsmasq, iproute2.
# Leaves no namespace, process or file behind. Traffic stays on loopback inside the namespaces it makes.
set -u
set -o pipefail

T=${1:-10}
case "$T" in ''|*[!0-9]*|0) echo "dns-perf.sh: seconds must be a positive integer, got '$T'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "dns-perf.sh: must run as root" >&2; exit 1; }
for t in dnsperf dnsmasq ip python3; do
  command -v "$t" >/dev/null 2>&1 || { echo "dns-perf.sh: $t missing (.ci/install-tools installs it)" >&2; exit 1; }
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=dnp$$
TMP=$(mktemp -d /tmp/berth-dnsperf.XXXXXX)
export BERTH_SOCKET=$TMP/s.sock

cleanup() {
  trap - EXIT INT TERM
  if [ -S "$BERTH_SOCKET" ]; then
    for c in $P-t $P-c; do timeout 20 "$BIN/berth" rm -f "$c" >/dev/null 2>&1; done
    timeout 20 "$BIN/berth" network rm ${P}net >/dev/null 2>&1
  fi
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
  done
  sleep 1
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill -9 $pids 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  rm -rf "$TMP" /etc/netns/$P-h /etc/netns/$P-t /etc/netns/$P-c
}
trap cleanup EXIT
trap 'exit 130' INT TERM

H=$P-h
ip netns add $H; ip -n $H link set lo up
ip netns exec $H dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
  --port=53 --local=/upstream.test/ --address=/www.upstream.test/192.0.2.10 --cache-size=1000 >/dev/null 2>&1 &
ip netns exec $H "$BIN/berthd" --socket "$BERTH_SOCKET" --state-dir "$TMP/state" --dns-upstream 127.0.0.1:53 \
  >"$TMP/berthd.log" 2>&1 &
for _ in $(seq 600); do [ -S "$BERTH_SOCKET" ] && break; sleep 0.1; done
[ -S "$BERTH_SOCKET" ] || { echo "berthd did not start: $(tail -5 "$TMP/berthd.log")" >&2; exit 2; }
"$BIN/berth" network create --subnet 10.93.0.0/24 ${P}net >/dev/null || exit 2
"$BIN/berth" run -d --name $P-t --network ${P}net >/dev/null || exit 2
"$BIN/berth" run -d --name $P-c --network ${P}net >/dev/null || exit 2
TIP=$(ip -n $P-t -4 -br addr show eth0 | awk '{print $3}' | cut -d/ -f1)
# the anchor: dnsmasq with the same record, inside the client's namespace
ip netns exec $P-c dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.12 \
  --port=53 --host-record=$P-t,$TIP >/dev/null 2>&1 &
disown -a  # the clean-up kills them; no job notices
sleep 0.5
echo "$P-t A" > "$TMP/local.txt"
echo "www.upstream.test A" > "$TMP/forwarded.txt"
BERTHD_PID=$(ip netns pids $H | while read -r pid; do grep -q berth "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"; done | head -1)
ticks() { awk '{print $14+$15}' "/proc/$BERTHD_PID/stat"; }

run() {  # label server datafile
  # warm-up (JIT), then the measured window; every response's latency is in the -v lines
  ip netns exec $P-c dnsperf -s "$2" -d "$3" -l 2 -q 100 >/dev/null 2>&1
  local c0; c0=$(ticks)
  ip netns exec $P-c dnsperf -s "$2" -d "$3" -l "$T" -q 100 -v > "$TMP/$1.out" 2>&1
  local c1; c1=$(ticks)
  python3 - "$1" "$TMP/$1.out" "$((c1 - c0))" "$(getconf CLK_TCK)" <<'PY'
import re, sys
label, path, ticks, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
text = open(path).read()
lat = sorted(float(m) for m in re.findall(r"^> \S+ .* ([0-9.]+)$", text, re.M))
qps = re.search(r"Queries per second:\s+([0-9.]+)", text)
lost = re.search(r"Queries lost:\s+(\d+)", text)
done = re.search(r"Queries completed:\s+(\d+)", text)
def pct(p):
    return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
cpu = ""
if label.startswith("berth") and done and int(done.group(1)) > 0:
    cpu = "%.3f s" % (ticks / hz / int(done.group(1)) * 1e5)
print("%-16s | %10s | %6s | %8.3f | %8.3f | %8.3f | %s" % (label, "%.0f" % float(qps.group(1)) if qps else "-",
      lost.group(1) if lost else "-", pct(0.5), pct(0.99), pct(0.999), cpu or "-"))
PY
}
echo "load             | queries/s  | lost   | P50 ms   | P99 ms   | P99.9 ms | berthd CPU per 10^5"
run "berth local" 127.0.0.11 "$TMP/local.txt"
run "dnsmasq local" 127.0.0.12 "$TMP/local.txt"
run "berth forwarded" 127.0.0.11 "$TMP/forwarded.txt"
