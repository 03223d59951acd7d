#!/usr/bin/env bash
# How long a berth command and a CNI plugin call take, end to end, with hyperfine (issue 10).
#
# Starts bin/berthd in a namespace of its own (no uplink; a temp socket and state dir), makes one bridge network,
# installs the CNI plugin into a temp dir, and measures, with hyperfine (-N, warm-up 3, RUNS runs, default 30):
#   berth network ls      the thin client (java.base only, the build's class-data archive), served by berthd
#   berth ps              the same, a command with a table of containers
#   berth --help          the same, help text from berthd's parser
#   full CLI network ls   BERTH_FULL_CLI=1: the whole CLI (picocli, Jackson) in the client's JVM, as before
#   plugin VERSION        the CNI plugin answering alone
#   plugin ADD / DEL      a CNI ADD into a namespace (after a DEL), and a DEL (after an ADD), each through a small
#                         sh script that pipes the config in, as a runtime would
#   java Hello            a JVM that prints one line: the floor for any Java client on this machine
# and prints hyperfine's table (mean, min, max) for each, plus the machine's load before and after.
#
# Usage: [RUNS=N] benchmarks/e2e/cli-startup.sh      Run as root. Needs hyperfine (.ci/install-tools), iproute2.
# Leaves no namespace, process or temp file behind.
set -u
set -o pipefail

RUNS=${RUNS:-30}
case "$RUNS" in ''|*[!0-9]*|0) echo "cli-startup.sh: RUNS must be a positive integer, got '$RUNS'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "cli-startup.sh: must run as root" >&2; exit 1; }
for t in hyperfine ip java javac; do
  command -v "$t" >/dev/null 2>&1 || { echo "cli-startup.sh: $t missing (.ci/install-tools installs it)" >&2; exit 1; }
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
P=clib$$
TMP=$(mktemp -d /tmp/berth-cli.XXXXXX)
SOCK=$TMP/s.sock
export BERTH_SOCKET=$SOCK

cleanup() {
  trap - EXIT INT TERM
  ip netns pids "$P-h" 2>/dev/null | xargs -r kill 2>/dev/null
  for _ in $(seq 50); do [ -z "$(ip netns pids "$P-h" 2>/dev/null)" ] && break; sleep 0.1; done
  ip netns pids "$P-h" 2>/dev/null | xargs -r kill -9 2>/dev/null
  for n in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$n" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$P-h" && ip -n "$P-h" link set lo up
ip netns exec "$P-h" "$BIN/berthd" --socket "$SOCK" --state-dir "$TMP/state" > "$TMP/berthd.log" 2>&1 &
for _ in $(seq 100); do "$BIN/berth" ps >/dev/null 2>&1 && break; sleep 0.2; done
"$BIN/berth" network create --subnet 10.213.0.0/24 "${P}net" >/dev/null || { cat "$TMP/berthd.log"; exit 1; }
"$BIN/berth" cni install --network "${P}net" --bin-dir "$TMP/cni-bin" --conf-dir "$TMP/cni-conf" >/dev/null || exit 1
ip netns add "$P-c"
CFG="{\"cniVersion\":\"1.0.0\",\"name\":\"b\",\"type\":\"berth\",\"network\":\"${P}net\",\"socket\":\"$SOCK\"}"
for c in ADD DEL; do
  cat > "$TMP/$c.sh" <<SH
#!/bin/sh
export CNI_COMMAND=$c CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$P-c CNI_IFNAME=eth0 CNI_PATH=$TMP/cni-bin
echo '$CFG' | $TMP/cni-bin/berth > /dev/null
SH
  chmod +x "$TMP/$c.sh"
done
echo '{"cniVersion":"1.0.0"}' > "$TMP/version.json"
printf 'public class Hello { public static void main(String[] a) { System.out.println("hi"); } }\n' > "$TMP/Hello.java"
javac -d "$TMP" "$TMP/Hello.java"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 3 -r "$RUNS" --export-markdown "$TMP/table.md" \
  -n "berth network ls" "$BIN/berth network ls" \
  -n "berth ps" "$BIN/berth ps" \
  -n "berth --help" "$BIN/berth --help" \
  -n "full CLI network ls" "env BERTH_FULL_CLI=1 $BIN/berth network ls" \
  -n "plugin VERSION" "sh -c 'CNI_COMMAND=VERSION $TMP/cni-bin/berth < $TMP/version.json'" \
  -n "java Hello" "java -Xshare:auto -XX:TieredStopAtLevel=1 -cp $TMP Hello" > "$TMP/hyperfine.out" 2>&1 \
  || { cat "$TMP/hyperfine.out"; tail -20 "$TMP/berthd.log"; exit 1; }
# ADD alone (each run after a DEL) and DEL alone (each after an ADD): one prepare per command, in order
hyperfine -N -w 3 -r "$RUNS" --export-markdown "$TMP/table-cni.md" \
  --prepare "$TMP/DEL.sh" -n "plugin ADD (sh + echo + plugin)" "$TMP/ADD.sh" \
  --prepare "$TMP/ADD.sh" -n "plugin DEL (sh + echo + plugin)" "$TMP/DEL.sh" > "$TMP/hyperfine-cni.out" 2>&1 \
  || { cat "$TMP/hyperfine-cni.out"; tail -20 "$TMP/berthd.log"; exit 1; }
"$TMP/DEL.sh"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$TMP/table.md"
tail -n +3 "$TMP/table-cni.md"
