#!/bin/bash
# Records the known-answer vector of vxlan's WireGuardGoVectorTest from a real wireguard-go (issue 29): berth's
# handshake code initiates with fixed keys, wireguard-go answers, and a ping goes through the session. Prints the
# lines the test's resource file holds (vxlan/src/test/resources/wireguard-go-vector.txt). Needs root, wireguard-go
# and a built tree (mvn -o install -DskipTests). Everything stays on the loopback of a namespace it makes and removes.
set -euo pipefail
cd "$(dirname "$0")/../.."
ns="wgrec$$"
iface="wgr$$"
cleanup() { pkill -f "wireguard-go -f $iface" 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; rm -f "/var/run/wireguard/$iface.sock"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$iface" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -S "/var/run/wireguard/$iface.sock" ] && break; sleep 0.1; done
cp=$(cat vxlan/target/classpath.txt 2>/dev/null || (cd vxlan && mvn -q -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null && cat target/classpath.txt))
cp="vxlan/target/test-classes:vxlan/target/classes:dataplane/target/classes:$cp"
# wireguard-go's configuration: its private key, and berth's side as the peer at 127.0.0.1:40000
conf=$(java -cp "$cp" io.berth.vxlan.wireguard.RecordWireGuardGoHandshake config)
ip netns exec "$ns" /usr/bin/python3 -c '
import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2].strip() + "\n\n").encode()); print(s.recv(4096).decode().strip(), file=sys.stderr)
' "/var/run/wireguard/$iface.sock" "$conf"
ip -n "$ns" addr add 10.77.0.1/24 dev "$iface"
ip -n "$ns" link set "$iface" up
ip netns exec "$ns" java -cp "$cp" io.berth.vxlan.wireguard.RecordWireGuardGoHandshake 51999 40000
