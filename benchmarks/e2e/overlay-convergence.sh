#!/usr/bin/env bash
# Overlay convergence: how soon a container started on host A answers a ping from host B.
#
# Builds, in private namespaces only: a real etcd on a management bridge, an underlay bridge, and HOSTS
# berthd host namespaces (uplink 10.242.0.N on the underlay, management 10.252.0.N), all on one overlay
# network. A probe container runs on host 2. Then, CONTAINERS times: `berth run` on host 1, and from the
# moment it returns, the probe pings the new address every 2 ms until it answers. Prints P50, P99 and the
# maximum of those times. Every host but the two measured ones has no container: they only watch the store,
# as hosts of a real cluster would.
#
# Usage: benchmarks/e2e/overlay-convergence.sh [HOSTS] [CONTAINERS]     (default 3 and 50)
# berthds beyond the first two run with a small heap and pool (BERTHD_JAVA_OPTS below) so that 32 fit on a
# 2-core machine. Run as root; needs etcd (etcd-server) and python3. Leaves nothing behind.
set -u
set -o pipefail

HOSTS=${1:-3}; N=${2:-50}
[ "$(id -u)" = 0 ] || { echo "overlay-convergence.sh: must run as root" >&2; exit 1; }
[ -x /usr/bin/etcd ] || { echo "overlay-convergence.sh: /usr/bin/etcd missing (etcd-server)" >&2; exit 1; }
case "$HOSTS" in ''|*[!0-9]*|0|1) echo "HOSTS must be 2 or more" >&2; exit 1 ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=ovq$$
TMP=$(mktemp -d /tmp/berth-converge.XXXXXX)
ETCD_PID=""

ns() { ip netns add "$1" && ip -n "$1" link set lo up; }
cleanup() {
  trap - EXIT INT TERM
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill $pids 2>/dev/null
  done
  sleep 2
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do
    pids=$(ip netns pids "$n" 2>/dev/null); [ -z "$pids" ] || kill -9 $pids 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  [ -z "$ETCD_PID" ] || kill "$ETCD_PID" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for side in u m; do ns $P$side; ip -n $P$side link add br0 type bridge; ip -n $P$side link set br0 up; done
ip -n ${P}m addr add 10.252.0.1/24 dev br0
ip netns exec ${P}m /usr/bin/etcd --name c --data-dir "$TMP/etcd" --listen-client-urls http://10.252.0.1:2379 \
  --advertise-client-urls http://10.252.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster c=http://127.0.0.1:2380 \
  --log-outputs stderr >"$TMP/etcd.log" 2>&1 &
ETCD_PID=$!
echo "starting $HOSTS berthd hosts ..." >&2
for h in $(seq "$HOSTS"); do
  ns $P-h$h
  ip -n ${P}u link add u$h type veth peer name uplink0 netns $P-h$h
  ip -n ${P}u link set u$h master br0 up; ip -n $P-h$h link set uplink0 up
  ip -n ${P}m link add m$h type veth peer name mgmt0 netns $P-h$h
  ip -n ${P}m link set m$h master br0 up
  ip -n $P-h$h addr add 10.252.0.$((h + 1))/24 dev mgmt0; ip -n $P-h$h link set mgmt0 up
  opts=""; small=""
  [ "$h" -le 2 ] || { opts="-Xmx128m -Xss256k -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:MaxDirectMemorySize=64m -Dberth.pool.packets=64"; small="--frag-max 16"; }
  BERTHD_JAVA_OPTS="$opts" ip netns exec $P-h$h "$BIN/berthd" --socket "$TMP/s$h.sock" --state-dir "$TMP/st$h" \
    --uplink uplink0 --uplink-ip 10.242.0.$((h + 1))/24 --store etcd://10.252.0.1:2379 --node h$h $small \
    >"$TMP/berthd$h.log" 2>&1 &
  eval "PID$h=\$!"
  # start them a few at a time: a JVM start is CPU-bound and there are 2 cores
  [ $((h % 4)) -ne 0 ] || for _ in $(seq 600); do [ -S "$TMP/s$h.sock" ] && break; sleep 0.1; done
done
for h in $(seq "$HOSTS"); do
  for _ in $(seq 1200); do
    [ -S "$TMP/s$h.sock" ] && break
    eval "kill -0 \$PID$h" 2>/dev/null || break
    sleep 0.1
  done
  [ -S "$TMP/s$h.sock" ] || { echo "berthd $h did not start: $(tail -5 "$TMP/berthd$h.log")" >&2; exit 2; }
done
b1() { BERTH_SOCKET=$TMP/s1.sock "$BIN/berth" "$@"; }
b2() { BERTH_SOCKET=$TMP/s2.sock "$BIN/berth" "$@"; }
b1 network create -d overlay --subnet 10.79.0.0/24 ${P}net >/dev/null || exit 2
for _ in $(seq 100); do b2 network ls | grep -q ${P}net && break; sleep 0.1; done
b2 run -d --name $P-probe --network ${P}net >/dev/null || exit 2
sleep 1

cat > "$TMP/probe.py" <<'PY'
# reads addresses on stdin; for each, pings it every 2 ms until it answers; prints "ADDRESS MILLISECONDS"
import os, select, socket, struct, sys, time
def packet(ident, seq):
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    data = header + b"x" * 8
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!BBHHH", 8, 0, ~s & 0xFFFF, ident, seq) + b"x" * 8
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xFFFF
for line in sys.stdin:
    target = line.strip()
    start = time.monotonic(); seq = 0; answered = None
    while answered is None and time.monotonic() - start < 30:
        seq += 1
        sock.sendto(packet(ident, seq & 0xFFFF), (target, 0))
        deadline = time.monotonic() + 0.002
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], max(0, deadline - time.monotonic()))
            if not ready: break
            data, (src, _) = sock.recvfrom(2048)
            ihl = (data[0] & 0xF) * 4
            if src == target and data[ihl] == 0 and struct.unpack("!H", data[ihl + 4:ihl + 6])[0] == ident:
                answered = (time.monotonic() - start) * 1000
                break
    print("%s %.1f" % (target, answered if answered is not None else -1), flush=True)
PY

cat > "$TMP/drive.py" <<'PY'
import os, statistics, subprocess, sys
berth, sock, net, prefix, n, probe_ns, probe = sys.argv[1:8]
env = dict(os.environ, BERTH_SOCKET=sock)
prober = subprocess.Popen(["ip", "netns", "exec", probe_ns, "python3", probe], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
times = []
for i in range(int(n)):
    name = "%s-c%d" % (prefix, i)
    subprocess.run([berth, "run", "-d", "--name", name, "--network", net], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    # `berth run` returned: ask the probe on host 2 at once (the address is the container's, from ip)
    out = subprocess.run(["ip", "-n", name, "-4", "-br", "addr", "show", "eth0"], capture_output=True, text=True).stdout
    address = out.split()[2].split("/")[0]
    prober.stdin.write(address + "\n"); prober.stdin.flush()
    target, ms = prober.stdout.readline().split()
    times.append(float(ms))
prober.stdin.close(); prober.wait()
failed = [t for t in times if t < 0]
ok = sorted(t for t in times if t >= 0)
def pct(p): return ok[min(len(ok) - 1, int(round(p / 100 * (len(ok) - 1))))]
print("containers %d, answered %d; run returned -> first ping answered from host 2: P50 %.1f ms, P99 %.1f ms, max %.1f ms"
      % (len(times), len(ok), pct(50), pct(99), ok[-1]))
for i in range(int(n)):
    subprocess.run([berth, "rm", "-f", "%s-c%d" % (prefix, i)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
PY
echo "measuring $N containers with $HOSTS hosts ..." >&2
python3 "$TMP/drive.py" "$BIN/berth" "$TMP/s1.sock" ${P}net $P "$N" $P-probe "$TMP/probe.py"
