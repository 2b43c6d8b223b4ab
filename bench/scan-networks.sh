#!/usr/bin/env bash
# Scanning at link speed by default (issue 14): Send-TcpSyn with its defaults (adaptive rate) and at its best,
# against nmap -sS (-T4, and its best exact setting) and masscan (its best exact rate), one after another in one run,
# each judged against the truth.
#
#   sudo bench/scan-networks.sh [RUNS=3]
#
# Part A, one host (198.18.2.2), as bench/scan.sh builds it: 20 open ports, 40000-40999 dropped by nftables,
#   41000-41099 rejected with ICMP port unreachable, every other port of 1-65535 closed.
# Part B, a /22 of hosts: the target namespace owns 198.18.8.0/22 (a local route: 1,024 addresses, one Linux stack)
#   behind its veth address, so the scanners reach it through a gateway (masscan needs one); ports 1-100 of the
#   1,022 hosts (network and broadcast excluded for every tool): 1, 2, 22 and 80 open, 25 dropped, 53 rejected, the rest closed.
# Part C, the Part A host behind an nftables policer (3,000 SYNs/s), ports 1-8000: who finds the rate, who loses answers.
# Part D, that host behind a lossy link (nftables drops 1 SYN in 10 at random), ports 1-8000.
#   RUNS_A / RUNS_B / RUNS_C / RUNS_D set a part's runs apart from RUNS (0 skips it).
# Nothing leaves the two namespaces (ttnetc<pid>, ttnets<pid>); they are deleted on exit.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=${1:-3}
TCPTOOLS="$ROOT/out/host/tcptools"
[[ $EUID -eq 0 ]] || { echo "scan-networks.sh: must run as root" >&2; exit 1; }
for t in ip nft nmap masscan python3; do command -v $t >/dev/null || { echo "scan-networks.sh: missing $t" >&2; exit 1; }; done
OPEN="22 80 443 3306 5432 6379 8080 8443 9090 27017 1 2 1023 1024 10000 20000 33333 44444 55555 65535"
C=ttnetc$$; S=ttnets$$; VC=ttnc$$; VS=ttns$$; CIP=198.18.2.1; SIP=198.18.2.2
WORK=$(mktemp -d /tmp/ttnet.XXXXXX)
cleanup() { ip netns pids $S 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
# The two hosts, built afresh for every Part B measurement: a scanner that leaves half-open connections (masscan
# sends no RST) would otherwise leave the target retransmitting SYN-ACKs into the next tool's run.
up() {
  ip netns add $C; ip netns add $S
  ip link add $VC netns $C type veth peer name $VS netns $S
  ip -n $C addr add $CIP/24 dev $VC; ip -n $S addr add $SIP/24 dev $VS
  for ns in $C $S; do ip -n $ns link set lo up; done
  ip -n $C link set $VC up; ip -n $S link set $VS up
  ip -n $S route add local 198.18.8.0/22 dev lo
  ip -n $C route add 198.18.8.0/22 via $SIP
  SMAC=$(ip -n $S -br link show $VS | awk '{print $3}')
  ip netns exec $S nft -f - <<NFT
table inet tt {
  chain in {
    type filter hook input priority 0;
    ip daddr $SIP tcp dport 40000-40999 drop
    ip daddr $SIP tcp dport 41000-41099 reject with icmpx type port-unreachable
    ip daddr 198.18.8.0/22 tcp dport 25 drop
    ip daddr 198.18.8.0/22 tcp dport 53 reject with icmpx type port-unreachable
  }
}
NFT
  ip netns exec $S sysctl -qw net.ipv4.icmp_ratelimit=0 net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=65536
  ip netns exec $S timeout 900 python3 -c "
import socket, sys, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', int(p))); s.listen(4096); socks.append(s)
time.sleep(890)" $OPEN &
  sleep 1
  ip netns exec $C python3 -c "import socket; s=socket.socket(); s.settimeout(1); s.connect_ex(('$SIP', 22)); s.close()"
}
down() {
  ip netns pids $S 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true
  sleep 0.5
}
up

truth_open=$(tr ' ' '\n' <<<"$OPEN" | sort -n | tr '\n' ' ')
echo "== machine: $(nproc) cores, $(uname -r); $(nmap --version | head -1); $(masscan --version 2>&1 | grep -m1 -i version)"
time_it() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>>"$WORK/stderr"; e=$(date +%s.%N); echo "$s $e" | awk '{printf "%.2f", $2 - $1}'; }

# --- Part A: one host, every port
# The one-host parts (A, C, D) judge against these, set before each part: the ports, the open ports, how many closed
# and filtered, and an awk condition the filtered ports must meet.
PORTS=1-65535; truth_closed=64415; truth_filtered=1100; filtered_where='$1>=40000 && $1<=41099'
host_tt() { # label, extra args
  local t; t=$(time_it ip netns exec $C "$TCPTOOLS" -Command "\$r = Send-TcpSyn -Target $SIP -Port $PORTS $2 -Status Open, Filtered -Verbose 4>$WORK/v.txt; [IO.File]::WriteAllLines('$WORK/tt.txt', [string[]]\$r.ForEach({ '{0} {1}' -f \$_.Port, \$_.Status }))")
  local open closed filtered fok
  open=$(awk '$2=="Open"{print $1}' $WORK/tt.txt | sort -n | tr '\n' ' ')
  closed=$(grep -o '[0-9]* closed' $WORK/v.txt | grep -o '[0-9]*')
  filtered=$(awk '$2=="Filtered"' $WORK/tt.txt | wc -l); fok=$(awk '$2=="Filtered" && ('"$filtered_where"')' $WORK/tt.txt | wc -l)
  local exact=no; [[ $open == "$truth_open" && $closed == "$truth_closed" && $filtered == "$truth_filtered" && $fok == "$truth_filtered" ]] && exact=yes
  echo "| $1 | $t | $exact | $(wc -w <<<"$open")/$(wc -w <<<"$truth_open") open, $closed closed, $filtered filtered | $(grep -o 'in [0-9.]* s:' $WORK/v.txt | head -1) $(grep -o 'peak [0-9,]* SYNs/s' $WORK/v.txt), $(grep -o '[0-9,]* at the end' $WORK/v.txt), $(grep -o '[0-9]* back-offs' $WORK/v.txt), $(grep -o '^[0-9,]* SYNs sent' $WORK/v.txt | grep -o '[0-9,]* SYNs') |"
}
host_nmap() { # label, args
  local t; t=$(time_it ip netns exec $C nmap -sS -n -Pn -p$PORTS $2 -oX $WORK/nmap.xml $SIP)
  local open closed filtered
  open=$(grep -o 'portid="[0-9]*"><state state="open"' $WORK/nmap.xml | grep -o '[0-9]*' | sort -n | tr '\n' ' ')
  closed=$(( $(grep -o '<extraports state="closed" count="[0-9]*"' $WORK/nmap.xml | grep -o '[0-9][0-9]*' || echo 0) + $(grep -c 'state state="closed"' $WORK/nmap.xml || true) ))
  filtered=$(( $(grep -o '<extraports state="filtered" count="[0-9]*"' $WORK/nmap.xml | grep -o '[0-9][0-9]*' || echo 0) + $(grep -c 'state state="filtered"' $WORK/nmap.xml || true) ))
  local exact=no; [[ $open == "$truth_open" && $closed == "$truth_closed" && $filtered == "$truth_filtered" ]] && exact=yes
  echo "| $1 | $t | $exact | $(wc -w <<<"$open")/$(wc -w <<<"$truth_open") open, $closed closed, $filtered filtered | |"
}
host_masscan() { # rate, args (masscan reports open ports only)
  local t; t=$(time_it ip netns exec $C masscan $SIP -p$PORTS --rate "$1" $2 --wait 2 --adapter $VC --adapter-ip $CIP --router-mac "$SMAC" -oL $WORK/masscan.txt)
  local open; open=$(awk '$1=="open" { print $3 }' $WORK/masscan.txt | sort -n -u | tr '\n' ' ')
  echo "| masscan --rate $1 $2 | $t | $([[ $open == "$truth_open" ]] && echo "yes (open only)" || echo no) | $(wc -w <<<"$open")/$(wc -w <<<"$truth_open") open (reports open only) | |"
}
echo
echo "== Part A: $SIP, ports 1-65535 (truth: 20 open, 64,415 closed, 1,100 filtered); $RUNS runs, tools alternating"
echo "| scanner | wall time (s) | exact | found | tcptools -Verbose: scan time, peak rate, final rate, back-offs, SYNs |"
echo "|---|---:|---|---|---|"
for run in $(seq "${RUNS_A:-$RUNS}"); do
  host_tt "tcptools Send-TcpSyn (defaults)" ""
  host_nmap "nmap -sS -p- -T4" "-T4"
  host_tt "tcptools Send-TcpSyn -Rate 200000 -MinRate 200000" "-Rate 200000 -MinRate 200000"
  for r in ${NMAP_RATES:-20000 50000}; do host_nmap "nmap -sS -p- -T5 --min-rate $r --max-retries 1" "-T5 --min-rate $r --max-retries 1"; done
done

# --- Part B: a /22 × 100 ports
NET=198.18.8.0/22
truth_b_open=4088; truth_b_filtered=2044; truth_b_closed=$((1022 * 94))  # open: 1, 2, 22, 80 (of OPEN)
net_tt() {
  local t; t=$(time_it ip netns exec $C "$TCPTOOLS" -Command "\$r = Send-TcpSyn '$NET' -Port 1-100 $2 -Status Open, Filtered -Verbose 4>$WORK/v.txt; [IO.File]::WriteAllLines('$WORK/tt.txt', [string[]]\$r.ForEach({ '{0} {1} {2}' -f \$_.Address, \$_.Port, \$_.Status }))")
  local open ok filtered closed
  open=$(awk '$3=="Open"' $WORK/tt.txt | wc -l); ok=$(awk '$3=="Open" && ($2==1 || $2==2 || $2==22 || $2==80)' $WORK/tt.txt | sort -u | wc -l)
  filtered=$(awk '$3=="Filtered" && ($2==25 || $2==53)' $WORK/tt.txt | sort -u | wc -l)
  closed=$(grep -o '[0-9]* closed' $WORK/v.txt | grep -o '[0-9]*')
  local exact=no; [[ $open == "$truth_b_open" && $ok == "$truth_b_open" && $filtered == "$truth_b_filtered" && $closed == "$truth_b_closed" ]] && exact=yes
  echo "| $1 | $t | $exact | $open open, $closed closed, $filtered filtered | $(grep -o 'in [0-9.]* s:' $WORK/v.txt | head -1) $(grep -o 'peak [0-9,]* SYNs/s' $WORK/v.txt), $(grep -o '[0-9]* back-offs' $WORK/v.txt) |"
}
net_nmap() {
  local t; t=$(time_it ip netns exec $C nmap -sS -n -Pn -p1-100 $2 --exclude 198.18.8.0,198.18.11.255 -oG $WORK/nmap.gnmap $NET)
  local open filtered closed
  open=$(awk '{ n += gsub(/[0-9]+\/open\/tcp/, "") } END { print n + 0 }' $WORK/nmap.gnmap)
  filtered=$(awk '{ n += gsub(/ (25|53)\/filtered\/tcp/, "") } END { print n + 0 }' $WORK/nmap.gnmap)
  closed=$(awk '{ n += gsub(/[0-9]+\/closed\/tcp/, ""); if (match($0, /Ignored State: closed \([0-9]+\)/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); n += s } } END { print n + 0 }' $WORK/nmap.gnmap)
  local exact=no; [[ $open == "$truth_b_open" && $filtered == "$truth_b_filtered" && $closed == "$truth_b_closed" ]] && exact=yes
  echo "| $1 | $t | $exact | $open open, $closed closed, $filtered filtered | |"
}
net_masscan() {
  local t; t=$(time_it ip netns exec $C masscan $NET -p1-100 --rate "$1" $2 --wait 2 --exclude 198.18.8.0,198.18.11.255 --adapter $VC --adapter-ip $CIP --router-mac "$SMAC" -oL $WORK/masscan.txt)
  local open; open=$(awk '$1=="open" { print $3, $4 }' $WORK/masscan.txt | sort -u | wc -l) # with --retries an answer may be listed twice
  echo "| masscan --rate $1 $2 | $t | $([[ $open == "$truth_b_open" ]] && echo "yes (open only)" || echo no) | $open open (reports open only) | |"
}
echo
echo "== Part B: $NET (1,022 hosts) × ports 1-100 (truth: 4,088 open: 1, 2, 22, 80; $truth_b_closed closed; 2,044 filtered: 25, 53); $RUNS runs"
echo "| scanner | wall time (s) | exact | found | tcptools -Verbose: scan time, peak rate, back-offs |"
echo "|---|---:|---|---|---|"
for run in $(seq "${RUNS_B:-$RUNS}"); do
  down; up; net_tt "tcptools Send-TcpSyn (defaults)" ""
  down; up; net_nmap "nmap -sS -T4" "-T4"
  for r in ${MASSCAN_RATES:-20000 100000}; do down; up; net_masscan "$r" "--retries 1"; done
done

# --- Parts C and D: one host behind an impaired path
# One nftables rule in front of the host, in a table of its own; ports 1-8000 (truth: 10 open of OPEN, 7,990 closed,
# none filtered). C: a limit that passes 3,000 SYNs a second (burst 100) and drops the rest, as a rate-limiting
# firewall or a slow link does. D: one SYN in ten dropped at random, whatever the rate (a lossy link, not an overload).
impair() { # rule
  ip netns exec $S nft -f - <<NFT
table inet impaired {
  chain in {
    type filter hook input priority -10;
    ip daddr $SIP $1
  }
}
NFT
}
PORTS=1-8000; truth_open=$(tr ' ' '\n' <<<"$OPEN" | awk '$1 <= 8000' | sort -n | tr '\n' ' '); truth_closed=7990; truth_filtered=0; filtered_where=0
police() { impair "tcp flags syn limit rate over 3000/second burst 100 packets drop"; }
lossy() { impair "tcp flags syn numgen random mod 10 0 drop"; }
echo
echo "== Part C: $SIP behind a 3,000 SYN/s policer, ports 1-8000 (truth: 10 open, 7,990 closed, 0 filtered); ${RUNS_C:-$RUNS} runs"
echo "| scanner | wall time (s) | exact | found | tcptools -Verbose: scan time, peak rate, final rate, back-offs, SYNs |"
echo "|---|---:|---|---|---|"
for run in $(seq "${RUNS_C:-$RUNS}"); do
  down; up; police; host_tt "tcptools Send-TcpSyn (defaults)" ""
  down; up; police; host_nmap "nmap -sS -T4" "-T4"
  down; up; police; host_nmap "nmap -sS -T5 --min-rate 20000 --max-retries 1" "-T5 --min-rate 20000 --max-retries 1"
  for r in ${MASSCAN_RATES_C:-20000 2500}; do down; up; police; host_masscan "$r" "--retries 1"; done
done

echo
echo "== Part D: $SIP behind a link losing 1 SYN in 10, ports 1-8000 (truth: 10 open, 7,990 closed, 0 filtered); ${RUNS_D:-$RUNS} runs"
echo "| scanner | wall time (s) | exact | found | tcptools -Verbose: scan time, peak rate, final rate, back-offs, SYNs |"
echo "|---|---:|---|---|---|"
for run in $(seq "${RUNS_D:-$RUNS}"); do
  down; up; lossy; host_tt "tcptools Send-TcpSyn (defaults)" ""
  down; up; lossy; host_nmap "nmap -sS -T4" "-T4"
  down; up; lossy; host_nmap "nmap -sS -T5 --min-rate 20000 --max-retries 1" "-T5 --min-rate 20000 --max-retries 1"
  down; up; lossy; host_masscan 100000 "--retries 1"
done
[[ -s $WORK/stderr ]] && { echo; echo "stderr (first lines):"; head -5 $WORK/stderr; } || true
