# Helpers shared by compare.sh and compare-nat.sh (sourced; not run on its own). They expect the caller to
# define SOCK, BIN, TMP and the associative array R, as both scripts do.

ns_exists() { [ -e "/run/netns/$1" ] || ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
kill_ns_pids() {  # SIGTERM every process in namespace $1, then SIGKILL what is left
  local n=$1 pids
  pids=$(ip netns pids "$n" 2>/dev/null) || return 0
  [ -n "$pids" ] || return 0
  kill $pids 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -n "$pids" ] || return 0; sleep 0.2
  done
  kill -9 $pids 2>/dev/null; sleep 0.1
}
berth() { BERTH_SOCKET=$SOCK "$BIN/berth" "$@"; }
cpu_ticks_ns() {  # utime+stime (clock ticks) of every process in namespace $1
  local sum=0 pid f
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    f=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $f
    sum=$((sum + ${12} + ${13}))            # fields 14 and 15 of stat, counted after "(comm) "
  done
  echo $sum
}
steal_ticks() {  # clock ticks the hypervisor ran something else on this VM's CPUs (/proc/stat "steal"): a
  awk '/^cpu / {print $9; exit}' /proc/stat   # busy host takes a polling vCPU away, which shows as RTT spikes
}
total_ticks() {  # every clock tick of all CPUs, idle and stolen ones too (/proc/stat)
  awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat
}
machine_busy_ticks() {  # user+nice+system+irq+softirq clock ticks of all CPUs (/proc/stat): the kernel's
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat   # forwarding is in softirq and system time
}
# bash runs a trap only once the foreground command (or $(...)) in progress has ended; a measurement runs
# in the background and is waited for, so that Ctrl-C or SIGTERM stop the script at once
run_bg() {  # command... -> its stdout in $TMP/result, its exit status
  "$@" > "$TMP/result" &
  BG_PID=$!
  wait $BG_PID; local st=$?
  BG_PID=""; return $st
}
berth_fail() { R[berth.err]+="$1; "; echo "[berth] FAILED: $1" >&2; return 1; }

# iperf3_figures OUT FWD_TICKS MACHINE_TICKS STEAL_TICKS: from iperf3's JSON in OUT and the CPU clock ticks a
# forwarder and the whole machine spent meanwhile, prints "Gbps forwarder_s/GB machine_s/GB stolen%"; fails with a
# line on stderr when iperf3 wrote no result
iperf3_figures() {
  python3 - "$1" "$2" "$3" "$4" "$(getconf CLK_TCK)" <<'PY'
import json, sys
out, fwd, machine, steal, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
try:
    d = json.load(open(out))
except Exception as e:
    sys.stderr.write("iperf3: no JSON (%s)\n" % e); sys.exit(1)
if "error" in d:
    sys.stderr.write("iperf3: %s\n" % d["error"]); sys.exit(1)
s = d["end"]["sum_received"]
gb = s["bytes"] / 1e9
print("%.3f %.3f %.3f %.1f" % (s["bits_per_second"] / 1e9, fwd / hz / gb, machine / hz / gb, 100.0 * steal / max(1, machine + steal)))
PY
}
