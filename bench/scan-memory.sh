#!/usr/bin/env bash
# Memory of a huge scan (issue 14): Send-TcpSyn 198.19.0.0/16 -Port 1-65535 (4.3 billion pairs, 65,534 hosts),
# against one namespace that owns the /16 (a local route) behind its veth address. It runs for SECONDS (it would
# take hours), then Ctrl+C; the resident memory of the tcptools process is sampled every 2 s. Bounded memory means
# the RSS levels off once the probes in flight and the per-host sanity records (one per answering host) are there.
#
#   sudo bench/scan-memory.sh [SECONDS=30]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SECONDS_RUN=${1:-30}
TCPTOOLS="$ROOT/out/host/tcptools"
[[ $EUID -eq 0 ]] || { echo "scan-memory.sh: must run as root" >&2; exit 1; }
C=ttmemc$$; S=ttmems$$; VC=ttmc$$; VS=ttms$$
cleanup() { ip netns pids $S 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $C; ip netns add $S
ip link add $VC netns $C type veth peer name $VS netns $S
ip -n $C addr add 198.18.2.1/24 dev $VC; ip -n $S addr add 198.18.2.2/24 dev $VS
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C link set $VC up; ip -n $S link set $VS up
ip -n $S route add local 198.19.0.0/16 dev lo
ip -n $C route add 198.19.0.0/16 via 198.18.2.2
ip netns exec $S timeout $((SECONDS_RUN + 30)) python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 22)); s.listen(4096)
time.sleep($SECONDS_RUN + 25)" &
sleep 0.5
out=$(mktemp)
# timeout(1) as the parent: a background job of a script inherits SIGINT ignored, and Ctrl+C (SIGINT) is the test.
ip netns exec $C timeout -s KILL $((SECONDS_RUN + 60)) "$TCPTOOLS" -Command "Send-TcpSyn 198.19.0.0/16 -Port 1-65535 -Status Open -Verbose 4>$out.verbose | ForEach-Object { [IO.File]::AppendAllText('$out.count', \"\$(\$_.Address)\`n\") }" &
pid=$!
sleep 1
tt=$(pgrep -n -f "$TCPTOOLS -Command Send-TcpSyn 198.19" || true)
echo "| seconds | RSS (MB) |"
echo "|---:|---:|"
for ((t = 2; t <= SECONDS_RUN; t += 2)); do
  sleep 2
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' /proc/$tt/status 2>/dev/null || echo gone)
  echo "| $t | $rss |"
done
stop=$(date +%s.%N)
kill -INT "$tt" 2>/dev/null || true
while kill -0 "$tt" 2>/dev/null; do sleep 0.05; done
echo; echo "Ctrl+C (SIGINT) to exit: $(echo "$stop $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}') s"
wait $pid 2>/dev/null || true
echo
opens=$(wc -l < $out.count 2>/dev/null || echo 0)
# One open port (22) per host: each open found stands for about 65,535 pairs probed in the random order.
echo "open ports found before Ctrl+C: $opens (≈ $(( opens * 65535 / SECONDS_RUN )) pairs/s probed); $(head -2 $out.verbose 2>/dev/null | tail -1 | cut -c1-160)"
rm -f "$out" "$out.verbose" "$out.count"
