#!/usr/bin/env bash
# berth demo: builds berth, starts berthd in a private network namespace, and shows its main job — a
# user-defined network whose containers ping and talk TCP to each other, a container on another network
# that cannot reach them, containers reaching "the outside" (another private namespace behind berthd's
# uplink) and being reached there through a published port, the dataplane's counters and tracked
# connections — then removes everything (also when interrupted).
# Run as root from anywhere: ./demo.sh   (set SKIP_BUILD=1 to reuse an existing build)
# No packet leaves the demo's own namespaces.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh needs root (network namespaces and TAP devices): sudo ./demo.sh" >&2
  exit 1
fi

bold=""; dim=""; off=""
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); dim=$(tput dim 2>/dev/null || true); off=$(tput sgr0 2>/dev/null || true); fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
show() { printf '%s$ %s%s\n' "$dim" "$*" "$off"; "$@"; }

# ---------------------------------------------------------------------------------------------- setup
step "Installing missing tools (apt-get, only what is missing)"
.ci/install-tools

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  step "Building berth (mvn -B -q -DskipTests package)"
  mvn -B -q -DskipTests package
fi

ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
HOSTNS="demo${ID}-h"                    # berthd's own namespace: the demo never touches the real host's network
TMP=$(mktemp -d "/tmp/berth-demo-${ID}-XXXX")
export BERTH_SOCKET="$TMP/berthd.sock"
WEB="demo${ID}-web"; CLIENT="demo${ID}-cli"; OTHER="demo${ID}-oth"; OUTSIDE="demo${ID}-out"
BERTHD_PID=""

cleanup() {
  set +e
  step "Cleaning up"
  if [ -n "$BERTHD_PID" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    for c in "$WEB" "$CLIENT" "$OTHER"; do bin/berth rm -f "$c" >/dev/null 2>&1; done
    bin/berth network rm demo-net demo-other >/dev/null 2>&1
    kill -TERM "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BERTHD_PID" 2>/dev/null
  fi
  for ns in $(ip netns list | awk '{print $1}' | grep "^demo${ID}-"); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns delete "$ns" 2>/dev/null
  done
  rm -rf "$TMP"
  echo "removed berthd, its containers, namespaces and $TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------- berthd
step "Starting berthd in its own network namespace $HOSTNS"
ip netns add "$HOSTNS"
ip -n "$HOSTNS" link set lo up
# "the outside": another namespace on a veth whose other end is berthd's uplink (no kernel address on it:
# berthd owns 203.0.113.1 there, answers ARP for it and masquerades the containers behind it)
ip netns add "$OUTSIDE"
ip -n "$OUTSIDE" link set lo up
ip -n "$HOSTNS" link add uplink0 type veth peer name eth0 netns "$OUTSIDE"
ip -n "$HOSTNS" link set uplink0 up
ip -n "$OUTSIDE" addr add 203.0.113.2/24 dev eth0
ip -n "$OUTSIDE" link set eth0 up
ip netns exec "$HOSTNS" bin/berthd --socket "$BERTH_SOCKET" --state-dir "$TMP/state" \
  --uplink uplink0 --uplink-ip 203.0.113.1/24 >"$TMP/berthd.log" 2>&1 &
BERTHD_PID=$!
for i in $(seq 1 300); do
  if [ -S "$BERTH_SOCKET" ] && bin/berth network ls >/dev/null 2>&1; then break; fi
  if ! kill -0 "$BERTHD_PID" 2>/dev/null || [ "$i" = 300 ]; then
    echo "berthd did not start; its log:" >&2; cat "$TMP/berthd.log" >&2; exit 1
  fi
  sleep 0.2
done
head -n 3 "$TMP/berthd.log"
echo "socket: $BERTH_SOCKET   state: $TMP/state"

# ---------------------------------------------------------------------------------------------- networks
step "A user-defined network (like: docker network create --subnet 192.168.100.0/24 ...)"
show bin/berth network create --driver bridge --subnet 192.168.100.0/24 --ip-range 192.168.100.0/26 \
  --gateway 192.168.100.1 demo-net
show bin/berth network create --subnet 10.99.0.0/24 demo-other
show bin/berth network ls

step "Three containers: web and cli on demo-net, oth on demo-other"
show bin/berth run -d --name "$WEB" --network demo-net -p 12211:8080 -- python3 -m http.server 8080
show bin/berth run -d --name "$CLIENT" --network demo-net
show bin/berth run -d --name "$OTHER" --network demo-other
show bin/berth ps
WEB_IP=$(ip netns exec "$WEB" ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
CLIENT_IP=$(ip netns exec "$CLIENT" ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
echo "web = $WEB_IP, cli = $CLIENT_IP"

step "Inside a container: eth0 (a TAP device berthd holds), lo, a default route via the gateway"
show ip netns exec "$CLIENT" ip -br addr
show ip netns exec "$CLIENT" ip route

# ---------------------------------------------------------------------------------------------- traffic
step "Same network: ping both ways, and the gateway (answered by berthd's dataplane)"
show ip netns exec "$CLIENT" ping -c 3 -i 0.3 "$WEB_IP"
show ip netns exec "$WEB" ping -c 2 -i 0.3 "$CLIENT_IP"
show ip netns exec "$CLIENT" ping -c 2 -i 0.3 192.168.100.1

step "Same network: TCP — cli fetches a page from web's python http.server"
for _ in $(seq 1 30); do
  ip netns exec "$CLIENT" curl -s -o /dev/null -m 2 "http://$WEB_IP:8080/" && break
  sleep 0.3
done
show ip netns exec "$CLIENT" curl -sS -m 5 -o /dev/null -w 'HTTP %{http_code}, %{size_download} bytes in %{time_total}s\n' \
  "http://$WEB_IP:8080/"

step "Different network: oth cannot reach web (isolation, no iptables involved)"
if ip netns exec "$OTHER" ping -c 2 -W 1 "$WEB_IP" >/dev/null 2>&1; then
  echo "UNEXPECTED: oth reached $WEB_IP"; exit 1
else
  echo "ping $WEB_IP from oth: no reply — isolated, as it should be"
fi
if ip netns exec "$OTHER" curl -s -m 2 -o /dev/null "http://$WEB_IP:8080/"; then
  echo "UNEXPECTED: oth fetched from $WEB_IP"; exit 1
else
  echo "curl http://$WEB_IP:8080/ from oth: no connection — isolated"
fi

# ---------------------------------------------------------------------------------------------- outside
step "Reaching the outside: cli fetches from a server outside; the server sees berthd's uplink address (masquerade)"
(ip netns exec "$OUTSIDE" python3 -m http.server 8000 >"$TMP/outside.log" 2>&1 &) # not a job: cleanup kills it quietly
for _ in $(seq 1 30); do
  ip netns exec "$OUTSIDE" curl -s -o /dev/null -m 1 http://203.0.113.2:8000/ && break
  sleep 0.2
done
show ip netns exec "$CLIENT" curl -sS -m 5 -o /dev/null -w 'HTTP %{http_code} from the outside server\n' http://203.0.113.2:8000/
echo "the outside server's log (client address first):"
grep -v '^$' "$TMP/outside.log" | grep -v 203.0.113.2 | tail -n 1
show ip netns exec "$CLIENT" ping -c 2 -i 0.3 203.0.113.2

step "Being reached: web was started with -p 12211:8080"
show bin/berth port "$WEB"
echo "from the outside, to berthd's uplink address (DNAT in the dataplane):"
show ip netns exec "$OUTSIDE" curl -sS -m 5 -o /dev/null -w 'HTTP %{http_code}, %{size_download} bytes\n' http://203.0.113.1:12211/
echo "from the host itself, at 127.0.0.1 (userland proxy, as docker-proxy does):"
show ip netns exec "$HOSTNS" curl -sS -m 5 -o /dev/null -w 'HTTP %{http_code}, %{size_download} bytes\n' http://127.0.0.1:12211/
echo "from cli, through the uplink address (hairpin):"
show ip netns exec "$CLIENT" curl -sS -m 5 -o /dev/null -w 'HTTP %{http_code}, %{size_download} bytes\n' http://203.0.113.1:12211/

step "The connections berthd tracked (like conntrack -L)"
show bin/berth conntrack ls

step "What the dataplane counted (oth's attempts show up as drops: isolated_networks)"
show bin/berth counters

step "Inspecting"
show bin/berth network inspect demo-net
show bin/berth inspect "$WEB"

step "Done — removing everything"
# cleanup runs from the EXIT trap
