#!/usr/bin/env bash
# compare-peers.sh [ROUNDS] [SECONDS]: berth against every dataplane a user weighs it against, same run (issue 28):
#   container -> container on one network (ping RTT, TCP, 64-byte frames, CPU per GB):
#     kernel     a Linux bridge and veth pairs (Docker's bridge);
#     berth      berthd with TAP ports (`berth run`);
#     berth-afxdp  berthd with AF_XDP ports (`-o port=afxdp`: a veth read through XDP and an AF_XDP socket);
#     ovs-tap    Open vSwitch 3.1, userspace (netdev) datapath, tap ports moved into the containers,
#                other_config:userspace-tso-enable=true;
#     ovs-afxdp  the same datapath with veth ports of type=afxdp (native XDP; the containers' eth0 with
#                `ethtool -K eth0 tx off`, as OVS has no TSO there);
#   a published port from the host's 127.0.0.1 (TCP): berth, pasta and slirp4netns, by compare-loopback.sh.
# Each side is built in namespaces of its own, measured and torn down, in a new order each round (OVS:
# `ovsdb-tool create`, ovsdb-server and `ovs-vswitchd --disable-system` with a private OVS_RUNDIR). Prints medians,
# spreads, the ratio of each to the kernel and to berth, and per round the load and the stolen time. Nothing
# leaves the script's namespaces; everything is removed at the end, also on Ctrl-C or failure. Run as root after
# a build (mvn -B -q -DskipTests install); .ci/install-tools installs the peers. PROFILE=1 adds a profiled window
# to each AF_XDP side (see profile_side).
#
# Exit status: 0 when every side measured in every round, 1 otherwise.
set -u
set -o pipefail

ROUNDS=3
T=5
[ $# -ge 1 ] && ROUNDS=$1
[ $# -ge 2 ] && T=$2
case "$ROUNDS$T" in *[!0-9]*|'') echo "compare-peers.sh: ROUNDS and SECONDS are positive integers, got '$*'" >&2; exit 1 ;; esac
[ "$ROUNDS" -gt 0 ] && [ "$T" -gt 0 ] || { echo "compare-peers.sh: ROUNDS and SECONDS must be > 0" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "compare-peers.sh: must run as root (network namespaces)" >&2; exit 1; }
for tool in iperf3 trafgen ethtool ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl pasta slirp4netns python3; do
  command -v $tool >/dev/null 2>&1 || { echo "compare-peers.sh: $tool is missing: .ci/install-tools installs it" >&2; exit 1; }
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BERTH_BIN:-$ROOT/bin}
[ -x "$BIN/berthd" ] && [ -f "$ROOT/control/target/berth.jar" ] ||
  { echo "compare-peers.sh: build first: (cd $ROOT && mvn -B -q -DskipTests install)" >&2; exit 1; }

P=cpr$$
H=${P}h; C1=${P}c1; C2=${P}c2        # one side at a time: its "host" namespace and two containers
TMP=$(mktemp -d /tmp/berth-compare-peers.XXXXXX)
SOCK=$TMP/s.sock
BERTHD_PID=""; BG_PID=""
declare -A R   # R[side.metric] = value of the round being measured
declare -A ALL # ALL[side.metric] = "v1 v2 ..." over the rounds
OVS_DB=""

. "$ROOT/benchmarks/e2e/lib.sh"       # ns_exists, kill_ns_pids, berth, cpu_ticks_ns, run_bg, steal_ticks, ...
. "$ROOT/benchmarks/e2e/measure.sh"   # iperf_gbps, frames_mpps, ping_avg_ms, measure

stop_ovs() {
  [ -n "$OVS_DB" ] || return 0
  local pidfile
  for pidfile in "$TMP/ovs/vswitchd.pid" "$TMP/ovs/ovsdb.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  for _ in $(seq 50); do [ -f "$TMP/ovs/vswitchd.pid" ] && kill -0 "$(cat "$TMP/ovs/vswitchd.pid")" 2>/dev/null || break; sleep 0.1; done
  OVS_DB=""
}
stop_berthd() {
  [ -n "$BERTHD_PID" ] || return 0
  kill -TERM "$BERTHD_PID" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$BERTHD_PID" 2>/dev/null; wait "$BERTHD_PID" 2>/dev/null
  BERTHD_PID=""
}
teardown() {  # whatever side is up
  stop_berthd
  stop_ovs
  for n in $C1 $C2 $H; do kill_ns_pids "$n"; ns_exists "$n" && ip netns del "$n" 2>/dev/null; done
  rm -rf "$TMP/state" "$TMP/ovs"
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$BG_PID" ] || kill "$BG_PID" 2>/dev/null
  teardown
  rm -rf "$TMP"
  local left; left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P" || true)
  [ -z "$left" ] || { echo "compare-peers.sh: WARNING: namespaces left behind: $left" >&2; rc=1; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

new_ns() { ip netns add "$1" && ip -n "$1" link set lo up; }
address() {  # $1 container ns, $2 host part
  ip -n "$1" addr add "192.168.100.$2/24" dev eth0 && ip -n "$1" link set eth0 up
}

# ---- the sides: each leaves C2 able to reach C1 at 192.168.100.2 -------------------------------------------
side_kernel() {
  new_ns $H && new_ns $C1 && new_ns $C2 || return 1
  ip -n $H link add br0 type bridge && ip -n $H link set br0 up || return 1
  local c i=2
  for c in $C1 $C2; do
    ip -n $H link add "v$i" type veth peer name eth0 netns "$c" && ip -n $H link set "v$i" master br0 up &&
      address "$c" $i || return 1
    i=$((i + 1))
  done
}
side_berth() {  # $1: more options for the network (-o port=afxdp)
  new_ns $H || return 1
  ip netns exec $H "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 300); do grep -q 'berthd ready' "$TMP/berthd.log" && break; sleep 0.1; done
  grep -q 'berthd ready' "$TMP/berthd.log" || { echo "[berth] berthd did not start: $(tail -3 "$TMP/berthd.log")" >&2; return 1; }
  berth network create --subnet 192.168.100.0/24 "$@" peers >/dev/null &&
    berth run -d --name $C1 --network peers --ip 192.168.100.2 >/dev/null &&
    berth run -d --name $C2 --network peers --ip 192.168.100.3 >/dev/null
}
ovs() { ip netns exec $H env OVS_RUNDIR="$TMP/ovs" ovs-vsctl --db="unix:$TMP/ovs/db.sock" "$@"; }
start_ovs() {
  new_ns $H && new_ns $C1 && new_ns $C2 || return 1
  mkdir -p "$TMP/ovs" || return 1
  ovsdb-tool create "$TMP/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema >/dev/null || return 1
  OVS_DB=1
  ip netns exec $H env OVS_RUNDIR="$TMP/ovs" ovsdb-server "$TMP/ovs/conf.db" --remote="punix:$TMP/ovs/db.sock" \
    --pidfile="$TMP/ovs/ovsdb.pid" --detach --log-file="$TMP/ovs/ovsdb.log" >/dev/null 2>&1 || return 1
  ovs --no-wait init || return 1
  ip netns exec $H env OVS_RUNDIR="$TMP/ovs" ovs-vswitchd "unix:$TMP/ovs/db.sock" --disable-system \
    --pidfile="$TMP/ovs/vswitchd.pid" --detach --log-file="$TMP/ovs/vswitchd.log" >/dev/null 2>&1 || return 1
  ovs add-br br0 -- set bridge br0 datapath_type=netdev
}
side_ovs_tap() {
  start_ovs || return 1
  ovs set Open_vSwitch . other_config:userspace-tso-enable=true || return 1
  local c i=2
  for c in $C1 $C2; do
    ovs add-port br0 "tap$i" -- set interface "tap$i" type=tap || return 1
    for _ in $(seq 50); do ip -n $H link show "tap$i" >/dev/null 2>&1 && break; sleep 0.1; done
    ip -n $H link set "tap$i" netns "$c" && ip -n "$c" link set "tap$i" name eth0 && address "$c" $i || return 1
    i=$((i + 1))
  done
}
side_ovs_afxdp() {
  start_ovs || return 1
  local c i=2
  for c in $C1 $C2; do
    ip -n $H link add "v$i" type veth peer name eth0 netns "$c" && ip -n $H link set "v$i" up &&
      address "$c" $i && ip netns exec "$c" ethtool -K eth0 tx off >/dev/null || return 1
    ovs add-port br0 "v$i" -- set interface "v$i" type=afxdp options:xdp-mode=native || return 1
    i=$((i + 1))
  done
}

# A running `perf record` (even `-e dummy` on one CPU) makes every kernel path on this VM 30-50 % faster, the
# kernel bridge's and berth's alike (measured 2026-12-08): a round measured beside one is not comparable.
perf_running() { pgrep -x perf >/dev/null 2>&1; }
# PROFILE=1: after an AF_XDP side's measurements, one more 64-byte window under `perf record -a -g`, and where a
# frame's time goes on the dataplane's thread (frame-profile.py: the receiver's stack, the kernel's transmit, the
# dataplane's own code). The profiled window's rate is printed beside the shares, never counted with the figures.
profile_side() {  # $1 side
  local side=$1 comm mac tg r0 r1
  case $side in berth-afxdp) comm=berth-dataplane ;; ovs-afxdp) comm=pmd ;; *) return 0 ;; esac
  command -v perf >/dev/null 2>&1 || { echo "compare-peers.sh: PROFILE=1 needs perf (.ci/install-tools)" >&2; FAILED=1; return; }
  mac=$(ip -n $C1 -br link show eth0 | awk '{print $3}')
  echo "{ eth(da=$mac, type=0x0800), ipv4(sa=192.168.100.3, da=192.168.100.2, ttl=64, proto=17), udp(sp=9, dp=9), fill(0x00, 18) }" \
    > "$TMP/profile.trafgen"
  ip netns exec $C2 timeout $((T + 3)) trafgen -i "$TMP/profile.trafgen" -o eth0 --cpus 1 >/dev/null 2>&1 &
  tg=$!
  sleep 1
  r0=$(rx_packets $C1)
  perf record -a -g -o "$TMP/perf.data" -- sleep "$T" >/dev/null 2>&1
  r1=$(rx_packets $C1)
  wait $tg
  perf script -i "$TMP/perf.data" -F comm,ip,sym > "$TMP/perf.txt" 2>/dev/null
  echo "[round $round] $side, where a 64-byte frame's time goes on the dataplane's core:" >&2
  python3 "$ROOT/benchmarks/e2e/frame-profile.py" "$TMP/perf.txt" $comm $(( (r1 - r0) / T )) >&2 || FAILED=1
  rm -f "$TMP/perf.data" "$TMP/perf.txt"
}

FAILED=0
run_side() {  # $1 side: build, measure, tear down; figures into ALL
  local side=$1 fn dp_ns=""
  case $side in
    kernel) fn=side_kernel ;;
    berth) fn=side_berth; dp_ns=$H ;;
    berth-afxdp) fn="side_berth -o port=afxdp"; dp_ns=$H ;;
    ovs-tap) fn=side_ovs_tap; dp_ns=$H ;;
    ovs-afxdp) fn=side_ovs_afxdp; dp_ns=$H ;;
  esac
  R=()
  if ! eval "$fn"; then
    echo "[$side] could not be built" >&2; FAILED=1; teardown; return
  fi
  for _ in $(seq 50); do ip netns exec $C2 ping -c1 -W1 -q 192.168.100.2 >/dev/null 2>&1 && break; done
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  measure "$side" $C2 $C1 192.168.100.3 192.168.100.2 $dp_ns
  [ -z "${R[$side.err]-}" ] || { echo "[$side] ${R[$side.err]}" >&2; FAILED=1; }
  local gb
  gb=$(python3 -c "print(${R[$side.tcp]:-0} * $T / 8)")
  ALL[$side.tcp]+="${R[$side.tcp]:-nan} "
  ALL[$side.mpps]+="${R[$side.mpps]:-nan} "
  ALL[$side.offered]+="$(python3 -c "print('%.3f' % (float('${R[$side.offered]:-nan}') + float('${R[$side.dropped]:-0}')))") "
  ALL[$side.ping]+="${R[$side.ping_median]:-nan} "
  ALL[$side.mcpu]+="$(python3 -c "print('%.3f' % (${R[$side.mcpu_tcp]:-0} / $HZ / max($gb, 1e-9)))") "
  [ -z "$dp_ns" ] || ALL[$side.dcpu]+="$(python3 -c "print('%.3f' % (${R[$side.cpu_tcp]:-0} / $HZ / max($gb, 1e-9)))") "
  perf_running && { echo "[round $round] $side: WARNING: perf is running, these figures are not comparable" >&2; FAILED=1; }
  echo "[round $round] $side: TCP ${R[$side.tcp]:-?} Gbps, 64 B ${R[$side.mpps]:-?} Mpps, ping median ${R[$side.ping_median]:-?} ms; load $load, stolen ${R[$side.steal]:-?} %" >&2
  [ -z "${PROFILE:-}" ] || profile_side "$side"
  teardown
}

for round in $(seq "$ROUNDS"); do
  case $((round % 4)) in
    1) order="kernel berth berth-afxdp ovs-tap ovs-afxdp" ;; 2) order="ovs-afxdp kernel berth berth-afxdp ovs-tap" ;;
    3) order="ovs-tap ovs-afxdp kernel berth-afxdp berth" ;; *) order="berth-afxdp berth ovs-tap ovs-afxdp kernel" ;;
  esac
  for side in $order; do
    case " ${SIDES:-$order} " in *" $side "*) run_side $side ;; esac   # SIDES="a b": only those (development)
  done
  # the published port from 127.0.0.1: berth, pasta, slirp4netns (their own namespaces, one round)
  [ -z "${SIDES:-}" ] || continue
  if "$ROOT/benchmarks/e2e/compare-loopback.sh" "$T" 1 >"$TMP/loopback.out" 2>"$TMP/loopback.err"; then
    while read -r _ _ name g f _ _ _ _ _ _ _ _; do
      name=${name%:}
      ALL[lo-$name.gbps]+="$g "; ALL[lo-$name.cpu]+="$f "
    done < <(grep '^\[round 1\]' "$TMP/loopback.err")
    echo "[round $round] published port from 127.0.0.1: $(grep '^\[round 1\]' "$TMP/loopback.err" | cut -d' ' -f3-5 | tr '\n' ';')" >&2
  else
    echo "[round $round] compare-loopback.sh failed: $(tail -3 "$TMP/loopback.err")" >&2; FAILED=1
  fi
done

args=()
for k in "${!ALL[@]}"; do args+=("$k=${ALL[$k]}"); done
python3 - "$T" "$ROUNDS" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" "${args[@]}" <<'PY'
import math, os, statistics, sys
t, rounds, commit = sys.argv[1:4]
data = {}
for a in sys.argv[4:]:
    k, v = a.split("=", 1)
    data[k] = [float(x) for x in v.split() if x != "nan"]
def med(k):
    xs = data.get(k, [])
    return statistics.median(xs) if xs else float("nan")
def cell(k, fmt):
    xs = data.get(k, [])
    return "-" if not xs else (fmt % med(k)) + " [" + (fmt % min(xs)).strip() + "-" + (fmt % max(xs)).strip() + "]"
def ratio(a, b):
    return "-" if math.isnan(a) or math.isnan(b) or b == 0 else "%.2fx" % (a / b)
sides = ["kernel", "berth", "berth-afxdp", "ovs-tap", "ovs-afxdp"]
print("container -> container, one network (%s rounds, %s s windows; medians [spread]; ratio to the kernel / to berth)" % (rounds, t))
rows = [("TCP Gbps", "tcp", "%.2f"), ("64-byte frames delivered, Mpps", "mpps", "%.3f"),
        ("64-byte frames offered (trafgen), Mpps", "offered", "%.3f"),
        ("ping RTT median, ms (lower is better)", "ping", "%.3f"),
        ("machine CPU s/GB of TCP (lower is better)", "mcpu", "%.2f"), ("dataplane CPU s/GB (berthd, ovs-vswitchd)", "dcpu", "%.2f")]
print("%-42s | %s" % ("", " | ".join("%-30s" % "median [spread] /kernel /berth" for s in sides)))
print("%-42s | %s" % ("measure", " | ".join("%-30s" % s for s in sides)))
for name, key, fmt in rows:
    cells = []
    for s in sides:
        v = med(s + "." + key)
        cells.append("%-30s" % ("%s %s/%s" % (cell(s + "." + key, fmt), ratio(v, med("kernel." + key)), ratio(v, med("berth." + key)))
                                if data.get(s + "." + key) else "-"))
    print("%-42s | %s" % (name, " | ".join(cells)))
print()
print("published port from the host's 127.0.0.1, TCP (compare-loopback.sh, one round each)")
for s in ["berth", "pasta", "slirp4netns"]:
    g = med("lo-%s.gbps" % s)
    print("%-14s %s Gbps (%s berth), forwarder %s CPU s/GB" % (s, cell("lo-%s.gbps" % s, "%.2f"), ratio(g, med("lo-berth.gbps")),
                                                          cell("lo-%s.cpu" % s, "%.3f")))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":", 1)[1].strip()
print("commit %s; %s, %d CPUs; load average after %s" % (commit, cpu, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
PY
exit $FAILED
