#!/usr/bin/env bash
# compare-docker.sh [SECONDS] [ROUNDS]: Docker on berth (berth's network plugin) against Docker's own bridge
# network (a kernel bridge), one dockerd, same run (issue 26):
#   - `docker run -d` wall time on each network (median of 2 x ROUNDS runs, sides alternating), and `docker rm -f`;
#   - TCP between two Docker containers (iperf3, SECONDS windows, ROUNDS alternating rounds), with the CPU seconds
#     per GB of berthd and of the whole machine.
#
# A private namespace holds berthd (--docker-plugin-socket /run/docker/plugins/NAME.sock, NAME unique to the run)
# and a dockerd of the script's own (private data and exec roots; --iptables=false --ip-masq=false
# --ip-forward=false; its user-defined bridge network is a kernel bridge in that namespace). The image is a
# busybox-static rootfs imported from a tarball; iperf3 is the machine's, run in the containers' network
# namespaces with nsenter. Nothing leaves the namespace; everything (containers, dockerd, mounts, berthd, the
# namespace, the plugin socket) is removed at the end, also on Ctrl-C or failure. Run as root after a build.
#
# Exit status: 0 when both sides measured, 1 when one failed or on a usage or setup error.
set -u

T=5
ROUNDS=5
[ $# -ge 1 ] && T=$1
[ $# -ge 2 ] && ROUNDS=$2
case "$T$ROUNDS" in *[!0-9]*|'') echo "compare-docker.sh: SECONDS and ROUNDS are positive integers, got '$*'" >&2; exit 1 ;; esac
[ "$T" -gt 0 ] && [ "$ROUNDS" -gt 0 ] || { echo "compare-docker.sh: SECONDS and ROUNDS must be > 0" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "compare-docker.sh: must run as root (network namespaces)" >&2; exit 1; }
for tool in iperf3 nsenter python3 /usr/sbin/dockerd /usr/bin/docker /bin/busybox; do
  command -v $tool >/dev/null 2>&1 || { echo "compare-docker.sh: $tool is missing: .ci/install-tools installs it" >&2; exit 1; }
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BERTH_BIN:-$ROOT/bin}
[ -x "$BIN/berthd" ] && [ -f "$ROOT/control/target/berth.jar" ] ||
  { echo "compare-docker.sh: build first: (cd $ROOT && mvn -B -q -DskipTests install)" >&2; exit 1; }

P=cdk$$
NS=${P}h
DRIVER=$P
PLUGIN=/run/docker/plugins/$DRIVER.sock
TMP=$(mktemp -d /tmp/berth-compare-docker.XXXXXX)
SOCK=$TMP/s.sock
BERTHD_PID=""; DOCKERD_PID=""; BG_PID=""
declare -A R

. "$ROOT/benchmarks/e2e/lib.sh"   # ns_exists, kill_ns_pids, berth, machine_busy_ticks, steal_ticks, iperf3_figures

# the CLI's "IPv4 forwarding is disabled" warning is about the kernel's forwarding, which neither side uses here
docker() { timeout 120 /usr/bin/docker -H "unix://$TMP/docker.sock" "$@" 2> >(grep -v 'IPv4 forwarding is disabled' >&2); }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$BG_PID" ] || kill "$BG_PID" 2>/dev/null
  # the iperf3 servers run in the containers' network namespaces, not in the containers: docker rm leaves them
  for pidfile in "$TMP"/iperf3-*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; done
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    local ids; ids=$(docker ps -aq 2>/dev/null)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
    docker network rm bnet kbr >/dev/null 2>&1
    kill -TERM "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
  fi
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    kill -TERM "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$BERTHD_PID" 2>/dev/null
    wait "$BERTHD_PID" 2>/dev/null
  fi
  pkill -KILL -f "$TMP/(exec|data)" 2>/dev/null   # containerd and shims under dockerd's roots
  kill_ns_pids "$NS"
  ns_exists "$NS" && ip netns del "$NS" 2>/dev/null
  grep -o " $TMP[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$TMP"
  rm -f "$PLUGIN"
  ns_exists "$NS" && { echo "compare-docker.sh: WARNING: namespace $NS left behind" >&2; rc=1; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pid_ticks() { local f; f=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }; set -- $f; echo $((${12} + ${13})); }
now_ms() { date +%s%3N; }

setup() {
  ip netns add "$NS" && ip -n "$NS" link set lo up || return 1
  ip netns exec "$NS" "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" --docker-plugin-socket "$PLUGIN" \
    --docker-host "unix://$TMP/docker.sock" >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 300); do grep -q 'berthd ready' "$TMP/berthd.log" && break; sleep 0.1; done
  grep -q 'berthd ready' "$TMP/berthd.log" || { echo "berthd did not start: $(tail -5 "$TMP/berthd.log")" >&2; return 1; }
  echo "{\"deprecated-key-path\": \"$TMP/key.json\"}" >"$TMP/daemon.json"
  nsenter --net="/run/netns/$NS" /usr/sbin/dockerd --iptables=false --ip-masq=false --ip-forward=false \
    --bridge=none --data-root "$TMP/data" --exec-root "$TMP/exec" --host "unix://$TMP/docker.sock" \
    --pidfile "$TMP/docker.pid" --config-file "$TMP/daemon.json" >"$TMP/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 300); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
  docker version >/dev/null 2>&1 || { echo "dockerd did not start: $(tail -5 "$TMP/dockerd.log")" >&2; return 1; }
  mkdir -p "$TMP/rootfs/bin" "$TMP/rootfs/etc" "$TMP/rootfs/proc" "$TMP/rootfs/sys" "$TMP/rootfs/dev" &&
    cp /bin/busybox "$TMP/rootfs/bin/" && ln -s busybox "$TMP/rootfs/bin/sleep" && ln -s busybox "$TMP/rootfs/bin/sh" &&
    tar -C "$TMP/rootfs" -cf "$TMP/rootfs.tar" . && docker import --change 'ENV PATH=/bin' "$TMP/rootfs.tar" bb >/dev/null ||
    { echo "cannot import the image" >&2; return 1; }
  docker network create -d "$DRIVER" --ipam-driver "$DRIVER" --subnet 10.81.0.0/24 bnet >/dev/null ||
    { echo "docker network create on berth failed: $(tail -3 "$TMP/berthd.log")" >&2; return 1; }
  docker network create -d bridge --subnet 10.82.0.0/24 kbr >/dev/null || { echo "docker network create -d bridge failed" >&2; return 1; }
  for net in bnet kbr; do
    docker run -d --name "${net}1" --network $net bb sleep 100000 >/dev/null &&
      docker run -d --name "${net}2" --network $net bb sleep 100000 >/dev/null || { echo "[$net] docker run failed" >&2; return 1; }
    nsenter --net="/proc/$(docker inspect -f '{{.State.Pid}}' "${net}1")/ns/net" iperf3 -s -p 5201 -D \
      --logfile "$TMP/iperf3-$net.log" --pidfile "$TMP/iperf3-$net.pid" || return 1
  done
  sleep 0.5
}

# docker run -d, then rm -f, on $1; prints "run_ms rm_ms"
run_once() {
  local net=$1 t0 t1 t2
  t0=$(now_ms)
  docker run -d --name "probe-$net" --network "$net" bb sleep 100000 >/dev/null || return 1
  t1=$(now_ms)
  docker rm -f "probe-$net" >/dev/null || return 1
  t2=$(now_ms)
  echo "$((t1 - t0)) $((t2 - t1))"
}

# iperf3 from $1's second container to its first; prints "Gbps berthd_s/GB machine_s/GB stolen%"
measure_tcp() {
  local net=$1 out=$TMP/iperf.$1.json pid ip f0 m0 s0 f1 m1 s1
  pid=$(docker inspect -f '{{.State.Pid}}' "${net}2"); ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "${net}1")
  f0=$(pid_ticks "$BERTHD_PID"); m0=$(machine_busy_ticks); s0=$(steal_ticks)
  timeout $((T + 30)) nsenter --net="/proc/$pid/ns/net" iperf3 -c "$ip" -p 5201 -t "$T" -J >"$out" 2>&1 &
  BG_PID=$!; wait $BG_PID; BG_PID=""
  f1=$(pid_ticks "$BERTHD_PID"); m1=$(machine_busy_ticks); s1=$(steal_ticks)
  iperf3_figures "$out" "$((f1 - f0))" "$((m1 - m0))" "$((s1 - s0))"
}

setup || { echo "compare-docker.sh: set-up failed" >&2; exit 1; }
FAILED=0
for round in $(seq "$ROUNDS"); do
  [ $((round % 2)) = 1 ] && order="bnet kbr" || order="kbr bnet"
  for net in $order $order; do
    if fig=$(run_once $net); then R[$net.run]+="$fig;"; else echo "[round $round] $net: docker run FAILED" >&2; FAILED=1; fi
  done
  for net in $order; do
    if fig=$(measure_tcp $net); then
      R[$net.tcp]+="$fig;"
      echo "[round $round] $net: $fig (Gbps, berthd s/GB, machine s/GB, stolen %)" >&2
    else
      echo "[round $round] $net: TCP FAILED" >&2; FAILED=1
    fi
  done
done

python3 - "$T" "$ROUNDS" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" "${R[bnet.run]-}" "${R[kbr.run]-}" \
  "${R[bnet.tcp]-}" "${R[kbr.tcp]-}" <<'PY'
import os, statistics, sys
t, rounds, commit = sys.argv[1], sys.argv[2], sys.argv[3]
rows = lambda v: [list(map(float, r.split())) for r in v.split(";") if r.strip()]
run_b, run_k, tcp_b, tcp_k = (rows(v) for v in sys.argv[4:8])
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("Docker on berth's plugin network vs Docker's own bridge network (one dockerd, %s rounds; medians, spread in [])" % rounds)
print("%-30s | %-24s | %-24s | %s" % ("measure", "berth plugin", "Docker bridge (kernel)", "berth / bridge"))
for name, b, k, col in (("docker run -d (ms)", run_b, run_k, 0), ("docker rm -f (ms)", run_b, run_k, 1)):
    xb = [r[col] for r in b]; xk = [r[col] for r in k]
    print("%-30s | %7.0f [%5.0f-%5.0f]    | %7.0f [%5.0f-%5.0f]    | %.2fx" % (name, med(xb), min(xb or [0]), max(xb or [0]),
        med(xk), min(xk or [0]), max(xk or [0]), med(xb) / med(xk)))
gb = [r[0] for r in tcp_b]; gk = [r[0] for r in tcp_k]
print("%-30s | %7.2f [%5.2f-%5.2f]    | %7.2f [%5.2f-%5.2f]    | %.2fx" % ("TCP container->container Gbps (%s s)" % t,
    med(gb), min(gb or [0]), max(gb or [0]), med(gk), min(gk or [0]), max(gk or [0]), med(gb) / med(gk)))
print("%-30s | %7.3f                  | -                        |" % ("berthd CPU s/GB", med([r[1] for r in tcp_b])))
print("%-30s | %7.3f                  | %7.3f                  |" % ("machine CPU s/GB", med([r[2] for r in tcp_b]), med([r[2] for r in tcp_k])))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":", 1)[1].strip()
print("commit %s; %s, %d CPUs; load average after %s" % (commit, cpu, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
PY
exit $FAILED
