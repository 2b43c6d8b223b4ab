#!/usr/bin/env bash
# Live capture rate (issue 4): the highest replay rate at which live capture keeps up with zero drops, for
# `tcptools Get-TcpFlow -Interface` and for `tcpdump -w /dev/null`, side by side at the same rates.
#
#   sudo bench/live.sh [FILE=bench/data/bench.pcap] [RATES="200000 400000 600000 800000 1000000 1200000 top"]
#
# Two namespaces (ttlivea<pid>, ttliveb<pid>) joined by a veth pair; tcpreplay in A sends FILE's packets
# (198.18.1.x, real TCP traffic recorded by make-capture.sh) at each rate for SECONDS (default 5) onto the veth;
# the capture runs in B on its end. Nothing leaves the two namespaces; they are deleted on exit.
# Each contender gets the same packets at the same rate; drops are what libpcap reports (ps_drop + ps_ifdrop),
# and "seen" is what the capture received, against what tcpreplay says it sent. CPU is user+system seconds of
# the capturing process for the whole run (tcptools' includes ~0.7 s of PowerShell start-up).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
FILE=$(realpath "${1:-$HERE/data/bench.pcap}")
RATES=${2:-"200000 400000 600000 800000 1000000 1200000 top"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-5}
# Issue 13: FLOW_ARGS is added to Get-TcpFlow (-NoOwner to measure without the owner lookup); LOCAL=1 gives namespace
# B the capture's addresses, so every replayed connection is one of B's own and is looked up in its socket table.
FLOW_ARGS=${FLOW_ARGS:-}
LOCAL=${LOCAL:-0}
TCPTOOLS="$ROOT/out/host/tcptools"
[[ $EUID -eq 0 ]] || { echo "live.sh: must run as root" >&2; exit 1; }
for t in ip tcpreplay tcpdump; do command -v $t >/dev/null || { echo "live.sh: missing $t (apt-get install -y tcpreplay tcpdump iproute2)" >&2; exit 1; }; done
[[ -x $TCPTOOLS ]] || { echo "live.sh: build first (dotnet build -c Release)" >&2; exit 1; }

A=ttlivea$$; B=ttliveb$$; VA=ttla$$; VB=ttlb$$
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add $VA netns $A type veth peer name $VB netns $B
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set $VA up; ip -n $B link set $VB up
if [[ $LOCAL == 1 ]]; then
    for a in $(tshark -r "$FILE" -c 20000 -T fields -e ip.src -e ip.dst 2>/dev/null | tr '\t' '\n' | sort -u); do
        ip -n $B addr add "$a/32" dev $VB
    done
fi
ip netns exec $A ethtool -K $VA tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec $B ethtool -K $VB tso off gso off gro off >/dev/null 2>&1 || true

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r); $(tcpdump --version 2>&1 | head -1); $(tcpreplay --version 2>&1 | head -1)"
echo "== replaying $FILE for ${SECONDS_PER_RATE}s per rate"
echo "| asked (pps) | tcpdump run: sent @ achieved pps | tcpdump seen | tcpdump dropped | tcpdump CPU s | tcptools run: sent @ achieved pps | tcptools seen | tcptools dropped | tcptools CPU s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

replay() { # rate ("top" for --topspeed) -> "packets-sent achieved-pps"
    local rate=$1 n=$(( ${1/top/400000} * SECONDS_PER_RATE )) speed out
    if [[ $rate == top ]]; then speed=--topspeed; else speed=--pps=$rate; fi
    out=$(ip netns exec $A timeout 120 tcpreplay -i $VA $speed --loop=0 --limit="$n" --preload-pcap "$FILE" 2>&1)
    echo "$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' <<<"$out" | head -1) $(sed -n 's/.*Rated: .* \([0-9.]*\) pps.*/\1/p' <<<"$out" | head -1 | cut -d. -f1)"
}

for rate in $RATES; do
    # tcpdump, as the peer: 64 MiB buffer (-B 65536), snap 262144, to /dev/null.
    log=$(mktemp)
    ip netns exec $B timeout 300 /usr/bin/time -f "cpu %U %S" tcpdump -i $VB -B 65536 -w /dev/null -n >"$log" 2>&1 &
    td=$!
    sleep 1
    read -r sent_td pps_td <<<"$(replay "$rate")"
    sleep 1
    pkill -INT -f "tcpdump -i $VB " || true; wait $td || true
    td_cpu=$(awk '/^cpu /{printf "%.2f", $2 + $3}' "$log")
    td_seen=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$log")
    td_drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$log")
    td_ifdrop=$(sed -n 's/^\([0-9]*\) packets dropped by interface.*/\1/p' "$log")
    rm -f "$log"

    # tcptools: Get-TcpFlow tracking every connection live, same buffer, for the replay plus margins.
    out=$(mktemp)
    ip netns exec $B timeout 300 /usr/bin/time -f "cpu %U %S" "$TCPTOOLS" -Command "Get-TcpFlow -Interface $VB -Duration $((SECONDS_PER_RATE * 2 + 6)) $FLOW_ARGS -Verbose | Out-Null" >"$out" 2>&1 &
    tt=$!
    for _ in $(seq 100); do grep -q "Capturing on" "$out" && break; sleep 0.1; done
    read -r sent_tt pps_tt <<<"$(replay "$rate")"
    wait $tt || true
    line=$(grep -m1 "^VERBOSE: $VB: " "$out" || true)
    tt_cpu=$(awk '/^cpu /{printf "%.2f", $2 + $3}' "$out")
    tt_seen=$(sed -n 's/.*: \([0-9]*\) received, .*/\1/p' <<<"$line")
    tt_drop=$(sed -n 's/.*received, \([0-9]*\) dropped by the kernel, \([0-9]*\) dropped by the interface.*/\1+\2/p' <<<"$line")
    rm -f "$out"
    echo "| $rate | $sent_td @ $pps_td | $td_seen | $((td_drop + ${td_ifdrop:-0})) | $td_cpu | $sent_tt @ $pps_tt | $tt_seen | $(( ${tt_drop:-0} )) | $tt_cpu |"
done
