#!/bin/bash
# Issue 13: how long a connection must last for live Get-TcpFlow to find its process. Two namespaces (ttda, ttdb)
# on a veth pair; a python3 server in ttdb; live Get-TcpFlow in ttda while a python3 client there makes 20
# connections, each held for HOLD seconds before it closes. Prints Get-TcpFlow's Owners line (found / gone).
#   sudo bash bench/owner-latency.sh [HOLD...]      (default: 0 0.001 0.005 0.02 0.1)
set -uo pipefail
cd "$(dirname "$0")/.."
for HOLD in "${@:-0 0.001 0.005 0.02 0.1}"; do
  for HOLD1 in $HOLD; do
    cleanup() { ip netns del ttda 2>/dev/null; ip netns del ttdb 2>/dev/null; }
    cleanup
    ip netns add ttda; ip netns add ttdb
    ip link add ttdaa netns ttda type veth peer name ttdbb netns ttdb
    ip -n ttda addr add 198.18.9.1/24 dev ttdaa; ip -n ttdb addr add 198.18.9.2/24 dev ttdbb
    for ns in ttda ttdb; do ip -n $ns link set lo up; done
    ip -n ttda link set ttdaa up; ip -n ttdb link set ttdbb up
    ip netns exec ttdb timeout 20 python3 -c "
import socket
l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('198.18.9.2', 80)); l.listen(64)
while True:
    c,_=l.accept(); c.recv(100); c.send(b'ok'); c.close()" &
    sleep 0.5
    out=$(mktemp)
    ip netns exec ttda out/host/tcptools -Command 'Get-TcpFlow -Interface ttdaa -Duration 5 -Verbose | Out-Null' > "$out" 2>&1 &
    tt=$!
    sleep 2.5
    ip netns exec ttda timeout 10 python3 -c "
import socket, time
for i in range(20):
    c = socket.create_connection(('198.18.9.2', 80)); c.send(b'x'); c.recv(10); time.sleep($HOLD1); c.close(); time.sleep(0.05)"
    wait $tt
    echo "hold $HOLD1 s: $(grep -o 'Owners: .*' "$out")"
    rm -f "$out"
    cleanup
  done
done
