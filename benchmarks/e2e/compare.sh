#!/usr/bin/env bash
# berth vs. the kernel bridge, end to end, in one run.
#
# Builds the same two-container topology twice, inside private network namespaces only:
#   kernel: a Linux bridge (gateway 192.168.100.1/24) in a private "host" namespace, two container
#           namespaces on veth pairs (192.168.100.2 and .3), as shared/bench/kernel-baseline.sh does;
#   berth:  bin/berthd running in a private host namespace, a network 192.168.100.0/24 created with
#           bin/berth, two containers made with `bin/berth run -d` (each a namespace with a TAP eth0
#           whose fd berthd holds).
# and measures on each: TCP throughput c2->c1 (iperf3), 64-byte frames delivered per second (trafgen on
# one core in c2, counted as rx packets on c1's eth0) and ping average RTT c2->c1. Prints a table
# metric | kernel | berth | berth/kernel, then the CPU each side cost: the machine's busy time (user, system,
# irq, softirq from /proc/stat) per GB of TCP and per 64-byte frame delivered, and berthd's own share. Beside the
# 64-byte rate it prints what trafgen sent and what c2's eth0 dropped (a TAP whose reader falls behind drops at its
# queue: offered load is the sum), beside ping's average its median, and the share of the CPUs' time the
# hypervisor stole during each side's measurements.
#
# Usage: benchmarks/e2e/compare.sh [seconds] [--json FILE] [--only kernel|berth] [--berthd-log FILE]
#                                  [--berthd-args "ARGS"]
#   seconds            length of each iperf3 and trafgen window (default 5)
#   --json FILE        also write the figures as JSON
#   --only SIDE        measure one side only (for development; the ratio column is then empty)
#   --berthd-log FILE  keep a copy of berthd's output (it is printed on failure anyway)
#   --berthd-args ARGS more options for berthd, split on blanks (e.g. "--spin-us 50")
# Run as root from anywhere; runs a private copy of this repository's bin/berthd, bin/berth and
# control/target/berth.jar (or the launchers in BERTH_BIN=DIR, as they are). Leaves no namespace, process
# or temp file behind.
# Exit status: 0 if both sides measured, 2 if the berth side failed (the kernel side is still printed),
# 1 on a usage or setup error.
set -u
set -o pipefail

T=5; JSON_OUT=""; ONLY=""; LOG_COPY=""; BERTHD_ARGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --json) JSON_OUT=${2:?--json needs a file}; shift 2 ;;
    --json=*) JSON_OUT=${1#--json=}; shift ;;
    --only) ONLY=${2:?--only needs kernel or berth}; shift 2 ;;
    --berthd-log) LOG_COPY=${2:?--berthd-log needs a file}; shift 2 ;;
    --berthd-args) BERTHD_ARGS=${2?--berthd-args needs a string}; shift 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) T=$1; shift ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
case "$T" in ''|*[!0-9]*|0) echo "compare.sh: seconds must be a positive integer, got '$T'" >&2; exit 1 ;; esac
case "$ONLY" in ''|kernel|berth) ;; *) echo "compare.sh: --only takes kernel or berth, got '$ONLY'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "compare.sh: must run as root (network namespaces, TAP devices)" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BERTH_BIN:-$ROOT/bin}

# ---- tools -----------------------------------------------------------------------------------------
need_pkgs=()
for pair in iperf3:iperf3 trafgen:netsniff-ng ping:iputils-ping python3:python3 ip:iproute2 timeout:coreutils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_pkgs+=("${pair#*:}")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "compare.sh: installing ${need_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"; } >&2 ||
    { echo "compare.sh: could not install ${need_pkgs[*]} with apt-get; install them and retry" >&2; exit 1; }
  for t in iperf3 trafgen ping python3 ip timeout; do
    command -v $t >/dev/null 2>&1 || { echo "compare.sh: '$t' still missing after apt-get" >&2; exit 1; }
  done
fi

# ---- names, temp dir, cleanup ----------------------------------------------------------------------
P=cmp$$                                   # unique prefix for every namespace this run creates
KH=${P}kh; K1=${P}k1; K2=${P}k2           # kernel side: host (bridge) and the two containers
BH=${P}bh; B1=$P-c1; B2=$P-c2             # berth side: berthd's host netns; containers named as berth names them
BNET=${P}net
TMP=$(mktemp -d /tmp/berth-compare.XXXXXX)
SOCK=$TMP/s.sock
BERTHD_PID=""; JAR_BUILT=""; BG_PID=""


. "$ROOT/benchmarks/e2e/lib.sh"   # ns_exists, kill_ns_pids, berth, cpu_ticks_ns, run_bg, berth_fail

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # tools first (iperf3, trafgen, ping) in the container namespaces of both sides
  for n in $K1 $K2 $B1 $B2; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do
      case "$(cat /proc/$pid/comm 2>/dev/null)" in iperf3|trafgen|ping) kill "$pid" 2>/dev/null ;; esac
    done
  done
  [ -z "$BG_PID" ] || kill "$BG_PID" 2>/dev/null
  # let berth undo what it made while berthd still runs
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null && [ -S "$SOCK" ]; then
    timeout 20 env BERTH_SOCKET="$SOCK" "$BIN/berth" rm -f "$B1" "$B2" >/dev/null 2>&1
    timeout 10 env BERTH_SOCKET="$SOCK" "$BIN/berth" network rm "$BNET" >/dev/null 2>&1
  fi
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    kill -TERM "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$BERTHD_PID" 2>/dev/null && { echo "compare.sh: berthd ignored SIGTERM for 5 s, killing it" >&2; kill -9 "$BERTHD_PID" 2>/dev/null; }
    wait "$BERTHD_PID" 2>/dev/null
  fi
  for n in $K1 $K2 $KH $B1 $B2 $BH; do
    kill_ns_pids "$n"
    ns_exists "$n" && ip netns del "$n" 2>/dev/null
  done
  [ -n "$LOG_COPY" ] && [ -f "$TMP/berthd.log" ] && cp "$TMP/berthd.log" "$LOG_COPY" 2>/dev/null
  rm -rf "$TMP"
  local left
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P(k|b|-c)" || true)
  [ -z "$left" ] || { echo "compare.sh: WARNING: namespaces left behind: $left" >&2; rc=1; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- measurements (shared by both sides) ------------------------------------------------------------
# each prints its figure on stdout and fails (with a message on stderr) when it cannot measure
declare -A R   # R[side.metric] = value
. "$ROOT/benchmarks/e2e/measure.sh"   # iperf_gbps, frames_mpps, ping_avg_ms, measure

addr_of() { ip -n "$1" -4 -br addr show eth0 2>/dev/null | awk '{print $3}' | cut -d/ -f1; }

# ---- kernel side ------------------------------------------------------------------------------------
kernel_side() {
  echo "[kernel] building bridge topology ($KH, $K1, $K2) ..." >&2
  local n i=2 c
  for n in $KH $K1 $K2; do ip netns add "$n" && ip -n "$n" link set lo up || return 1; done
  ip -n $KH link add br0 type bridge && ip -n $KH addr add 192.168.100.1/24 dev br0 &&
    ip -n $KH link set br0 up || return 1
  for c in $K1 $K2; do
    ip -n $KH link add "v$c" type veth peer name eth0 netns "$c" &&
      ip -n $KH link set "v$c" master br0 up &&
      ip -n "$c" addr add 192.168.100.$i/24 dev eth0 && ip -n "$c" link set eth0 up &&
      ip -n "$c" route add default via 192.168.100.1 || return 1
    i=$((i + 1))
  done
  for _ in $(seq 30); do ip netns exec $K2 ping -c1 -W1 -q 192.168.100.2 >/dev/null 2>&1 && break; done
  measure kernel $K2 $K1 192.168.100.3 192.168.100.2
  for n in $K1 $K2 $KH; do kill_ns_pids "$n"; ip netns del "$n" 2>/dev/null; done   # idle during berth's turn
}

# ---- berth side -------------------------------------------------------------------------------------
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
  echo "[berth] starting berthd in $BH ..." >&2
  ip netns add $BH && ip -n $BH link set lo up || { berth_fail "cannot create netns $BH"; return 1; }
  # shellcheck disable=SC2086  # BERTHD_ARGS is a list of options on purpose
  ip netns exec $BH "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" $BERTHD_ARGS >"$TMP/berthd.log" 2>&1 &
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
  for c in $B1 $B2; do
    out=$(berth run -d --name "$c" --network $BNET 2>&1) || { berth_fail "berth run $c: $out"; return 1; }
    ns_exists "$c" || { berth_fail "berth run $c: no netns named $c"; return 1; }
  done
  local ip1 ip2
  ip1=$(addr_of $B1); ip2=$(addr_of $B2)
  [ -n "$ip1" ] && [ -n "$ip2" ] ||
    { berth_fail "containers have no IPv4 on eth0 (c1='$ip1' c2='$ip2'): $(ip -n $B1 addr 2>&1 | tr '\n' ' ')"; return 1; }
  local ok=""
  for _ in $(seq 10); do ip netns exec $B2 ping -c1 -W1 -q "$ip1" >/dev/null 2>&1 && { ok=1; break; }; done
  [ -n "$ok" ] || { berth_fail "no connectivity: ping $B2 -> $ip1 ($B1) fails: $(ip netns exec $B2 ping -c2 -W1 "$ip1" 2>&1 | tail -2 | tr '\n' ' ')"; return 1; }
  local c0 c1 w0 w1
  c0=$(cpu_ticks_ns $BH); w0=$(date +%s.%N)
  measure berth $B2 $B1 "$ip2" "$ip1" $BH
  c1=$(cpu_ticks_ns $BH); w1=$(date +%s.%N)
  R[berth.cpu]=$(python3 -c "print('%.2f' % (($c1-$c0)/$HZ))")
  R[berth.wall]=$(python3 -c "print('%.2f' % ($w1-$w0))")
  kill -0 $BERTHD_PID 2>/dev/null || berth_fail "berthd died during the measurements"
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
    echo "---------------------------------------" >&2
  fi
fi
END=$(date -u +%Y-%m-%dT%H:%M:%SZ)

export CMP_BERTHD_ARGS="$BERTHD_ARGS" CMP_LOAD="$LOAD" CMP_HZ=$HZ CMP_T=$T CMP_START=$START CMP_END=$END CMP_JSON=$JSON_OUT CMP_ONLY=$ONLY
for k in kernel.tcp kernel.mpps kernel.offered kernel.dropped kernel.ping kernel.ping_median kernel.steal kernel.err \
         berth.tcp berth.mpps berth.offered berth.dropped berth.ping berth.ping_median berth.steal berth.err berth.cpu berth.wall berth.cpu_ping berth.cpu_tcp berth.cpu_mpps \
         kernel.mcpu_tcp kernel.mcpu_mpps berth.mcpu_tcp berth.mcpu_mpps; do
  export "CMP_${k/./_}=${R[$k]:-}"
done
export CMP_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# the berth side runs whatever control/target/berth.jar holds, which may predate HEAD: say when it was built
export CMP_JAR=${JAR_BUILT:-$(date -u -r "$ROOT/control/target/berth.jar" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo missing)}
python3 - <<'PY'
import json, os, platform, re
E = os.environ
def num(k):
    v = E.get("CMP_" + k, "")
    try: return float(v)
    except ValueError: return None
rows = [  # key, label, unit, target (berth/kernel), better
    ("tcp", "TCP c2->c1 (iperf3)", "Gbps", ">= 0.3x"),
    ("mpps", "64 B frames delivered c2->c1", "Mpps", ">= 1.0x"),
    ("ping", "ping RTT avg c2->c1", "ms", "<= 3x"),
]
res = {"kernel": {}, "berth": {}, "ratio": {}}
table = []
def fmt(v, unit): return "-" if v is None else ("%.3f %s" % (v, unit))
for key, label, unit, target in rows:
    k, b = num("kernel_" + key), num("berth_" + key)
    r = b / k if (k and b is not None) else None
    res["kernel"][key] = k; res["berth"][key] = b; res["ratio"][key] = None if r is None else round(r, 3)
    table.append((label, fmt(k, unit), fmt(b, unit), "-" if r is None else "%.2fx" % r, target))
ko, bo = num("kernel_offered"), num("berth_offered")
kd, bd = num("kernel_dropped"), num("berth_dropped")
res["kernel"]["offered_mpps"] = ko; res["berth"]["offered_mpps"] = bo
res["kernel"]["sender_dropped_mpps"] = kd; res["berth"]["sender_dropped_mpps"] = bd
table.append(("64 B frames sent by trafgen", fmt(ko, "Mpps"), fmt(bo, "Mpps"), "-", ""))
table.append(("  and dropped at c2's eth0 (queue full)", fmt(kd, "Mpps"), fmt(bd, "Mpps"), "-", ""))
km, bm = num("kernel_ping_median"), num("berth_ping_median")
res["kernel"]["ping_median"] = km; res["berth"]["ping_median"] = bm
table.append(("ping RTT median c2->c1", fmt(km, "ms"), fmt(bm, "ms"), "-" if not (km and bm) else "%.2fx" % (bm / km), ""))
ks, bs = num("kernel_steal"), num("berth_steal")
res["kernel"]["steal_pct"] = ks; res["berth"]["steal_pct"] = bs
table.append(("CPU time stolen by the hypervisor", "-" if ks is None else "%.1f %%" % ks, "-" if bs is None else "%.1f %%" % bs, "-", ""))
cpu, wall = num("berth_cpu"), num("berth_wall")
res["berth"]["berthd_cpu_s"] = cpu; res["berth"]["measure_wall_s"] = wall
if cpu is not None:
    table.append(("berthd CPU time while measuring", "-", "%.2f s in %.1f s" % (cpu, wall), "-", ""))
    hz = float(E["CMP_HZ"])
    for key, label in (("tcp", "iperf3"), ("mpps", "trafgen")):
        t = num("berth_cpu_" + key)
        if t is not None:
            res["berth"]["berthd_cpu_s_" + key] = round(t / hz, 2)
            table.append(("  of which during the %s window" % label, "-", "%.2f s (%.0f%% of %d s)"
                          % (t / hz, 100 * t / hz / int(E["CMP_T"]), int(E["CMP_T"])), "-", ""))
# CPU per unit of work: the whole machine's busy time (both sides: the senders, receivers and the forwarding,
# which the kernel does in softirq) per GB of TCP and per 64-byte frame delivered, and berthd's own share
hz, T = float(E["CMP_HZ"]), int(E["CMP_T"])
def per_gb(ticks, gbps): return None if ticks is None or not gbps else ticks / hz / (gbps * T / 8)
def ns_per_frame(ticks, mpps): return None if ticks is None or not mpps else ticks / hz / (mpps * 1e6 * T) * 1e9
def fmt2(v, unit): return "-" if v is None else ("%.2f %s" % (v, unit))
kg, bg = per_gb(num("kernel_mcpu_tcp"), res["kernel"]["tcp"]), per_gb(num("berth_mcpu_tcp"), res["berth"]["tcp"])
kf, bf = ns_per_frame(num("kernel_mcpu_mpps"), res["kernel"]["mpps"]), ns_per_frame(num("berth_mcpu_mpps"), res["berth"]["mpps"])
res["kernel"]["machine_cpu_s_per_gb"] = kg; res["berth"]["machine_cpu_s_per_gb"] = bg
res["kernel"]["machine_cpu_ns_per_frame"] = kf; res["berth"]["machine_cpu_ns_per_frame"] = bf
table.append(("TCP: machine CPU per GB", fmt2(kg, "s"), fmt2(bg, "s"), "-" if not (kg and bg) else "%.2fx" % (bg / kg), ""))
table.append(("64 B: machine CPU per frame", fmt2(kf, "ns"), fmt2(bf, "ns"), "-" if not (kf and bf) else "%.2fx" % (bf / kf), ""))
dg = per_gb(num("berth_cpu_tcp"), res["berth"]["tcp"]); df = ns_per_frame(num("berth_cpu_mpps"), res["berth"]["mpps"])
res["berth"]["berthd_cpu_s_per_gb"] = dg; res["berth"]["berthd_cpu_ns_per_frame"] = df
if dg is not None or df is not None:
    table.append(("  berthd's share: per GB, per frame", "-", "%s, %s" % (fmt2(dg, "s"), fmt2(df, "ns")), "-", ""))
w = [max(len(r[i]) for r in table + [("metric", "kernel", "berth", "berth/kernel", "target")]) for i in range(5)]
line = lambda r: " | ".join(r[i].ljust(w[i]) for i in range(4)).rstrip()
print()
print(line(("metric", "kernel", "berth", "berth/kernel")))
print("-+-".join("-" * w[i] for i in range(4)))
for r in table: print(line(r))
print("targets (issue 2, berth/kernel): TCP >= 0.3x, 64 B frames >= 1.0x, ping RTT <= 3x")
for side in ("kernel", "berth"):
    if E.get("CMP_%s_err" % side):
        print("%s side errors: %s" % (side, E["CMP_%s_err" % side].strip("; ")))
cpu_model = ""
try:
    cpu_model = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
except Exception: pass
machine = {"nproc": os.cpu_count(), "cpu": cpu_model, "kernel": platform.release()}
print("%d s windows; %s, %d CPUs, Linux %s, load average before %s; commit %s, berth.jar built %s%s; %s .. %s"
      % (int(E["CMP_T"]), cpu_model, os.cpu_count(), platform.release(), E["CMP_LOAD"], E["CMP_COMMIT"], E["CMP_JAR"],
         (", berthd " + E["CMP_BERTHD_ARGS"]) if E["CMP_BERTHD_ARGS"] else "",
         E["CMP_START"], E["CMP_END"]))
if E.get("CMP_JSON"):
    doc = {"date": E["CMP_START"], "end": E["CMP_END"], "seconds": int(E["CMP_T"]), "commit": E["CMP_COMMIT"], "berth_jar_built": E["CMP_JAR"], "berthd_args": E["CMP_BERTHD_ARGS"],
           "machine": machine, "loadavg_before": E["CMP_LOAD"], "targets": {"tcp": 0.3, "mpps": 1.0, "ping_max": 3.0}, **res,
           "errors": {s: E.get("CMP_%s_err" % s, "").strip("; ") or None for s in ("kernel", "berth")}}
    with open(E["CMP_JSON"], "w") as f:
        json.dump(doc, f, indent=2); f.write("\n")
PY
[ -z "${R[berth.err]:-}" ] || exit 2
[ -z "${R[kernel.err]:-}" ] || exit 2
exit 0
