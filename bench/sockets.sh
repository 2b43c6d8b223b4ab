#!/bin/bash
# Issue 13's benchmark: Get-TcpConnection over a socket table of ~100,000 sockets (ESTABLISHED and TIME_WAIT over
# loopback, in a namespace of its own) beside ss -tan and ss -tanp, whole process (hyperfine) and warm in one pwsh
# session. Usage: bash bench/sockets.sh [established-connections] [time-wait]; needs root, python3, hyperfine,
# and a built module (dotnet build TcpTools.sln -c Release). Prints markdown for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
EST=${1:-42000}
TW=${2:-20000}
RUNS=${RUNS:-10}
NS=ttbs$$
PY=
cleanup() {
    [ -n "$PY" ] && kill "$PY" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="10000 65535" net.ipv4.tcp_max_tw_buckets=262144
fifo=$(mktemp -u); mkfifo "$fifo"
exec 3<> "$fifo"   # the holder's stdin: it stops when this script closes it (or after 900 s)
ip netns exec "$NS" python3 bench/sockets.py --established "$EST" --timewait "$TW" --seconds 900 <&3 > "$fifo.out" &
PY=$!
for _ in $(seq 1 600); do grep -q ready "$fifo.out" 2>/dev/null && break; sleep 0.5; done
grep -q ready "$fifo.out" || { echo "the socket holder did not get ready" >&2; exit 1; }
rm -f "$fifo" "$fifo.out"
in_ns() { ip netns exec "$NS" "$@"; }
total=$(in_ns ss -tanH | wc -l)
tw=$(in_ns ss -tanH state time-wait | wc -l)
echo "Socket table: $total sockets ($tw TIME_WAIT) in $NS; $(nproc) cores, $(uname -r)."
pwsh=(dotnet tool run pwsh -NoProfile -NonInteractive)
module="$PWD/out/TcpTools/TcpTools.psd1"
host="$PWD/out/host/tcptools"
echo
echo "Whole process (hyperfine, $RUNS runs, 2 warm-up; every command through ip netns exec):"
md=$(mktemp)
hyperfine -N -w 2 -r "$RUNS" --style none --export-markdown "$md" \
    "ip netns exec $NS ss -tan" \
    "ip netns exec $NS ss -tanp" \
    "ip netns exec $NS $host -Command '(Get-TcpConnection -NoOwner).Count'" \
    "ip netns exec $NS $host -Command '(Get-TcpConnection).Count'" \
    "ip netns exec $NS $host -Command '0'" > /dev/null
cat "$md"; rm -f "$md"
echo
echo "Warm, in one pwsh session (median of 10 calls after 2; ms):"
in_ns "${pwsh[@]}" -Command "
    Import-Module '$module'
    function Median([scriptblock] \$b) { 1..2 | ForEach-Object { & \$b }; \$t = 1..10 | ForEach-Object { (Measure-Command \$b).TotalMilliseconds } | Sort-Object; [math]::Round((\$t[4] + \$t[5]) / 2, 1) }
    \$n = (Get-TcpConnection -NoOwner).Count
    '| call | sockets | median ms |'
    '|---|---:|---:|'
    '| \`\$s = Get-TcpConnection -NoOwner\` | ' + \$n + ' | ' + (Median { \$s = Get-TcpConnection -NoOwner }) + ' |'
    '| \`\$s = Get-TcpConnection\` (owners) | ' + \$n + ' | ' + (Median { \$s = Get-TcpConnection }) + ' |'
    '| \`Get-TcpConnection -State TimeWait -NoOwner\` | ' + (Get-TcpConnection -State TimeWait -NoOwner).Count + ' | ' + (Median { \$s = Get-TcpConnection -State TimeWait -NoOwner }) + ' |'
    '| \`Get-TcpConnection -LocalPort 5001\` | ' + (Get-TcpConnection -LocalPort 5001).Count + ' | ' + (Median { \$s = Get-TcpConnection -LocalPort 5001 }) + ' |'
    '| \`ss -tan\` (same session, \`& ss\`) | ' + \$n + ' | ' + (Median { \$s = & ss -tan }) + ' |'
    '| \`ss -tanp\` (same session) | ' + \$n + ' | ' + (Median { \$s = & ss -tanp }) + ' |'
"
