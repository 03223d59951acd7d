#!/usr/bin/env bash
# compare-loopback.sh [SECONDS] [ROUNDS]: a container's published port reached from the host's 127.0.0.1, berth
# against the userspace peers that publish the same way (issue 28): pasta (`-t 127.0.0.1/PORT:5201`) and
# slirp4netns (`--mtu=65520`, a host forward added through its API socket). The first piece of issue 28's
# compare-peers.sh: the figure its splicing loopback proxy is to beat.
#
# Each side gets a private "host" namespace (lo; pasta's also a veth with a default route, the template
# interface pasta copies) and a container namespace with `iperf3 -s`; `iperf3 -c 127.0.0.1` runs in the host
# namespace. berth: berthd in its host namespace, `berth run -d -p 127.0.0.1:PORT:5201` (its userland proxy).
# Prints, per side, the median TCP Gbps over ROUNDS alternating rounds (sides in a new order each round), and the
# CPU seconds per GB of the forwarder (berthd, pasta, slirp4netns) and of the whole machine, with each round's
# figures, the load and the stolen time. Nothing leaves the script's namespaces; everything is removed at the end,
# also on Ctrl-C or failure. Run as root after a build (mvn -B -q -DskipTests install).
#
# Exit status: 0 when every side measured, 1 when one failed or on a usage or setup error.
set -u

T=5
ROUNDS=3
[ $# -ge 1 ] && T=$1
[ $# -ge 2 ] && ROUNDS=$2
case "$T$ROUNDS" in *[!0-9]*|'') echo "compare-loopback.sh: SECONDS and ROUNDS are positive integers, got '$*'" >&2; exit 1 ;; esac
[ "$T" -gt 0 ] && [ "$ROUNDS" -gt 0 ] || { echo "compare-loopback.sh: SECONDS and ROUNDS must be > 0" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "compare-loopback.sh: must run as root (network namespaces)" >&2; exit 1; }
for tool in iperf3 pasta slirp4netns socat python3 ss; do
  command -v $tool >/dev/null 2>&1 || { echo "compare-loopback.sh: $tool is missing: .ci/install-tools installs it" >&2; exit 1; }
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BERTH_BIN:-$ROOT/bin}
[ -x "$BIN/berthd" ] && [ -f "$ROOT/control/target/berth.jar" ] ||
  { echo "compare-loopback.sh: build first: (cd $ROOT && mvn -B -q -DskipTests install)" >&2; exit 1; }

P=lbk$$
BH=${P}bh; BC=$P-c                   # berth: berthd's namespace; the container as berth names it
PH=${P}ph                            # pasta: host namespace (pasta makes the container's own)
SH=${P}sh; SC=${P}sc                 # slirp4netns: host and container namespaces
PORT=15201
TMP=$(mktemp -d /tmp/berth-compare-loopback.XXXXXX)
SOCK=$TMP/s.sock
BERTHD_PID=""; PASTA_PID=""; SLIRP_PID=""; BG_PID=""
declare -A R

. "$ROOT/benchmarks/e2e/lib.sh"   # ns_exists, kill_ns_pids, berth, machine_busy_ticks, steal_ticks, iperf3_figures

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$BG_PID" ] || kill "$BG_PID" 2>/dev/null
  # pasta's server runs in a namespace pasta made, as its child: stopped first, or it outlives pasta
  [ -z "$PASTA_PID" ] || { pkill -TERM -P "$PASTA_PID" 2>/dev/null; kill "$PASTA_PID" 2>/dev/null; }
  [ -z "$SLIRP_PID" ] || kill "$SLIRP_PID" 2>/dev/null
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    timeout 20 env BERTH_SOCKET="$SOCK" "$BIN/berth" rm -f "$BC" >/dev/null 2>&1
    kill -TERM "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$BERTHD_PID" 2>/dev/null
    wait "$BERTHD_PID" 2>/dev/null
  fi
  for n in $BC $BH $PH $SC $SH; do
    kill_ns_pids "$n"
    ns_exists "$n" && ip netns del "$n" 2>/dev/null
  done
  rm -rf "$TMP"
  local left
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P" || true)
  [ -z "$left" ] || { echo "compare-loopback.sh: WARNING: namespaces left behind: $left" >&2; rc=1; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pid_ticks() { local f; f=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }; set -- $f; echo $((${12} + ${13})); }
wait_listen() {  # $1 ns, $2 port: true once something listens on it (5 s at most)
  for _ in $(seq 50); do ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0; sleep 0.1; done
  return 1
}
new_ns() { ip netns add "$1" && ip -n "$1" link set lo up; }

# ---- the three sides' set-up: each leaves a server behind 127.0.0.1:$PORT of its host namespace --------
setup_berth() {
  new_ns $BH || return 1
  ip netns exec $BH "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 300); do grep -q 'berthd ready' "$TMP/berthd.log" && break; sleep 0.1; done
  grep -q 'berthd ready' "$TMP/berthd.log" || { echo "[berth] berthd did not start: $(tail -5 "$TMP/berthd.log")" >&2; return 1; }
  berth run -d --name "$BC" -p "127.0.0.1:$PORT:5201" >"$TMP/run.log" 2>&1 || { echo "[berth] run: $(cat "$TMP/run.log")" >&2; return 1; }
  ip netns exec "$BC" iperf3 -s -p 5201 -D --logfile "$TMP/berth-iperf3.log" || return 1
  wait_listen "$BC" 5201 || { echo "[berth] no iperf3 server" >&2; return 1; }
  wait_listen $BH $PORT || { echo "[berth] no proxy on 127.0.0.1:$PORT: $(ip netns exec $BH ss -Hltn)" >&2; return 1; }
}
setup_pasta() {
  new_ns $PH || return 1
  ip -n $PH link add d0 type veth peer name d1 && ip -n $PH link set d0 up && ip -n $PH link set d1 up &&
    ip -n $PH addr add 192.0.2.2/24 dev d0 && ip -n $PH route add default via 192.0.2.1 dev d0 onlink || return 1
  ip netns exec $PH pasta --config-net --runas 0 -i d0 -t "127.0.0.1/$PORT:5201" -u none -T none -U none \
    --no-map-gw -f -- iperf3 -s -p 5201 >"$TMP/pasta.log" 2>&1 &
  PASTA_PID=$!
  wait_listen $PH $PORT || { echo "[pasta] no listener: $(tail -3 "$TMP/pasta.log")" >&2; return 1; }
  sleep 0.5 # pasta listens before the server inside has started
}
setup_slirp() {
  new_ns $SH && new_ns $SC || return 1
  ip netns exec $SH slirp4netns --configure --mtu=65520 --api-socket "$TMP/slirp.sock" --netns-type=path \
    "/run/netns/$SC" tap0 >"$TMP/slirp.log" 2>&1 &
  SLIRP_PID=$!
  for _ in $(seq 50); do [ -S "$TMP/slirp.sock" ] && break; sleep 0.1; done
  ip netns exec $SC iperf3 -s -p 5201 -D --logfile "$TMP/slirp-iperf3.log" || return 1
  wait_listen $SC 5201 || { echo "[slirp4netns] no iperf3 server: $(cat "$TMP/slirp.log")" >&2; return 1; }
  printf '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":%d,"guest_port":5201}}' \
    "$PORT" | ip netns exec $SH socat - "UNIX-CONNECT:$TMP/slirp.sock" >"$TMP/slirp-api.log" 2>&1 || return 1
  grep -q '"return"' "$TMP/slirp-api.log" || { echo "[slirp4netns] add_hostfwd: $(cat "$TMP/slirp-api.log")" >&2; return 1; }
  wait_listen $SH $PORT
}

# ---- one measurement: $1 side, $2 host ns, $3 forwarder pid --------------------------------------------
measure() {
  local side=$1 ns=$2 fwd=$3 out=$TMP/iperf.$1.json
  local f0 m0 s0 f1 m1 s1
  f0=$(pid_ticks "$fwd"); m0=$(machine_busy_ticks); s0=$(steal_ticks)
  timeout $((T + 30)) ip netns exec "$ns" iperf3 -c 127.0.0.1 -p $PORT -t "$T" -J >"$out" 2>&1 &
  BG_PID=$!; wait $BG_PID; BG_PID=""
  f1=$(pid_ticks "$fwd"); m1=$(machine_busy_ticks); s1=$(steal_ticks)
  iperf3_figures "$out" "$((f1 - f0))" "$((m1 - m0))" "$((s1 - s0))"
}

FAILED=0
setup_berth || { echo "compare-loopback.sh: berth's side could not be set up" >&2; FAILED=1; }
setup_pasta || { echo "compare-loopback.sh: pasta's side could not be set up" >&2; FAILED=1; }
setup_slirp || { echo "compare-loopback.sh: slirp4netns's side could not be set up" >&2; FAILED=1; }
[ $FAILED = 0 ] || exit 1

for round in $(seq "$ROUNDS"); do
  case $((round % 3)) in 1) order="berth pasta slirp4netns" ;; 2) order="pasta slirp4netns berth" ;; *) order="slirp4netns berth pasta" ;; esac
  for side in $order; do
    case $side in
      berth) ns=$BH; fwd=$BERTHD_PID ;;
      pasta) ns=$PH; fwd=$PASTA_PID ;;
      slirp4netns) ns=$SH; fwd=$SLIRP_PID ;;
    esac
    load=$(cut -d' ' -f1 /proc/loadavg)
    if fig=$(measure $side $ns $fwd); then
      R[$side]+="$fig $load;"
      echo "[round $round] $side: $fig (Gbps, forwarder s/GB, machine s/GB, stolen %) load $load" >&2
    else
      echo "[round $round] $side: FAILED" >&2; FAILED=1
    fi
  done
done

python3 - "$T" "$ROUNDS" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" "${R[berth]-}" "${R[pasta]-}" "${R[slirp4netns]-}" <<'PY'
import statistics, sys
t, rounds, commit = sys.argv[1], sys.argv[2], sys.argv[3]
sides = {"berth (userland proxy)": sys.argv[4], "pasta": sys.argv[5], "slirp4netns (MTU 65520)": sys.argv[6]}
runs = {k: [list(map(float, r.split())) for r in v.split(";") if r.strip()] for k, v in sides.items()}
med = lambda xs: statistics.median(xs) if xs else float("nan")
berth = med([r[0] for r in runs["berth (userland proxy)"]])
print("published port from the host's 127.0.0.1, TCP (iperf3, %s s windows, %s rounds, medians; spread in [])" % (t, rounds))
print("%-26s | %-22s | %-9s | %-22s | %s" % ("side", "Gbps", "vs berth", "forwarder CPU s/GB", "machine CPU s/GB"))
for name, rs in runs.items():
    g = [r[0] for r in rs]; f = [r[1] for r in rs]; m = [r[2] for r in rs]
    if not rs:
        print("%-26s | failed" % name); continue
    print("%-26s | %6.2f [%5.2f-%5.2f] | %7.2fx | %6.3f [%5.3f-%5.3f] | %6.3f" % (
        name, med(g), min(g), max(g), med(g) / berth, med(f), min(f), max(f), med(m)))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":", 1)[1].strip()
load = open("/proc/loadavg").read().split()[:3]
print("commit %s; %s, %d CPUs; load average after %s" % (commit, cpu, __import__("os").cpu_count(), " ".join(load)))
PY
exit $FAILED
