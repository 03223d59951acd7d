#!/usr/bin/env bash
# berth vs. the kernel's IPv6 forwarding and ip6tables MASQUERADE, end to end, in one run (issue 27).
#
# Builds the same topology twice, inside private network namespaces only:
#   kernel: a private "host" namespace with a Linux bridge br0 (fd00:64::1/64), container c1 (fd00:64::2) on a
#           veth into it, IPv6 forwarding on, and an "outside" namespace (fd00:99::2/64) on a veth whose host end
#           holds fd00:99::1/64; ip6tables -t nat POSTROUTING -s fd00:64::/64 ! -o br0 -j MASQUERADE, as Docker's
#           ip6tables does for a unique-local network;
#   berth:  bin/berthd in a private host namespace with --uplink up0 --uplink-ip 10.99.0.1/24
#           --uplink-ip6 fd00:99::1/64, up0 a veth end with no kernel address whose peer is the outside's eth0; a
#           network --ipv6 with fd00:64::/64 (masqueraded: unique-local) and container c1 made with `berth run -d`.
# Measures on each side, through NAT66 from c1 to the outside fd00:99::2:
#   TCP          iperf3 -6 c1 -> outside (Gbps);
#   small UDP    iperf3 -6 -u -l 16 -b 0 c1 -> outside: 16-byte datagrams (78-byte frames) received per second;
#   ping         ping -6 average RTT c1 -> outside.
# Prints a table metric | kernel | berth | berth/kernel and berthd's CPU time.
#
# Usage: benchmarks/e2e/compare-ipv6.sh [seconds] [--only kernel|berth] [--berthd-args "ARGS"]
#   seconds            length of each iperf3 window (default 5)
#   --only SIDE        measure one side only (for development; the ratio column is then empty)
#   --berthd-args ARGS more options for berthd, split on blanks
# Run as root from anywhere; runs a private copy of this repository's bin/berthd, bin/berth and
# control/target/berth.jar. Leaves no namespace, process or temp file behind.
# Exit status: 0 if both sides measured, 2 if a side failed (the other side is still printed), 1 on a usage
# or setup error.
set -u
set -o pipefail

T=5; ONLY=""; BERTHD_ARGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY=${2:?--only needs kernel or berth}; shift 2 ;;
    --berthd-args) BERTHD_ARGS=${2?--berthd-args needs a string}; shift 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) T=$1; shift ;;
    *) echo "compare-ipv6.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
case "$T" in ''|*[!0-9]*|0) echo "compare-ipv6.sh: seconds must be a positive integer, got '$T'" >&2; exit 1 ;; esac
case "$ONLY" in ''|kernel|berth) ;; *) echo "compare-ipv6.sh: --only takes kernel or berth, got '$ONLY'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "compare-ipv6.sh: must run as root (network namespaces, TAP devices, ip6tables)" >&2; exit 1; }
for t in iperf3 ip6tables ping python3 ip timeout; do
  command -v $t >/dev/null 2>&1 || { echo "compare-ipv6.sh: '$t' missing (.ci/install-tools installs it)" >&2; exit 1; }
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BERTH_BIN:-$ROOT/bin}
P=cv6$$
KH=${P}kh; K1=${P}k1; KO=${P}ko
BH=${P}bh; BO=${P}bo; B1=$P-c1
BNET=${P}net
TMP=$(mktemp -d /tmp/berth-compare-ipv6.XXXXXX)
SOCK=$TMP/s.sock
BERTHD_PID=""; BG_PID=""
. "$ROOT/benchmarks/e2e/lib.sh"   # ns_exists, kill_ns_pids, berth, cpu_ticks_ns, run_bg, berth_fail

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$BG_PID" ] || kill "$BG_PID" 2>/dev/null
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null && [ -S "$SOCK" ]; then
    timeout 30 env BERTH_SOCKET="$SOCK" "$BIN/berth" rm -f "$B1" >/dev/null 2>&1
    timeout 10 env BERTH_SOCKET="$SOCK" "$BIN/berth" network rm "$BNET" >/dev/null 2>&1
  fi
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    kill -TERM "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$BERTHD_PID" 2>/dev/null; wait "$BERTHD_PID" 2>/dev/null
  fi
  for n in $K1 $KO $KH $B1 $BO $BH; do
    kill_ns_pids "$n"
    ns_exists "$n" && ip netns del "$n" 2>/dev/null
  done
  rm -rf "$TMP"
  local left
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P(k|b|-c)" || true)
  [ -z "$left" ] || { echo "compare-ipv6.sh: WARNING: namespaces left behind: $left" >&2; rc=1; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_listen() {  # $1 ns, $2 port, $3 t|u
  for _ in $(seq 50); do ip netns exec "$1" ss -Hl"$3"n "sport = :$2" 2>/dev/null | grep -q . && return 0; sleep 0.1; done
  echo "nothing listens on port $2 in $1" >&2; return 1
}
iperf6() {  # $1 client ns, $2 server ns, $3 mode tcp|udp -> Gbps (tcp) or datagrams/s received (udp)
  local c=$1 s=$2 mode=$3 out=$TMP/iperf.$1.$3.json port=5201 args=()
  [ "$mode" = udp ] && { port=5202; args=(-u -l 16 -b 0); }
  ip netns exec "$s" iperf3 -s -p $port -1 >/dev/null 2>&1 &
  local spid=$!
  wait_listen "$s" $port t || { kill $spid 2>/dev/null; return 1; }
  timeout $((T + 30)) ip netns exec "$c" iperf3 -6 -c fd00:99::2 -p $port -t "$T" "${args[@]}" -J > "$out" 2>&1
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  python3 - "$out" "$mode" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text[text.index("{"):])
except Exception as e:
    sys.stderr.write("iperf3: no JSON (%s): %s\n" % (e, text[:300])); sys.exit(1)
if "error" in d:
    sys.stderr.write("iperf3: %s\n" % d["error"]); sys.exit(1)
s = d["end"].get("sum_received") or d["end"]["sum"]
if sys.argv[2] == "udp":
    print("%.0f" % ((s.get("packets", 0) - s.get("lost_packets", 0)) / s["seconds"]))
else:
    print("%.3f" % (s["bits_per_second"] / 1e9))
PY
}
ping6_avg() {  # $1 ns -> average RTT in ms
  ip netns exec "$1" ping -6 -c 20 -i 0.05 -q fd00:99::2 | awk -F/ '/^rtt/ {print $5}' | grep . || return 1
}

declare -A R
window() {  # $1 side, $2 metric, command... -> R[side.metric]
  local side=$1 key=$2; shift 2
  if run_bg "$@"; then R[$side.$key]=$(<"$TMP/result"); else R[$side.err]+="$key failed; "; fi
}
measure() {  # $1 side, $2 container ns, $3 outside ns
  ip netns exec "$2" ping -6 -c 3 -i 0.2 -W 2 -q fd00:99::2 >/dev/null 2>&1
  echo "[$1] TCP through NAT66 c1 -> [fd00:99::2]:5201, ${T} s ..." >&2
  window "$1" tcp iperf6 "$2" "$3" tcp
  echo "[$1] 16-byte UDP datagrams through NAT66, ${T} s ..." >&2
  window "$1" udp iperf6 "$2" "$3" udp
  window "$1" ping ping6_avg "$2"
}

kernel_side() {
  echo "[kernel] building bridge + ip6tables MASQUERADE ($KH, $K1, $KO) ..." >&2
  local n
  for n in $KH $K1 $KO; do ip netns add "$n" && ip -n "$n" link set lo up || return 1; done
  ip -n $KH link add br0 type bridge && ip -n $KH addr add fd00:64::1/64 dev br0 nodad && ip -n $KH link set br0 up || return 1
  ip -n $KH link add "v$K1" type veth peer name eth0 netns "$K1" && ip -n $KH link set "v$K1" master br0 up &&
    ip -n $K1 addr add fd00:64::2/64 dev eth0 nodad && ip -n $K1 link set eth0 up &&
    ip -n $K1 -6 route add default via fd00:64::1 || return 1
  ip -n $KH link add up0 type veth peer name eth0 netns $KO && ip -n $KH addr add fd00:99::1/64 dev up0 nodad &&
    ip -n $KH link set up0 up && ip -n $KO addr add fd00:99::2/64 dev eth0 nodad && ip -n $KO link set eth0 up || return 1
  ip netns exec $KH sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
  ip netns exec $KH ip6tables -t nat -A POSTROUTING -s fd00:64::/64 ! -o br0 -j MASQUERADE || return 1
  for _ in $(seq 30); do ip netns exec $K1 ping -6 -c1 -W1 -q fd00:99::2 >/dev/null 2>&1 && break; done
  measure kernel $K1 $KO
  for n in $K1 $KO $KH; do kill_ns_pids "$n"; ip netns del "$n" 2>/dev/null; done   # idle during berth's turn
}

berth_side() {
  local jar=$ROOT/control/target/berth.jar st=$TMP/root
  [ -f "$jar" ] || { berth_fail "$jar missing (build: mvn -q -B -pl control -am package -DskipTests)"; return 1; }
  mkdir -p "$st/bin" "$st/control/target" && cp -p "$BIN/berthd" "$BIN/berth" "$st/bin/" &&
    cp -p "$jar" "$st/control/target/berth.jar" || { berth_fail "cannot stage the launchers and jar"; return 1; }
  BIN=$st/bin
  echo "[berth] building uplink + outside ($BH, $BO), starting berthd ..." >&2
  local n
  for n in $BH $BO; do ip netns add "$n" && ip -n "$n" link set lo up || { berth_fail "cannot create netns $n"; return 1; }; done
  ip -n $BH link add up0 type veth peer name eth0 netns $BO && ip -n $BH link set up0 up &&
    ip -n $BO addr add fd00:99::2/64 dev eth0 nodad && ip -n $BO link set eth0 up ||
    { berth_fail "cannot build the uplink veth"; return 1; }
  # shellcheck disable=SC2086  # BERTHD_ARGS is a list of options on purpose
  ip netns exec $BH "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" --uplink up0 --uplink-ip 10.99.0.1/24 \
    --uplink-ip6 fd00:99::1/64 $BERTHD_ARGS >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 600); do
    [ -S "$SOCK" ] && break
    kill -0 $BERTHD_PID 2>/dev/null || { BERTHD_PID=""; berth_fail "berthd exited before opening $SOCK"; return 1; }
    sleep 0.1
  done
  local out
  out=$(berth network create --ipv6 --subnet 192.168.100.0/24 --subnet fd00:64::/64 $BNET 2>&1) ||
    { berth_fail "berth network create: $out"; return 1; }
  out=$(berth run -d --name "$B1" --network $BNET 2>&1) || { berth_fail "berth run $B1: $out"; return 1; }
  local ok=""
  for _ in $(seq 10); do ip netns exec $B1 ping -6 -c1 -W1 -q fd00:99::2 >/dev/null 2>&1 && { ok=1; break; }; done
  [ -n "$ok" ] || { berth_fail "no IPv6 from $B1 to the outside"; return 1; }
  local c0 c1
  c0=$(cpu_ticks_ns $BH)
  measure berth $B1 $BO
  c1=$(cpu_ticks_ns $BH)
  R[berth.cpu]=$(python3 -c "print('%.2f' % (($c1-$c0)/$(getconf CLK_TCK)))")
  [ -z "${R[berth.err]:-}" ]
}

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$ONLY" = berth ] || kernel_side || R[kernel.err]+="topology setup failed; "
if [ "$ONLY" != kernel ] && ! berth_side; then
  echo "---- berthd output (last 30 lines) ----" >&2; tail -30 "$TMP/berthd.log" >&2 2>/dev/null
  [ -S "$SOCK" ] && timeout 10 env BERTH_SOCKET="$SOCK" "$BIN/berth" counters >&2 2>&1
fi
export CMP_T=$T CMP_START=$START CMP_LOAD="$LOAD" CMP_LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
export CMP_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
for k in tcp udp ping err cpu; do export "CMP_kernel_$k=${R[kernel.$k]:-}" "CMP_berth_$k=${R[berth.$k]:-}"; done
python3 - <<'PY'
import os
E = os.environ
def v(side, k):
    try: return float(E.get("CMP_%s_%s" % (side, k), "").split()[0])
    except (ValueError, IndexError): return None
rows = [("tcp", "TCP through NAT66 c1 -> outside (iperf3 -6)", "Gbps", "%.3f"),
        ("udp", "16-byte UDP through NAT66 (78-byte frames)", "dgram/s", "%.0f"),
        ("ping", "ping -6 c1 -> outside, average", "ms", "%.3f")]
table = [("metric", "kernel", "berth", "berth/kernel")]
for key, label, unit, f in rows:
    k, b = v("kernel", key), v("berth", key)
    cell = lambda x: "-" if x is None else (f % x) + " " + unit
    table.append((label, cell(k), cell(b), "-" if not (k and b is not None) else "%.2fx" % (b / k)))
if v("berth", "cpu") is not None:
    table.append(("berthd CPU time while measuring", "-", "%.2f s" % v("berth", "cpu"), "-"))
w = [max(len(r[i]) for r in table) for i in range(4)]
for n, r in enumerate(table):
    print(" | ".join(r[i].ljust(w[i]) for i in range(4)).rstrip())
    if n == 0: print("-+-".join("-" * w[i] for i in range(4)))
for side in ("kernel", "berth"):
    if E.get("CMP_%s_err" % side): print("%s side errors: %s" % (side, E["CMP_%s_err" % side].strip("; ")))
print("%s s windows; load average before %s, after %s; commit %s; %s" % (E["CMP_T"], E["CMP_LOAD"],
      E["CMP_LOAD_END"], E["CMP_COMMIT"], E["CMP_START"]))
PY
[ -z "${R[berth.err]:-}" ] && [ -z "${R[kernel.err]:-}" ] || exit 2
exit 0
