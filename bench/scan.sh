#!/usr/bin/env bash
# Full-port SYN scan (issue 5): Send-TcpSyn, nmap -sS and masscan scan every port of one namespace host at the
# same packet rate, one after another in one run; wall time and accuracy against the truth.
#
#   sudo bench/scan.sh [RATE=20000]   (several: for r in 20000 50000 100000; do sudo bench/scan.sh $r; done)
#
# The target host (namespace ttscans<pid>, 198.18.2.2 / fd00:198:18:2::2 is not used) listens on OPEN ports,
# drops 40000-40999 with nftables (filtered: no answer) and rejects 41000-41099 with ICMP port unreachable
# (filtered: ICMP); every other port is closed (RST). The scanners run in ttscanc<pid> (198.18.2.1). Nothing
# leaves the two namespaces; they are deleted on exit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
RATE=${1:-20000}
TCPTOOLS="$ROOT/out/host/tcptools"
[[ $EUID -eq 0 ]] || { echo "scan.sh: must run as root" >&2; exit 1; }
for t in ip nft nmap masscan python3; do command -v $t >/dev/null || { echo "scan.sh: missing $t (apt-get install -y nmap masscan nftables)" >&2; exit 1; }; done
OPEN="22 80 443 3306 5432 6379 8080 8443 9090 27017 1 2 1023 1024 10000 20000 33333 44444 55555 65535"
C=ttscanc$$; S=ttscans$$; VC=ttsc$$; VS=ttss$$; CIP=198.18.2.1; SIP=198.18.2.2
WORK=$(mktemp -d /tmp/ttscan.XXXXXX)
cleanup() { ip netns pids $S 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add $C; ip netns add $S
ip link add $VC netns $C type veth peer name $VS netns $S
ip -n $C addr add $CIP/24 dev $VC; ip -n $S addr add $SIP/24 dev $VS
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C link set $VC up; ip -n $S link set $VS up
SMAC=$(ip -n $S -br link show $VS | awk '{print $3}')
ip netns exec $S nft -f - <<NFT
table inet tt {
  chain in {
    type filter hook input priority 0;
    tcp dport 40000-40999 drop
    tcp dport 41000-41099 reject with icmpx type port-unreachable
  }
}
NFT
ip netns exec $S sysctl -qw net.ipv4.icmp_ratelimit=0
ip netns exec $S timeout 600 python3 -c "
import socket, sys, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$SIP', int(p))); s.listen(128); socks.append(s)
time.sleep(590)" $OPEN &
sleep 1
ip netns exec $C python3 -c "import socket; s=socket.socket(); s.settimeout(1); s.connect_ex(('$SIP', 22)); s.close()"  # neighbour entry (and one real connection to an open port)

truth_open=$(tr ' ' '\n' <<<"$OPEN" | sort -n | tr '\n' ' ')
echo "== machine: $(nproc) cores, $(uname -r); $(nmap --version | head -1); $(masscan --version 2>&1 | grep -m1 -i version)"
echo "== target $SIP: open {$truth_open}, filtered 40000-41099 (1000 dropped, 100 ICMP-rejected), closed: the other $((65535 - 20 - 1100)) of 1-65535; rate $RATE packets/s"

time_it() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>>"$WORK/stderr"; e=$(date +%s.%N); echo "$s $e" | awk '{printf "%.2f", $2 - $1}'; }

# --- tcptools
# Like nmap, which lists the interesting ports and counts the closed ones, it writes Open and Filtered probes
# and counts every outcome in its -Verbose summary.
t_tt=$(time_it ip netns exec $C "$TCPTOOLS" -Command "\$r = Send-TcpSyn -Target $SIP -Port 1-65535 -Rate $RATE -Timeout 1 -Retries 1 -Status Open, Filtered -Verbose 4>$WORK/tt-verbose.txt; [IO.File]::WriteAllLines('$WORK/tt.txt', [string[]]\$r.ForEach({ '{0} {1}' -f \$_.Port, \$_.Status }))")
tt_open=$(awk '$2=="Open"{print $1}' $WORK/tt.txt | sort -n | tr '\n' ' ')
tt_closed=$(grep -o '[0-9]* closed' $WORK/tt-verbose.txt | grep -o '[0-9]*')
tt_filtered=$(awk '$2=="Filtered"' $WORK/tt.txt | wc -l)
tt_filtered_ok=$(awk '$2=="Filtered" && $1>=40000 && $1<=41099' $WORK/tt.txt | wc -l)

if [[ -n ${ONLY_TCPTOOLS:-} ]]; then echo "tcptools $RATE: $t_tt s ($(grep -o "SYNs sent.*" $WORK/tt-verbose.txt)), open {$tt_open}, closed $tt_closed, filtered $tt_filtered ($tt_filtered_ok in 40000-41099)"; exit 0; fi
# --- nmap -sS (no host discovery, no DNS), same rate floor
t_nm=$(time_it ip netns exec $C nmap -sS -n -Pn -p- --min-rate "$RATE" --max-rate "$RATE" --max-retries 1 -oX $WORK/nmap.xml $SIP)
nm_open=$(grep -o 'portid="[0-9]*"><state state="open"' $WORK/nmap.xml | grep -o '[0-9]*' | sort -n | tr '\n' ' ')
nm_closed=$(( $(grep -o '<extraports state="closed" count="[0-9]*"' $WORK/nmap.xml | grep -o '[0-9][0-9]*' || echo 0) + $(grep -c 'state state="closed"' $WORK/nmap.xml || true) ))
nm_filtered=$(( $(grep -o '<extraports state="filtered" count="[0-9]*"' $WORK/nmap.xml | grep -o '[0-9][0-9]*' || echo 0) + $(grep -c 'state state="filtered"' $WORK/nmap.xml || true) ))
nm_filtered_ports=$(grep -o 'extrareasons reason="[a-z-]*" count="[0-9]*" proto="tcp" ports="[0-9,-]*"' $WORK/nmap.xml | grep -v 'reason="reset"' | sed 's/.*ports="//; s/"//' | sort | tr '\n' ' ')

# --- masscan (open ports only), same rate; it needs the target's MAC as "router" on a subnet without gateway
t_ms=$(time_it ip netns exec $C masscan $SIP -p0-65535 --rate "$RATE" --wait 2 --adapter $VC --adapter-ip $CIP --router-mac "$SMAC" -oL $WORK/masscan.txt)
ms_open=$(awk '$1=="open"{print $3}' $WORK/masscan.txt | sort -n | tr '\n' ' ')
t_ms2=$(time_it ip netns exec $C masscan $SIP -p0-65535 --rate "$RATE" --retries 1 --wait 2 --adapter $VC --adapter-ip $CIP --router-mac "$SMAC" -oL $WORK/masscan2.txt)
ms2_open=$(awk '$1=="open"{print $3}' $WORK/masscan2.txt | sort -n | tr '\n' ' ')
[[ -n ${DEBUG_XML:-} ]] && grep -E "extraports|extrareasons" $WORK/nmap.xml | head -20 || true

echo
echo "| scanner | wall time (s) | open found | open = truth | closed | filtered | filtered = 40000-41099 |"
echo "|---|---:|---:|---|---:|---:|---|"
echo "| tcptools Send-TcpSyn -Rate $RATE | $t_tt | $(wc -w <<<"$tt_open") | $([[ $tt_open == "$truth_open" ]] && echo yes || echo "NO: $(cut -c1-80 <<<"$tt_open")") | $tt_closed | $tt_filtered | $([[ $tt_filtered == 1100 && $tt_filtered_ok == 1100 ]] && echo yes || echo no) |"
echo "| nmap -sS -p- --min-rate $RATE --max-rate $RATE --max-retries 1 | $t_nm | $(wc -w <<<"$nm_open") | $([[ $nm_open == "$truth_open" ]] && echo yes || echo "NO: $(cut -c1-80 <<<"$nm_open")") | $nm_closed | $nm_filtered | $([[ $nm_filtered == 1100 && $nm_filtered_ports == "40000-40999 41000-41099 " ]] && echo yes || echo "no: $(cut -c1-60 <<<"$nm_filtered_ports")...") |"
echo "| masscan -p0-65535 --rate $RATE --retries 1 | $t_ms2 | $(wc -w <<<"$ms2_open") | $([[ $ms2_open == "$truth_open" ]] && echo yes || echo "NO: $(cut -c1-80 <<<"$ms2_open")") | (not reported) | (not reported) | (not reported) |"
echo "| masscan -p0-65535 --rate $RATE | $t_ms | $(wc -w <<<"$ms_open") | $([[ $ms_open == "$truth_open" ]] && echo yes || echo "NO: $(cut -c1-80 <<<"$ms_open")") | (not reported) | (not reported) | (not reported) |"
