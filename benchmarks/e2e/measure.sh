# The measurements compare.sh and compare-peers.sh make on a two-container topology (sourced; not run on its
# own): TCP c2->c1 (iperf3), 64-byte frames delivered per second (trafgen, counted at c1's eth0), ping RTT after
# a warm-up, and the CPU spent. The caller defines T (window seconds), TMP, the associative array R, and sources
# lib.sh (run_bg, machine_busy_ticks, steal_ticks, total_ticks, cpu_ticks_ns) first.

iperf_gbps() {  # $1 client ns, $2 server ns, $3 server ip  -> TCP Gbps, sum_received
  local c=$1 s=$2 ip=$3 port=5201 out=$TMP/iperf.$1.json
  ip netns exec "$s" iperf3 -s -p $port -1 >/dev/null 2>&1 &
  local spid=$!
  for _ in $(seq 50); do ip netns exec "$s" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break; sleep 0.1; done
  timeout $((T + 30)) ip netns exec "$c" iperf3 -c "$ip" -p $port -t "$T" -J > "$out" 2>&1
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

rx_packets() { ip -n "$1" -s -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
# frames the sender's eth0 dropped on transmit: a TAP whose reader (berthd) falls behind drops at its queue, and
# trafgen counts only what the device took, so offered load = trafgen's count + these
tx_dropped() { ip -n "$1" -s -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'; }

frames_mpps() {  # $1 sender ns, $2 receiver ns, $3 sender ip, $4 receiver ip -> "delivered sent dropped" in Mpps
  # delivered: rx packets of the receiver's eth0 over the window; sent: what trafgen reports it sent; dropped:
  # what the sender's eth0 dropped on transmit in the window (its queue was full)
  local snd=$1 rcv=$2 sip=$3 dip=$4 mac cfg=$TMP/64b.trafgen r0 r1 d0 d1 sent
  mac=$(ip -n "$rcv" -br link show eth0 | awk '{print $3}')
  [ -n "$mac" ] || { echo "trafgen: no MAC on $rcv eth0" >&2; return 1; }
  ip netns exec "$snd" ping -c1 -W2 -q "$dip" >/dev/null 2>&1    # make sure a switch has learned both MACs
  # 14 Ethernet + 20 IPv4 + 8 UDP + 18 fill = 60 bytes, 64 on the wire with the FCS
  cat > "$cfg" <<TG
{ eth(da=$mac, type=0x0800), ipv4(sa=$sip, da=$dip, ttl=64, proto=17), udp(sp=9, dp=9), fill(0x00, 18) }
TG
  r0=$(rx_packets "$rcv"); d0=$(tx_dropped "$snd")
  ip netns exec "$snd" timeout "$T" trafgen -i "$cfg" -o eth0 --cpus 1 >"$TMP/trafgen.out" 2>&1
  sleep 0.2                                                      # let in-flight frames land
  r1=$(rx_packets "$rcv"); d1=$(tx_dropped "$snd")
  sent=$(tr '\r' '\n' < "$TMP/trafgen.out" | awk '/packets outgoing/ {print $1; exit}')
  [ -n "$sent" ] || { echo "trafgen: no 'packets outgoing' in its output: $(tail -3 "$TMP/trafgen.out")" >&2; return 1; }
  python3 -c "print('%.3f %.3f %.3f' % (($r1-$r0)/$T/1e6, $sent/$T/1e6, ($d1-$d0)/$T/1e6))"
}

ping_avg_ms() {  # $1 client ns, $2 target ip -> "average median" RTT in ms
  ip netns exec "$1" ping -c 5 -i 0.2 -W 2 -q "$2" >/dev/null 2>&1     # warm-up: ARP, MAC learning
  # then 20,000 back-to-back echoes on both sides alike: berthd's packet path is JIT-compiled code, and the
  # steady state is what is compared (a kernel has no warm-up to do; this costs it ~1 s)
  ip netns exec "$1" ping -f -c 20000 -W 2 -q "$2" >/dev/null 2>&1
  ip netns exec "$1" ping -c 200 -i 0.005 -W 2 "$2" > "$TMP/ping.out" 2>&1
  python3 - "$TMP/ping.out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
loss = re.search(r"(\d+(?:\.\d+)?)% packet loss", t)
m = re.search(r"= [\d.]+/([\d.]+)/[\d.]+/[\d.]+ ms", t)
if not m:
    sys.stderr.write("ping: %s\n" % t.strip()[-300:]); sys.exit(1)
if loss and float(loss.group(1)) > 0:
    sys.stderr.write("ping: %s%% packet loss\n" % loss.group(1))
times = sorted(float(x) for x in re.findall(r"time=([\d.]+)", t))
print(m.group(1), "%.3f" % times[len(times) // 2] if times else "-")
PY
}

HZ=$(getconf CLK_TCK)

measure() {  # $1 side, $2 client ns (c2), $3 server ns (c1), $4 c2 ip, $5 c1 ip [, $6 ns whose CPU time to count]
  local side=$1 c=$2 s=$3 cip=$4 sip=$5 cpu_ns=${6:-} v x0 m0 st0 all0
  st0=$(steal_ticks); all0=$(total_ticks)
  echo "[$side] ping c2->c1 ..." >&2
  [ -z "$cpu_ns" ] || x0=$(cpu_ticks_ns "$cpu_ns")
  run_bg ping_avg_ms "$c" "$sip" && v=$(<"$TMP/result") && { R[$side.ping]=${v% *}; R[$side.ping_median]=${v#* }; } ||
    R[$side.err]+="ping failed; "
  [ -z "$cpu_ns" ] || R[$side.cpu_ping]=$(( $(cpu_ticks_ns "$cpu_ns") - x0 ))
  echo "[$side] TCP c2->c1, ${T} s ..." >&2
  [ -z "$cpu_ns" ] || x0=$(cpu_ticks_ns "$cpu_ns")
  m0=$(machine_busy_ticks)
  run_bg iperf_gbps "$c" "$s" "$sip" && v=$(<"$TMP/result") && R[$side.tcp]=$v || R[$side.err]+="iperf3 failed; "
  R[$side.mcpu_tcp]=$(( $(machine_busy_ticks) - m0 ))
  [ -z "$cpu_ns" ] || R[$side.cpu_tcp]=$(( $(cpu_ticks_ns "$cpu_ns") - x0 ))
  echo "[$side] 64-byte frames c2->c1, ${T} s ..." >&2
  [ -z "$cpu_ns" ] || x0=$(cpu_ticks_ns "$cpu_ns")
  m0=$(machine_busy_ticks)
  run_bg frames_mpps "$c" "$s" "$cip" "$sip" && v=$(<"$TMP/result") &&
    { read -r R[$side.mpps] R[$side.offered] R[$side.dropped] <<<"$v"; } ||
    R[$side.err]+="trafgen failed: $(tail -3 "$TMP/trafgen.out" 2>/dev/null | tr '\n' ' '); "
  R[$side.mcpu_mpps]=$(( $(machine_busy_ticks) - m0 ))
  [ -z "$cpu_ns" ] || R[$side.cpu_mpps]=$(( $(cpu_ticks_ns "$cpu_ns") - x0 ))
  R[$side.steal]=$(python3 -c "print('%.1f' % (100.0 * ($(steal_ticks) - $st0) / max(1, $(total_ticks) - $all0)))")
}

