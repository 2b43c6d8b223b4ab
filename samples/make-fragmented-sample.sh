#!/usr/bin/env bash
# Writes samples/fragmented.pcap: real TCP whose packets the Linux kernel fragmented, captured on the server.
# client (198.18.6.1) -- router -- server (198.19.6.1): the router forwards at most 1000 bytes a packet (a locked
# route MTU) and neither host uses path-MTU discovery (no DF bit), so the router fragments every full-sized
# segment; and a VXLAN tunnel (VNI 7) between the two hosts over that path, whose device MTU of 1500 makes its outer
# UDP packets larger than the client's own link, so the client's kernel fragments them before the router does again.
# Three plain connections (each: 6,000 bytes up, 12,000 down, closed by the client) and two inside the tunnel
# (198.18.7.1 -> 198.18.7.2). Run as root from the repository root; namespaces ttfs*, deleted at the end.
set -euo pipefail
out=${1:-samples/fragmented.pcap}
C=ttfsc R=ttfsr S=ttfss
cleanup() { for n in $C $R $S; do { ip netns pids $n 2>/dev/null || true; } | xargs -r kill -9 || true; ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup
for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add ${C}0 netns $C type veth peer name ${R}a netns $R
ip link add ${S}0 netns $S type veth peer name ${R}b netns $R
ip -n $C addr add 198.18.6.1/24 dev ${C}0
ip -n $R addr add 198.18.6.254/24 dev ${R}a
ip -n $R addr add 198.19.6.254/24 dev ${R}b
ip -n $S addr add 198.19.6.1/24 dev ${S}0
for x in "$C ${C}0" "$R ${R}a" "$R ${R}b" "$S ${S}0"; do
  set -- $x; ip -n $1 link set $2 up
  ip netns exec $1 ethtool -K $2 tso off gso off gro off >/dev/null 2>&1 || true
done
ip -n $R route replace 198.18.6.0/24 dev ${R}a src 198.18.6.254 mtu lock 1000
ip -n $R route replace 198.19.6.0/24 dev ${R}b src 198.19.6.254 mtu lock 1000
ip -n $C route add default via 198.18.6.254
ip -n $S route add default via 198.19.6.254
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
for n in $C $S; do ip netns exec $n sysctl -qw net.ipv4.ip_no_pmtu_disc=1; done
ip -n $C link add vx7 type vxlan id 7 local 198.18.6.1 remote 198.19.6.1 dstport 4789
ip -n $S link add vx7 type vxlan id 7 local 198.19.6.1 remote 198.18.6.1 dstport 4789
ip -n $C link set vx7 address 02:00:c6:12:07:01 mtu 1500 up
ip -n $S link set vx7 address 02:00:c6:12:07:02 mtu 1500 up
ip -n $C addr add 198.18.7.1/24 dev vx7
ip -n $S addr add 198.18.7.2/24 dev vx7

ip netns exec $S timeout 20 tcpdump -i ${S}0 -n -s 0 -U -w "$out" 'tcp or udp port 4789 or (ip[6:2] & 0x1fff != 0)' 2>/dev/null &
dump=$!
sleep 1
ip netns exec $S timeout 15 python3 -c '
import socket, threading
def serve(addr):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(addr); s.listen(8)
    for _ in range(3 if addr[0].endswith("6.1") else 2):
        c, _ = s.accept(); n = 0
        while n < 6000: n += len(c.recv(65536))
        c.sendall(bytes(12000)); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
for a in [("198.19.6.1", 8080), ("198.18.7.2", 8080)]:
    threading.Thread(target=serve, args=(a,)).start()
' &
srv=$!
sleep 0.5
ip netns exec $C timeout 10 python3 -c '
import socket, time
for host, count in [("198.19.6.1", 3), ("198.18.7.2", 2)]:
    for _ in range(count):
        s = socket.create_connection((host, 8080)); s.sendall(bytes(6000)); n = 0
        while n < 12000: n += len(s.recv(65536))
        s.close(); time.sleep(0.05)
'
wait $srv
sleep 0.5
kill -INT $dump; wait $dump || true
tshark -r "$out" -q -z io,stat,0 2>/dev/null | grep -E '^\|' | tail -2 || true
