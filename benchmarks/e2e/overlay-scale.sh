#!/usr/bin/env bash
# The scale simulation of docs/scale.md: a real etcd on loopback (random ports, temp data dir) and
# OverlayScaleSimulation's lightweight hosts against it.
# Usage: benchmarks/e2e/overlay-scale.sh [HOSTS] [CONTAINERS] [RATE]    (default 1000 2000 200)
# Needs /usr/bin/etcd and benchmarks/target/benchmarks.jar (mvn -B -q package -DskipTests). Leaves nothing behind.
set -eu
HOSTS=${1:-1000}; CONTAINERS=${2:-2000}; RATE=${3:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=$ROOT/benchmarks/target/benchmarks.jar
[ -f "$JAR" ] || { echo "overlay-scale.sh: $JAR missing (mvn -B -q package -DskipTests)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/berth-scale.XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
C=$(port); PEER=$(port)
/usr/bin/etcd --name s --data-dir "$TMP/etcd" --listen-client-urls http://127.0.0.1:$C --advertise-client-urls http://127.0.0.1:$C \
  --listen-peer-urls http://127.0.0.1:$PEER --initial-advertise-peer-urls http://127.0.0.1:$PEER \
  --initial-cluster s=http://127.0.0.1:$PEER --log-outputs stderr >"$TMP/etcd.log" 2>&1 &
ETCD=$!
trap 'kill $ETCD 2>/dev/null; wait $ETCD 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$C) 2>/dev/null && break; sleep 0.1; done
t0=$(awk '{print $14+$15}' /proc/$ETCD/stat)
java -Xmx2g -cp "$JAR" io.berth.benchmarks.OverlayScaleSimulation http://127.0.0.1:$C "$HOSTS" "$CONTAINERS" "$RATE" $ETCD 2>"$TMP/sim.err" || { grep -m5 -E "Exception|Error" "$TMP/sim.err" >&2; exit 1; }
t1=$(awk '{print $14+$15}' /proc/$ETCD/stat)
echo "etcd CPU during the run: $(python3 -c "print('%.1f' % (($t1-$t0)/$(getconf CLK_TCK)))") s; db $(du -sh "$TMP/etcd" | cut -f1)"
