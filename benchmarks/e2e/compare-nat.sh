#!/usr/bin/env bash
# berth vs. the kernel's iptables NAT, end to end, in one run: SNAT, DNAT and connection rate.
#
# Builds the same topology twice, inside private network namespaces only:
#   kernel: a private "host" namespace with a Linux bridge br0 (gateway 192.168.100.1/24), container c1
#           (192.168.100.2) on a veth into it, ip_forward on, and an "outside" namespace on a veth whose
#           host end holds 10.99.0.1/24; iptables -t nat: POSTROUTING -s 192.168.100.0/24 ! -o br0 MASQUERADE
#           and PREROUTING -p tcp --dport 12211 DNAT to 192.168.100.2:8080, as shared/bench/kernel-baseline.sh;
#   berth:  bin/berthd in a private host namespace with --uplink up0 --uplink-ip 10.99.0.1/24, up0 a veth end
#           with no kernel address whose peer is the outside namespace's eth0; a network 192.168.100.0/24 and
#           container c1 made with `berth run -d -p 12211:8080`.
# The outside namespace holds 10.99.0.2 (iperf3), .3 and .4 (connection-rate clients, one per phase).
# Measures on each side, in this order:
#   SNAT TCP     iperf3 from c1 to 10.99.0.2:5201 in the outside namespace (masqueraded to 10.99.0.1);
#   DNAT TCP     iperf3 from the outside to 10.99.0.1:12211 -> c1's iperf3 server on 8080;
#   SNAT UDP frag  iperf3 -u -l 3000 from c1 to 10.99.0.2:5202: every datagram is two fragments each way in,
#                reassembled, masqueraded and fragmented again (issue 14); received datagrams per second;
#   conn/s 1     new TCP connections per second from the outside to 10.99.0.1:12211 -> c1:8080 (connrate.py:
#                CONN_PROCS client processes, each connect + wait for the server's close + close, every
#                source port used once; a server of 2 processes accepting and closing);
#   conn/s N     the same after N more published ports (default 5000): kernel, N DNAT rules in PREROUTING
#                before the measured one (iptables walks them for every new connection); berth, a second
#                container run with -p 10.99.0.1:20000-(20000+N-1):20000-(20000+N-1).
# Prints a table metric | kernel | berth | berth/kernel, the flatness (conn/s N over conn/s 1) of each side,
# the targets and a closing line with the load average, commit and times.
#
# Usage: benchmarks/e2e/compare-nat.sh [seconds] [--json FILE] [--only kernel|berth] [--berthd-log FILE]
#                                      [--berthd-args "ARGS"] [--ports N] [--conn-procs N]
#   seconds            length of each iperf3 and connection-rate window (default 5)
#   --json FILE        also write the figures as JSON
#   --only SIDE        measure one side only (for development; the ratio column is then empty)
#   --berthd-log FILE  keep a copy of berthd's output (it is printed on failure anyway)
#   --berthd-args ARGS more options for berthd, split on blanks (e.g. "--spin-us 50")
#   --ports N          other published ports for the second connection-rate phase (default 5000, max 5000)
#   --conn-procs N     connection-rate client processes (default 4)
# Run as root from anywhere; runs a private copy of this repository's bin/berthd, bin/berth and
# control/target/berth.jar (or the launchers in BERTH_BIN=DIR, as they are). Leaves no namespace, process
# or temp file behind.
# Exit status: 0 if both sides measured, 2 if a side failed (the other side is still printed), 1 on a usage
# or setup error.
set -u
set -o pipefail

T=5; JSON_OUT=""; ONLY=""; LOG_COPY=""; BERTHD_ARGS=""; NPORTS=5000; CONN_PROCS=4
while [ $# -gt 0 ]; do
  case "$1" in
    --json) JSON_OUT=${2:?--json needs a file}; shift 2 ;;
    --json=*) JSON_OUT=${1#--json=}; shift ;;
    --only) ONLY=${2:?--only needs kernel or berth}; shift 2 ;;
    --berthd-log) LOG_COPY=${2:?--berthd-log needs a file}; shift 2 ;;
    --berthd-args) BERTHD_ARGS=${2?--berthd-args needs a string}; shift 2 ;;
    --ports) NPORTS=${2:?--ports needs a number}; shift 2 ;;
    --conn-procs) CONN_PROCS=${2:?--conn-procs needs a number}; shift 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) T=$1; shift ;;
    *) echo "compare-nat.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
case "$T" in ''|*[!0-9]*|0) echo "compare-nat.sh: seconds must be a positive integer, got '$T'" >&2; exit 1 ;; esac
case "$NPORTS" in ''|*[!0-9]*|0) echo "compare-nat.sh: --ports must be a positive integer, got '$NPORTS'" >&2; exit 1 ;; esac
[ "$NPORTS" -le 5000 ] || { echo "compare-nat.sh: --ports at most 5000 (host ports 20000-24999), got $NPORTS" >&2; exit 1; }
case "$CONN_PROCS" in ''|*[!0-9]*|0) echo "compare-nat.sh: --conn-procs must be a positive integer" >&2; exit 1 ;; esac
case "$ONLY" in ''|kernel|berth) ;; *) echo "compare-nat.sh: --only takes kernel or berth, got '$ONLY'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "compare-nat.sh: must run as root (network namespaces, TAP devices, iptables)" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BERTH_BIN:-$ROOT/bin}
HERE=$(cd "$(dirname "$0")" && pwd)

# ---- tools -----------------------------------------------------------------------------------------
need_pkgs=()
for pair in iperf3:iperf3 iptables:iptables iptables-restore:iptables conntrack:conntrack ping:iputils-ping python3:python3 ip:iproute2 timeout:coreutils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_pkgs+=("${pair#*:}")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "compare-nat.sh: installing ${need_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need_pkgs[@]}" | sort -u); } >&2 ||
    { echo "compare-nat.sh: could not install ${need_pkgs[*]} with apt-get; install them and retry" >&2; exit 1; }
  for t in iperf3 iptables iptables-restore ping python3 ip timeout; do
    command -v $t >/dev/null 2>&1 || { echo "compare-nat.sh: '$t' still missing after apt-get" >&2; exit 1; }
  done
fi

# ---- names, temp dir, cleanup ----------------------------------------------------------------------
P=cnat$$                                  # unique prefix for every namespace this run creates
KH=${P}kh; K1=${P}k1; KO=${P}ko           # kernel side: host (bridge, NAT), container, outside
BH=${P}bh; BO=${P}bo; B1=$P-c1; B2=$P-c2  # berth side: berthd's host netns, outside; containers as berth names them
BNET=${P}net
TMP=$(mktemp -d /tmp/berth-compare-nat.XXXXXX)
SOCK=$TMP/s.sock
BERTHD_PID=""; JAR_BUILT=""; BG_PID=""
cp "$HERE/connrate.py" "$TMP/connrate.py" || { echo "compare-nat.sh: $HERE/connrate.py missing" >&2; exit 1; }
CONNRATE=$TMP/connrate.py


. "$ROOT/benchmarks/e2e/lib.sh"   # ns_exists, kill_ns_pids, berth, cpu_ticks_ns, run_bg, berth_fail

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # load tools first (iperf3, the connection-rate processes) in the container and outside namespaces
  for n in $K1 $KO $B1 $B2 $BO; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do
      case "$(cat /proc/$pid/comm 2>/dev/null)" in iperf3|python3|ping) kill "$pid" 2>/dev/null ;; esac
    done
  done
  [ -z "$BG_PID" ] || kill "$BG_PID" 2>/dev/null
  # let berth undo what it made while berthd still runs
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null && [ -S "$SOCK" ]; then
    timeout 30 env BERTH_SOCKET="$SOCK" "$BIN/berth" rm -f "$B1" "$B2" >/dev/null 2>&1
    timeout 10 env BERTH_SOCKET="$SOCK" "$BIN/berth" network rm "$BNET" >/dev/null 2>&1
  fi
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    kill -TERM "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$BERTHD_PID" 2>/dev/null && { echo "compare-nat.sh: berthd ignored SIGTERM for 5 s, killing it" >&2; kill -9 "$BERTHD_PID" 2>/dev/null; }
    wait "$BERTHD_PID" 2>/dev/null
  fi
  for n in $K1 $KO $KH $B1 $B2 $BO $BH; do
    kill_ns_pids "$n"
    ns_exists "$n" && ip netns del "$n" 2>/dev/null
  done
  [ -n "$LOG_COPY" ] && [ -f "$TMP/berthd.log" ] && cp "$TMP/berthd.log" "$LOG_COPY" 2>/dev/null
  rm -rf "$TMP"
  local left
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P(k|b|-c)" || true)
  [ -z "$left" ] || { echo "compare-nat.sh: WARNING: namespaces left behind: $left" >&2; rc=1; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- measurements (shared by both sides) ------------------------------------------------------------
# each prints its figure on stdout and fails (with a message on stderr) when it cannot measure
wait_listen() {  # $1 ns, $2 port
  for _ in $(seq 50); do ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0; sleep 0.1; done
  echo "nothing listens on port $2 in $1" >&2; return 1
}
iperf_gbps() {  # $1 client ns, $2 server ns, $3 ip to connect to, $4 port to connect to, $5 server's port
  local c=$1 s=$2 ip=$3 port=$4 sport=$5 out=$TMP/iperf.$1.json
  ip netns exec "$s" iperf3 -s -p "$sport" -1 >/dev/null 2>&1 &
  local spid=$!
  wait_listen "$s" "$sport" || { kill $spid 2>/dev/null; return 1; }
  timeout $((T + 30)) ip netns exec "$c" iperf3 -c "$ip" -p "$port" -t "$T" -J > "$out" 2>&1
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  python3 - "$out" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    sys.stderr.write("iperf3: no JSON (%s): %s\n" % (e, open(sys.argv[1]).read()[:300])); sys.exit(1)
if "error" in d:
    sys.stderr.write("iperf3: %s\n" % d["error"]); sys.exit(1)
e = d["end"]; s = e.get("sum_received") or e["sum"]
print("%.3f" % (s["bits_per_second"] / 1e9))
PY
}

udp_dgrams() {  # $1 client ns, $2 server ns, $3 ip, $4 port: 3000-byte UDP datagrams/s received (iperf3 -u)
  local c=$1 s=$2 ip=$3 port=$4 out=$TMP/iperf-udp.$1.json
  ip netns exec "$s" iperf3 -s -p "$port" -1 >/dev/null 2>&1 &
  local spid=$!
  for _ in $(seq 50); do ip netns exec "$s" ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && break; sleep 0.1; done
  timeout $((T + 30)) ip netns exec "$c" iperf3 -u -c "$ip" -p "$port" -l 3000 -b 4G -t "$T" -J > "$out" 2>&1
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  python3 - "$out" <<'PY'
import json, sys
try:
    text = open(sys.argv[1]).read()
    d = json.loads(text[text.index("{"):])  # iperf3 prints its fragmentation warning before the JSON
except Exception as e:
    sys.stderr.write("iperf3 -u: no JSON (%s): %s\n" % (e, open(sys.argv[1]).read()[:300])); sys.exit(1)
if "error" in d:
    sys.stderr.write("iperf3 -u: %s\n" % d["error"]); sys.exit(1)
s = d["end"].get("sum_received") or d["end"]["sum"]
got = s.get("packets", 0) - s.get("lost_packets", 0)
print("%.0f" % (got / s["seconds"]))
PY
}

conn_rate() {  # $1 outside ns, $2 source ip -> "rate count elapsed errors" (a 1 s warm-up first, other ports)
  local o=$1 src=$2 w
  w=$(ip netns exec "$o" timeout 30 python3 "$CONNRATE" client 10.99.0.1 12211 "$src" "$CONN_PROCS" 1 1024 4999) ||
    { echo "connrate warm-up failed: $w" >&2; return 1; }
  echo "  warm-up from $src: $w (rate count elapsed errors)" >&2
  ip netns exec "$o" timeout $((T + 60)) python3 "$CONNRATE" client 10.99.0.1 12211 "$src" "$CONN_PROCS" "$T" 5000 65535
}

HZ=$(getconf CLK_TCK)


declare -A R   # R[side.metric] = value
window() {  # $1 side, $2 metric, $3 ns whose CPU time to count (or ""), command... -> R[side.metric]
  local side=$1 key=$2 cpu_ns=$3 x0 v; shift 3
  [ -z "$cpu_ns" ] || x0=$(cpu_ticks_ns "$cpu_ns")
  if run_bg "$@"; then v=$(<"$TMP/result"); R[$side.$key]=$v; else R[$side.err]+="$key failed; "; fi
  [ -z "$cpu_ns" ] || R[$side.cpu_$key]=$(( $(cpu_ticks_ns "$cpu_ns") - x0 ))
}

# $1 side, $2 container ns, $3 outside ns, $4 function publishing NPORTS more ports, $5 ns whose CPU to count
measure() {
  local side=$1 c=$2 o=$3 more=$4 cpu_ns=${5:-} spid v t0 t1
  ip netns exec "$c" ping -c 3 -i 0.2 -W 2 -q 10.99.0.2 >/dev/null 2>&1     # ARP, routes, JIT
  echo "[$side] TCP through SNAT c1 -> outside 10.99.0.2:5201, ${T} s ..." >&2
  window "$side" snat "$cpu_ns" iperf_gbps "$c" "$o" 10.99.0.2 5201 5201
  echo "[$side] TCP through DNAT outside -> 10.99.0.1:12211 -> c1:8080, ${T} s ..." >&2
  window "$side" dnat "$cpu_ns" iperf_gbps "$o" "$c" 10.99.0.1 12211 8080
  echo "[$side] 3000-byte UDP datagrams through SNAT c1 -> outside 10.99.0.2:5202 (fragmented), ${T} s ..." >&2
  window "$side" snatfrag "$cpu_ns" udp_dgrams "$c" "$o" 10.99.0.2 5202
  ip netns exec "$c" python3 "$CONNRATE" serve 8080 2 >/dev/null 2>&1 &
  spid=$!
  if wait_listen "$c" 8080; then
    echo "[$side] new connections/s, 1 published port, ${T} s ..." >&2
    window "$side" conn1 "$cpu_ns" conn_rate "$o" 10.99.0.3
    echo "[$side] publishing $NPORTS more ports ..." >&2
    t0=$(date +%s.%N)
    if "$more"; then
      t1=$(date +%s.%N); R[$side.publish_s]=$(python3 -c "print('%.2f' % ($t1-$t0))")
      echo "[$side] new connections/s, $((NPORTS + 1)) published ports, ${T} s ..." >&2
      window "$side" connN "$cpu_ns" conn_rate "$o" 10.99.0.4
    else
      R[$side.err]+="publishing $NPORTS ports failed; "
    fi
  else
    R[$side.err]+="connection-rate server did not start; "
  fi
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  for pid in $(ip netns pids "$c" 2>/dev/null); do
    [ "$(cat /proc/$pid/comm 2>/dev/null)" = python3 ] && kill "$pid" 2>/dev/null
  done
  return 0
}

outside_ns() {  # $1 ns name: the outside host, eth0 joined to $2 (a veth end in another ns) by the caller
  ip -n "$1" addr add 10.99.0.2/24 dev eth0 && ip -n "$1" addr add 10.99.0.3/24 dev eth0 &&
    ip -n "$1" addr add 10.99.0.4/24 dev eth0 && ip -n "$1" link set eth0 up &&
    ip netns exec "$1" sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
}

# ---- kernel side ------------------------------------------------------------------------------------
kernel_more_ports() {  # NPORTS DNAT rules in PREROUTING before the measured one
  local i rules=$TMP/rules
  {
    echo "*nat"
    echo "-F PREROUTING"
    for ((i = 0; i < NPORTS; i++)); do
      echo "-A PREROUTING -p tcp --dport $((20000 + i)) -j DNAT --to-destination 192.168.100.3:$((20000 + i))"
    done
    echo "-A PREROUTING -p tcp --dport 12211 -j DNAT --to-destination 192.168.100.2:8080"
    echo "COMMIT"
  } > "$rules"
  ip netns exec $KH iptables-restore --noflush < "$rules" || return 1
  local n
  n=$(ip netns exec $KH iptables -t nat -S PREROUTING | grep -c -- '-j DNAT')
  [ "$n" = $((NPORTS + 1)) ] || { echo "kernel: $n DNAT rules in PREROUTING, expected $((NPORTS + 1))" >&2; return 1; }
  # start the second phase with an empty table, as berth's side does: the figure is about the rules
  ip netns exec $KH conntrack -F >/dev/null 2>&1
}
kernel_side() {
  echo "[kernel] building bridge + iptables NAT topology ($KH, $K1, $KO) ..." >&2
  local n
  for n in $KH $K1 $KO; do ip netns add "$n" && ip -n "$n" link set lo up || return 1; done
  ip -n $KH link add br0 type bridge && ip -n $KH addr add 192.168.100.1/24 dev br0 &&
    ip -n $KH link set br0 up || return 1
  ip -n $KH link add "v$K1" type veth peer name eth0 netns "$K1" && ip -n $KH link set "v$K1" master br0 up &&
    ip -n $K1 addr add 192.168.100.2/24 dev eth0 && ip -n $K1 link set eth0 up &&
    ip -n $K1 route add default via 192.168.100.1 || return 1
  ip -n $KH link add up0 type veth peer name eth0 netns $KO && ip -n $KH addr add 10.99.0.1/24 dev up0 &&
    ip -n $KH link set up0 up && outside_ns $KO || return 1
  ip netns exec $KH sysctl -qw net.ipv4.ip_forward=1 || return 1
  ip netns exec $KH iptables -t nat -A POSTROUTING -s 192.168.100.0/24 ! -o br0 -j MASQUERADE &&
    ip netns exec $KH iptables -t nat -A PREROUTING -p tcp --dport 12211 -j DNAT --to-destination 192.168.100.2:8080 ||
    return 1
  for _ in $(seq 30); do ip netns exec $K1 ping -c1 -W1 -q 10.99.0.2 >/dev/null 2>&1 && break; done
  measure kernel $K1 $KO kernel_more_ports
  R[kernel.conntrack]=$(ip netns exec $KH cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null)
  for n in $K1 $KO $KH; do kill_ns_pids "$n"; ip netns del "$n" 2>/dev/null; done   # idle during berth's turn
}

# ---- berth side -------------------------------------------------------------------------------------
berth_more_ports() {  # a second container publishing NPORTS ports on the uplink address (DNAT only, no proxy)
  local last=$((20000 + NPORTS - 1)) out
  out=$(berth run -d --name "$B2" --network $BNET -p "10.99.0.1:20000-$last:20000-$last" 2>&1) ||
    { echo "berth run $B2 -p 10.99.0.1:20000-$last:20000-$last: $out" >&2; return 1; }
  local n
  n=$(berth port "$B2" 2>/dev/null | grep -c -- '->')
  [ "$n" = "$NPORTS" ] || { echo "berth port $B2 lists $n mappings, expected $NPORTS" >&2; return 1; }
  # start the second phase with an empty table: the first phase's TIME_WAIT connections would otherwise
  # slow conntrack lookups, and the figure is about the published ports
  berth conntrack flush >/dev/null
}
berth_side() {
  [ -x "$BIN/berthd" ] && [ -x "$BIN/berth" ] ||
    { berth_fail "$BIN/berthd or $BIN/berth missing (build: mvn -q -B -pl control package -DskipTests)"; return 1; }
  if [ -z "${BERTH_BIN:-}" ]; then
    # run a private copy of the launchers and control/target/berth.jar (the launchers find the jar next to
    # themselves): a rebuild of the working tree during the run must not pull the jar from under berthd
    local jar=$ROOT/control/target/berth.jar st=$TMP/root ok=""
    [ -f "$jar" ] || { berth_fail "$jar missing (build: mvn -q -B -pl control package -DskipTests)"; return 1; }
    mkdir -p "$st/bin" "$st/control/target" && cp -p "$BIN/berthd" "$BIN/berth" "$st/bin/" || { berth_fail "cannot stage launchers"; return 1; }
    for _ in 1 2 3 4 5 6 7 8 9 10; do   # a jar being rewritten right now fails the zip check: wait and copy again
      cp -p "$jar" "$st/control/target/berth.jar" 2>/dev/null &&
        python3 -c 'import sys,zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)' \
          "$st/control/target/berth.jar" 2>/dev/null && { ok=1; break; }
      sleep 2
    done
    [ -n "$ok" ] || { berth_fail "$jar is not a readable jar (a build in progress?)"; return 1; }
    BIN=$st/bin
    JAR_BUILT=$(date -u -r "$st/control/target/berth.jar" +%Y-%m-%dT%H:%M:%SZ)
  fi
  echo "[berth] building uplink + outside ($BH, $BO), starting berthd ..." >&2
  local n
  for n in $BH $BO; do ip netns add "$n" && ip -n "$n" link set lo up || { berth_fail "cannot create netns $n"; return 1; }; done
  ip -n $BH link add up0 type veth peer name eth0 netns $BO && ip -n $BH link set up0 up && outside_ns $BO ||
    { berth_fail "cannot build the uplink veth"; return 1; }
  # shellcheck disable=SC2086  # BERTHD_ARGS is a list of options on purpose
  ip netns exec $BH "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" --uplink up0 --uplink-ip 10.99.0.1/24 \
    $BERTHD_ARGS >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 600); do
    [ -S "$SOCK" ] && break
    if ! kill -0 $BERTHD_PID 2>/dev/null; then
      wait $BERTHD_PID; local st=$?; BERTHD_PID=""
      berth_fail "berthd exited (status $st) before opening $SOCK"; return 1
    fi
    sleep 0.1
  done
  [ -S "$SOCK" ] || { berth_fail "berthd did not open $SOCK within 60 s"; return 1; }
  local out
  out=$(berth network create --subnet 192.168.100.0/24 --gateway 192.168.100.1 $BNET 2>&1) ||
    { berth_fail "berth network create: $out"; return 1; }
  out=$(berth run -d --name "$B1" --network $BNET -p 12211:8080 2>&1) || { berth_fail "berth run $B1 -p 12211:8080: $out"; return 1; }
  ns_exists "$B1" || { berth_fail "berth run $B1: no netns named $B1"; return 1; }
  local ok=""
  for _ in $(seq 10); do ip netns exec $B1 ping -c1 -W1 -q 10.99.0.2 >/dev/null 2>&1 && { ok=1; break; }; done
  [ -n "$ok" ] || { berth_fail "no connectivity: ping $B1 -> 10.99.0.2 (outside, through SNAT) fails: $(ip netns exec $B1 ping -c2 -W1 10.99.0.2 2>&1 | tail -2 | tr '\n' ' ')"; return 1; }
  local c0 c1 w0 w1
  c0=$(cpu_ticks_ns $BH); w0=$(date +%s.%N)
  measure berth $B1 $BO berth_more_ports $BH
  c1=$(cpu_ticks_ns $BH); w1=$(date +%s.%N)
  R[berth.cpu]=$(python3 -c "print('%.2f' % (($c1-$c0)/$HZ))")
  R[berth.wall]=$(python3 -c "print('%.2f' % ($w1-$w0))")
  R[berth.conntrack]=$(berth conntrack ls 2>/dev/null | wc -l)
  kill -0 $BERTHD_PID 2>/dev/null || berth_fail "berthd died during the measurements"
  [ -z "${R[berth.err]:-}" ] || return 1
  return 0
}

# ---- run --------------------------------------------------------------------------------------------
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)   # other load on the machine skews every figure: print it
[ "$ONLY" = berth ] || kernel_side || R[kernel.err]+="topology setup failed; "
if [ "$ONLY" != kernel ]; then
  if ! berth_side; then
    echo "---- berthd output (last 40 lines) ----" >&2
    tail -40 "$TMP/berthd.log" >&2 2>/dev/null
    if [ -S "$SOCK" ]; then
      echo "---- berth counters ----" >&2
      timeout 10 env BERTH_SOCKET="$SOCK" "$BIN/berth" counters >&2 2>&1
    fi
    echo "---------------------------------------" >&2
  fi
fi
END=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

export CMP_BERTHD_ARGS="$BERTHD_ARGS" CMP_LOAD="$LOAD" CMP_LOAD_END="$LOAD_END" CMP_HZ=$HZ CMP_T=$T CMP_START=$START \
  CMP_END=$END CMP_JSON=$JSON_OUT CMP_NPORTS=$NPORTS CMP_PROCS=$CONN_PROCS
for k in snat dnat snatfrag conn1 connN err cpu wall cpu_snat cpu_dnat cpu_snatfrag cpu_conn1 cpu_connN publish_s conntrack; do
  export "CMP_kernel_$k=${R[kernel.$k]:-}" "CMP_berth_$k=${R[berth.$k]:-}"
done
export CMP_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
export CMP_JAR=${JAR_BUILT:-$(date -u -r "$ROOT/control/target/berth.jar" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo missing)}
export CMP_IPTABLES=$(iptables -V 2>/dev/null)
python3 - <<'PY'
import json, os, platform, re
E = os.environ
N = int(E["CMP_NPORTS"]); T = int(E["CMP_T"]); hz = float(E["CMP_HZ"])
def raw(side, k): return E.get("CMP_%s_%s" % (side, k), "")
def first(side, k):
    v = raw(side, k).split()
    try: return float(v[0]) if v else None
    except ValueError: return None
res = {"kernel": {}, "berth": {}, "ratio": {}}
rows = [("snat", "TCP through SNAT c1->outside (iperf3)", "Gbps", ">= 0.3x"),
        ("dnat", "TCP through DNAT outside->12211->c1:8080", "Gbps", ">= 0.3x"),
        ("snatfrag", "3000-byte UDP through SNAT, fragmented (iperf3 -u)", "dgram/s", ""),
        ("conn1", "new TCP conn/s, 1 published port", "conn/s", ">= 0.5x"),
        ("connN", "new TCP conn/s, %d published ports" % (N + 1), "conn/s", "")]
table = []
def fmt(v, unit): return "-" if v is None else (("%.0f %s" if unit in ("conn/s", "dgram/s") else "%.3f %s") % (v, unit))
for key, label, unit, target in rows:
    k, b = first("kernel", key), first("berth", key)
    r = b / k if (k and b is not None) else None
    res["kernel"][key] = k; res["berth"][key] = b; res["ratio"][key] = None if r is None else round(r, 3)
    table.append((label, fmt(k, unit), fmt(b, unit), "-" if r is None else "%.2fx" % r, target))
    if key.startswith("conn"):
        for side in ("kernel", "berth"):
            f = raw(side, key).split()
            if len(f) == 4:
                res[side][key + "_detail"] = {"count": int(f[1]), "elapsed_s": float(f[2]), "errors": int(f[3])}
flat = {}
for side in ("kernel", "berth"):
    a, b = res[side]["conn1"], res[side]["connN"]
    flat[side] = None if not (a and b is not None) else b / a
    res[side]["flatness"] = None if flat[side] is None else round(flat[side], 3)
table.append(("  flatness: conn/s %d ports / 1 port" % (N + 1),
              "-" if flat["kernel"] is None else "%.2f" % flat["kernel"],
              "-" if flat["berth"] is None else "%.2f" % flat["berth"], "-", "berth within 0.90-1.10"))
det = lambda s, k: res[s].get(k + "_detail")
for key in ("conn1", "connN"):
    cells = []
    for side in ("kernel", "berth"):
        d = det(side, key)
        cells.append("-" if not d else "%d in %.1f s, %d err" % (d["count"], d["elapsed_s"], d["errors"]))
    table.append(("  (%s: connections, time, errors)" % key, cells[0], cells[1], "-", ""))
for side in ("kernel", "berth"):
    p = raw(side, "publish_s")
    res[side]["publish_%d_ports_s" % N] = float(p) if p else None
table.append(("time to publish %d more ports" % N, (raw("kernel", "publish_s") or "-") + " s",
              (raw("berth", "publish_s") or "-") + " s", "-", ""))
for side in ("kernel", "berth"):
    res[side]["conntrack_entries_end"] = first(side, "conntrack")
table.append(("conntrack entries at the end", raw("kernel", "conntrack") or "-", raw("berth", "conntrack") or "-", "-", ""))
cpu, wall = first("berth", "cpu"), first("berth", "wall")
res["berth"]["berthd_cpu_s"] = cpu; res["berth"]["measure_wall_s"] = wall
if cpu is not None:
    table.append(("berthd CPU time while measuring", "-", "%.2f s in %.1f s" % (cpu, wall), "-", ""))
    for key, label in (("snat", "SNAT iperf3"), ("dnat", "DNAT iperf3"), ("snatfrag", "fragmented UDP"), ("conn1", "conn/s 1 port"), ("connN", "conn/s N ports")):
        t = first("berth", "cpu_" + key)
        if t is not None:
            res["berth"]["berthd_cpu_s_" + key] = round(t / hz, 2)
            table.append(("  of which during the %s window" % label, "-", "%.2f s" % (t / hz), "-", ""))
w = [max(len(r[i]) for r in table + [("metric", "kernel", "berth", "berth/kernel", "target")]) for i in range(5)]
line = lambda r: " | ".join(r[i].ljust(w[i]) for i in range(5)).rstrip()
print()
print(line(("metric", "kernel", "berth", "berth/kernel", "target")))
print("-+-".join("-" * w[i] for i in range(5)))
for r in table: print(line(r))
print("targets (issue 3, berth/kernel): TCP through SNAT and DNAT >= 0.3x; conn/s >= 0.5x with 1 port, "
      "berth flat within 10%% from 1 to %d ports" % (N + 1))
for side in ("kernel", "berth"):
    if raw(side, "err"):
        print("%s side errors: %s" % (side, raw(side, "err").strip("; ")))
cpu_model = ""
try:
    cpu_model = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
except Exception: pass
machine = {"nproc": os.cpu_count(), "cpu": cpu_model, "kernel": platform.release(), "iptables": E["CMP_IPTABLES"]}
print("%d s windows, %s connection-rate clients; %s, %d CPUs, Linux %s, %s; load average before %s, after %s; "
      "commit %s, berth.jar built %s%s; %s .. %s"
      % (T, E["CMP_PROCS"], cpu_model, os.cpu_count(), platform.release(), E["CMP_IPTABLES"], E["CMP_LOAD"],
         E["CMP_LOAD_END"], E["CMP_COMMIT"], E["CMP_JAR"],
         (", berthd " + E["CMP_BERTHD_ARGS"]) if E["CMP_BERTHD_ARGS"] else "", E["CMP_START"], E["CMP_END"]))
if E.get("CMP_JSON"):
    doc = {"date": E["CMP_START"], "end": E["CMP_END"], "seconds": T, "conn_procs": int(E["CMP_PROCS"]),
           "other_ports": N, "commit": E["CMP_COMMIT"], "berth_jar_built": E["CMP_JAR"],
           "berthd_args": E["CMP_BERTHD_ARGS"], "machine": machine, "loadavg_before": E["CMP_LOAD"],
           "loadavg_after": E["CMP_LOAD_END"], "targets": {"snat": 0.3, "dnat": 0.3, "conn1": 0.5, "flatness": [0.9, 1.1]},
           **res, "errors": {s: raw(s, "err").strip("; ") or None for s in ("kernel", "berth")}}
    with open(E["CMP_JSON"], "w") as f:
        json.dump(doc, f, indent=2); f.write("\n")
PY
[ -z "${R[berth.err]:-}" ] || exit 2
[ -z "${R[kernel.err]:-}" ] || exit 2
exit 0
