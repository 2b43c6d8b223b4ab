#!/usr/bin/env bash
# Regenerate the reference captures in this directory and their tshark readings.
#
#   sudo ./make-captures.sh
#
# (Debugging: `KEEP_WORK=1 ./make-captures.sh eth_ipv4 sack_loss` runs only the
# named captures, or derivations such as ack_lost after what they derive from,
# and keeps them in a temp dir; nothing is copied here.)
#
# Needs root, iproute2, ethtool, nftables, tcpdump, dumpcap, tshark/capinfos
# (Wireshark 4.0.x) and python3. All traffic stays inside network namespaces
# named tt* created (and always deleted again, see `trap`) by this script, using
# 198.18.0.0/15 and fd00:198:18::/64 only; nothing is configured on the host's
# own interfaces. Every process runs under `timeout`.
#
# The structure of every capture is deterministic (same connections, ports,
# MACs, addresses, payload sizes); timestamps, ISNs, TS values and a few ACK
# timings differ from run to run. See README.md.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}
# Traffic processes all run on CPU 0: veth delivers through per-CPU backlog
# queues, so a sender running on two CPUs at once (process context and
# softirq) can otherwise show up reordered in the capture.
PIN="taskset -c 0"

NS_C=ttcapc             # client namespace (captures are taken here)
NS_S=ttcaps             # server namespace
NS_M=ttcapm             # middle namespace (VLAN bridge only)
ALL_NS="$NS_C $NS_S $NS_M"
V4C=198.18.0.1 V4S=198.18.0.2
V6C=fd00:198:18::1 V6S=fd00:198:18::2
T4C=198.18.1.1 T4S=198.18.1.2            # tun (raw IP) link
MAC_C=02:00:c6:12:00:01 MAC_S=02:00:c6:12:00:02
PORT=5000 BULKPORT=5001 CLOSEDPORT=5999

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in ip ethtool nft tcpdump dumpcap tshark capinfos editcap timeout taskset "$PY"; do
    command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/ttcaptures.XXXXXX)
PIDS=()

log() { printf '== %s\n' "$*" >&2; }

del_namespaces() {
    local ns
    for ns in $ALL_NS; do
        if ip netns list | grep -qw "^$ns"; then
            # kill anything still running inside (only processes of this namespace)
            local p
            for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
}

cleanup() {
    local rc=$?
    set +e
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    del_namespaces
    if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
    [ $rc = 0 ] || echo "make-captures.sh FAILED (rc=$rc)" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# spawn NAME NS SECONDS CMD... : start CMD under timeout inside NS, log to $WORK/NAME.log
spawn() {
    local name=$1 ns=$2 secs=$3; shift 3
    ip netns exec "$ns" timeout "$secs" "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    eval "PID_${name//-/_}=$!"
}
pid_of() { local v="PID_${1//-/_}"; echo "${!v}"; }

wait_for_line() {   # wait_for_line NAME PATTERN : up to 10 s for PATTERN in NAME.log
    local i
    for i in $(seq 100); do
        grep -q "$2" "$WORK/$1.log" 2>/dev/null && return 0
        kill -0 "$(pid_of "$1")" 2>/dev/null || break
        sleep 0.1
    done
    echo "$1 did not become ready:" >&2; cat "$WORK/$1.log" >&2; return 1
}

finish() {          # finish NAME : wait for a background process that must succeed
    if ! wait "$(pid_of "$1")"; then
        echo "$1 failed:" >&2; cat "$WORK/$1.log" >&2; return 1
    fi
}

start_capture() {   # start_capture NAME NS CMD... (tcpdump or dumpcap)
    local name=$1 ns=$2; shift 2
    spawn "$name" "$ns" 60 "$@"
    wait_for_line "$name" 'listening on\|Capturing on'
    sleep 0.5
}

stop_capture() {    # stop_capture NAME : SIGTERM (forwarded by timeout), check no drops
    sleep 1.5           # let the capture ring hand over the last packets
    kill -TERM "$(pid_of "$1")"
    wait "$(pid_of "$1")" || true
    cat "$WORK/$1.log" >&2
    if grep -q '[1-9][0-9]* packets\? dropped' "$WORK/$1.log"; then
        echo "$1: capture dropped packets" >&2; return 1
    fi
}

new_ns() {          # new_ns NS IPV6(0|1)
    local ns=$1 v6=$2 dis=1
    [ "$v6" = 1 ] && dis=0
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=$dis net.ipv6.conf.default.disable_ipv6=$dis
    in_ns "$ns" sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
        net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=2
    ip -n "$ns" link set lo up
}

no_offload() {      # no_offload NS DEV : software checksums and segmentation only
    in_ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
        in_ns "$1" ethtool -K "$2" tx off >/dev/null
}

setup_pair() {      # setup_pair FAMILIES ("4", "6" or "46") : ttcapc/vcapc <-veth-> vcaps/ttcaps
    local fam=$1 v6=0
    case $fam in *6*) v6=1 ;; esac
    del_namespaces
    new_ns $NS_C $v6
    new_ns $NS_S $v6
    ip -n $NS_C link add vcapc address $MAC_C type veth peer name vcaps address $MAC_S netns $NS_S
    no_offload $NS_C vcapc
    no_offload $NS_S vcaps
    address_ends vcapc vcaps "$fam"
}

address_ends() {    # address_ends CLIENT_DEV SERVER_DEV FAMILIES : addresses + static neighbours
    local dc=$1 ds=$2 fam=$3
    case $fam in *4*)
        ip -n $NS_C addr add $V4C/24 dev "$dc"
        ip -n $NS_S addr add $V4S/24 dev "$ds"
        ip -n $NS_C neigh replace $V4S lladdr $MAC_S dev "$dc" nud permanent
        ip -n $NS_S neigh replace $V4C lladdr $MAC_C dev "$ds" nud permanent ;;
    esac
    case $fam in *6*)
        ip -n $NS_C addr add $V6C/64 dev "$dc" nodad
        ip -n $NS_S addr add $V6S/64 dev "$ds" nodad
        ip -n $NS_C neigh replace $V6S lladdr $MAC_S dev "$dc" nud permanent
        ip -n $NS_S neigh replace $V6C lladdr $MAC_C dev "$ds" nud permanent ;;
    esac
    ip -n $NS_C link set "$dc" up
    ip -n $NS_S link set "$ds" up
    sleep 0.3
}

# reqresp SERVER_NS SERVER_ADDR CLIENT_SPORT : one request/response connection
reqresp() {
    local sns=$1 addr=$2 sport=$3 tag="srv$3"
    rm -f "$WORK/$tag.ready"
    spawn "$tag" "$sns" 30 $PIN "$PY" "$HERE/tt-traffic.py" server "$addr" $PORT "$WORK/$tag.ready"
    local i
    for i in $(seq 100); do [ -e "$WORK/$tag.ready" ] && break; sleep 0.1; done
    [ -e "$WORK/$tag.ready" ] || { cat "$WORK/$tag.log" >&2; return 1; }
    in_ns $NS_C timeout 20 $PIN "$PY" "$HERE/tt-traffic.py" client "$addr" $PORT "$sport"
    finish "$tag"
    sleep 0.2
}

refused() {         # refused ADDR CLIENT_SPORT : SYN to a closed port -> RST/ACK
    in_ns $NS_C timeout 20 $PIN "$PY" "$HERE/tt-traffic.py" refused "$1" $CLOSEDPORT "$2"
    sleep 0.2
}

teardown() { del_namespaces; }

# ---------------------------------------------------------------- captures --

cap_eth_ipv4() {
    log "eth-ipv4.pcap"
    setup_pair 4
    start_capture cap $NS_C tcpdump -n --immediate-mode -i vcapc -Z root -U -w "$WORK/eth-ipv4.pcap" tcp
    reqresp $NS_S $V4S 40000
    refused $V4S 40001
    stop_capture cap
    teardown
}

cap_eth_ipv6() {
    log "eth-ipv6.pcap"
    setup_pair 6
    start_capture cap $NS_C tcpdump -n --immediate-mode -i vcapc -Z root -U --time-stamp-precision nano \
        -w "$WORK/eth-ipv6.pcap" tcp
    reqresp $NS_S $V6S 40000
    refused $V6S 40001
    stop_capture cap
    teardown
}

cap_vlan_ipv4() {
    # No 8021q in this kernel (and no tc vlan action): the two namespaces are
    # joined through a middle namespace where vlan-bridge.py tags frames onto
    # a veth "trunk" (vtrkc <-> vtrks) and untags them again on the far side:
    #   ttcapc:vcapc -- vbrc:[bridge]:vtrkc ==trunk== vtrks:[bridge]:vbrs -- vcaps:ttcaps
    log "vlan-ipv4.pcap"
    del_namespaces
    new_ns $NS_C 0
    new_ns $NS_S 0
    new_ns $NS_M 0
    ip -n $NS_C link add vcapc address $MAC_C type veth peer name vbrc netns $NS_M
    ip -n $NS_S link add vcaps address $MAC_S type veth peer name vbrs netns $NS_M
    ip -n $NS_M link add vtrkc type veth peer name vtrks
    no_offload $NS_C vcapc
    no_offload $NS_S vcaps
    local d
    for d in vbrc vbrs vtrkc vtrks; do
        no_offload $NS_M $d
        ip -n $NS_M link set $d up
    done
    spawn bridge $NS_M 60 $PIN "$PY" "$HERE/vlan-bridge.py" 100 50 vbrc:vtrkc vbrs:vtrks
    wait_for_line bridge 'bridge ready'
    address_ends vcapc vcaps 4
    start_capture cap $NS_M tcpdump -n --immediate-mode -i vtrkc -Z root -U -w "$WORK/vlan-ipv4.pcap"
    reqresp $NS_S $V4S 40000
    refused $V4S 40001
    stop_capture cap
    kill "$(pid_of bridge)"; wait "$(pid_of bridge)" || true
    teardown
}

cap_sll_ipv4() {
    log "sll-ipv4.pcap"
    setup_pair 4
    start_capture cap $NS_C tcpdump -n --immediate-mode -i any -y LINUX_SLL -Z root -U -w "$WORK/sll-ipv4.pcap" tcp
    reqresp $NS_S $V4S 40000
    refused $V4S 40001
    stop_capture cap
    teardown
}

cap_sll2_ipv6() {
    log "sll2-ipv6.pcap"
    setup_pair 6
    start_capture cap $NS_C tcpdump -n --immediate-mode -i any -y LINUX_SLL2 -Z root -U -w "$WORK/sll2-ipv6.pcap" tcp
    reqresp $NS_S $V6S 40000
    refused $V6S 40001
    stop_capture cap
    teardown
}

cap_rawip_ipv4() {
    # No ipip/sit/ip6tnl in this kernel: a point-to-point raw IP link made of
    # one tun device per namespace joined by tun-relay.py. libpcap reports
    # tun devices as DLT_RAW (pcap linktype 101).
    log "rawip-ipv4.pcap"
    del_namespaces
    new_ns $NS_C 0
    new_ns $NS_S 0
    ip -n $NS_C tuntap add dev ttunc mode tun
    ip -n $NS_S tuntap add dev ttuns mode tun
    ip -n $NS_C addr add $T4C peer $T4S/32 dev ttunc
    ip -n $NS_S addr add $T4S peer $T4C/32 dev ttuns
    ip -n $NS_C link set ttunc up
    ip -n $NS_S link set ttuns up
    spawn relay $NS_C 60 $PIN "$PY" "$HERE/tun-relay.py" 50 $NS_C ttunc $NS_S ttuns
    wait_for_line relay 'relay ready'
    sleep 0.3
    start_capture cap $NS_C tcpdump -n --immediate-mode -i ttunc -Z root -U -w "$WORK/rawip-ipv4.pcap" tcp
    reqresp $NS_S $T4S 40000
    refused $T4S 40001
    stop_capture cap
    kill "$(pid_of relay)"; wait "$(pid_of relay)" || true
    teardown
}

cap_multi_if() {
    log "multi-if.pcapng"
    setup_pair 4
    start_capture cap $NS_C dumpcap -q -i vcapc -f tcp -i lo -f tcp -w "$WORK/multi-if.pcapng"
    reqresp $NS_S $V4S 40000          # over veth (interface 0)
    reqresp $NS_C 127.0.0.1 40002     # over lo (interface 1), server in the client namespace
    refused $V4S 40001
    stop_capture cap
    teardown
}

cap_multi_section() {
    log "multi-section.pcapng"
    setup_pair 4
    start_capture cap $NS_C dumpcap -q -i vcapc -f tcp -w "$WORK/section1.pcapng"
    reqresp $NS_S $V4S 40000
    refused $V4S 40001
    stop_capture cap
    teardown
    setup_pair 6
    start_capture cap $NS_C dumpcap -q -i any -y LINUX_SLL2 -f tcp -w "$WORK/section2.pcapng"
    reqresp $NS_S $V6S 40000
    refused $V6S 40001
    stop_capture cap
    teardown
    cat "$WORK/section1.pcapng" "$WORK/section2.pcapng" >"$WORK/multi-section.pcapng"
}

cap_sack_loss() {
    log "sack-loss.pcap"
    setup_pair 4
    in_ns $NS_C sysctl -qw net.ipv4.tcp_ecn=1      # client asks for ECN: SYN has ECE+CWR
    # Drop a few full-sized server->client data segments on arrival in the client
    # (after the capture point): 3 of every 40 such segments, at most 6 in total.
    in_ns $NS_C nft -f - <<'EOF'
table inet ttloss {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp sport 5001 meta length > 1000 numgen inc mod 40 { 5, 7, 26 } quota until 9001 bytes counter drop
    }
}
EOF
    start_capture cap $NS_C tcpdump -n --immediate-mode -i vcapc -s 96 -Z root -U -w "$WORK/sack-loss.pcap" tcp
    rm -f "$WORK/bulk.ready"
    spawn bulk $NS_S 30 $PIN "$PY" "$HERE/tt-traffic.py" bulk-server $V4S $BULKPORT "$WORK/bulk.ready" 150000
    local i
    for i in $(seq 100); do [ -e "$WORK/bulk.ready" ] && break; sleep 0.1; done
    in_ns $NS_C timeout 30 $PIN "$PY" "$HERE/tt-traffic.py" bulk-client $V4S $BULKPORT 150000 40003
    finish bulk
    stop_capture cap
    in_ns $NS_C nft list table inet ttloss >&2
    in_ns $NS_C nft list table inet ttloss | grep -q 'counter packets [1-9]' ||
        { echo "sack-loss: nothing was dropped" >&2; return 1; }
    teardown
}

cap_zero_window() {
    log "zero-window.pcap"
    setup_pair 4
    start_capture cap $NS_C tcpdump -n --immediate-mode -i vcapc -s 96 -Z root -U -w "$WORK/zero-window.pcap" tcp
    rm -f "$WORK/bulk.ready"
    spawn bulk $NS_S 30 $PIN "$PY" "$HERE/tt-traffic.py" bulk-server $V4S $BULKPORT "$WORK/bulk.ready" 60000
    local i
    for i in $(seq 100); do [ -e "$WORK/bulk.ready" ] && break; sleep 0.1; done
    # The client's 4 KiB receive buffer fills and it reads nothing for 1.5 s: zero windows, and the server's probes.
    in_ns $NS_C timeout 30 $PIN "$PY" "$HERE/tt-traffic.py" stalled-bulk-client $V4S $BULKPORT 60000 1.5 40004
    finish bulk
    stop_capture cap
    teardown
}

derive_ack_lost() {
    log "ack-lost.pcap (derived)"
    # eth-ipv4.pcap without the first data segment of each side: the ACKs of those two acknowledge data the capture
    # never saw (Wireshark's tcp.analysis.ack_lost_segment).
    local frames
    frames=$(tshark -r "$WORK/eth-ipv4.pcap" -Y 'tcp.len > 0' -T fields -e frame.number -e tcp.srcport 2>/dev/null |
        awk '!seen[$2]++ { print $1 }')
    [ "$(echo $frames | wc -w)" = 2 ] || { echo "ack-lost: expected data from both sides" >&2; return 1; }
    editcap "$WORK/eth-ipv4.pcap" "$WORK/ack-lost.pcap" $frames
}

derive_null() {
    log "null-ipv4.pcap, null-ipv6.pcap (derived)"
    "$PY" "$HERE/to-null.py" "$WORK/eth-ipv4.pcap" "$WORK/null-ipv4.pcap"
    "$PY" "$HERE/to-null.py" --af6 30 --usec "$WORK/eth-ipv6.pcap" "$WORK/null-ipv6.pcap"
}

# ------------------------------------------------------------ tshark output --

FIELDS=(frame.number frame.time_epoch frame.len frame.cap_len frame.interface_id
    ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport ip.ttl ipv6.hlim
    tcp.flags tcp.seq_raw tcp.ack_raw tcp.window_size_value tcp.hdr_len tcp.len
    tcp.options.mss_val tcp.options.wscale.shift tcp.option_kind tcp.options.sack_le tcp.options.sack_re
    tcp.options.timestamp.tsval tcp.options.timestamp.tsecr tcp.checksum.status vlan.id)

tshark_tsv() {      # tshark_tsv FILE -> FILE-without-ext.tshark.tsv
    local f=$1 out=${1%.*}.tshark.tsv args=() x
    for x in "${FIELDS[@]}"; do args+=(-e "$x"); done
    tshark -r "$f" -Y tcp -o tcp.relative_sequence_numbers:FALSE -o tcp.check_checksum:TRUE \
        -o tcp.analyze_sequence_numbers:TRUE \
        -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, \
        "${args[@]}" >"$out" 2>"$WORK/tshark.err" ||
        { cat "$WORK/tshark.err" >&2; return 1; }
    if grep -v 'Running as user "root"' "$WORK/tshark.err" | grep -q .; then
        cat "$WORK/tshark.err" >&2; return 1
    fi
}

# ------------------------------------------------------------------ checks --

check() {
    local f n rows
    for f in "$WORK"/*.pcap "$WORK"/multi-*.pcapng; do
        n=$(capinfos -c -M "$f" | awk -F': *' '/Number of packets/ {print $2}')
        rows=$(($(wc -l <"${f%.*}.tshark.tsv") - 1))
        printf '%-22s %6d bytes %4d packets %4d tcp rows\n' "$(basename "$f")" "$(stat -c %s "$f")" "$n" "$rows" >&2
        [ "$n" -gt 0 ] && [ "$rows" = "$n" ] || { echo "$f: packet/row mismatch" >&2; return 1; }
        [ "$(stat -c %s "$f")" -lt 61440 ] || { echo "$f: too big" >&2; return 1; }
    done
    # every frame of the VLAN capture is tagged with VID 100
    [ -z "$(awk -F'\t' 'NR>1 && $28 != "100"' "$WORK/vlan-ipv4.tshark.tsv")" ] ||
        { echo "vlan-ipv4: untagged frame(s)" >&2; return 1; }
    capinfos -I "$WORK/multi-if.pcapng" | grep -q 'Number of interfaces in file: 2' ||
        { echo "multi-if: expected 2 interfaces" >&2; return 1; }
    [ "$(capinfos -c -M "$WORK/multi-section.pcapng" | awk -F': *' '/Number of packets/ {print $2}')" = \
      "$(( $(capinfos -c -M "$WORK/section1.pcapng" | awk -F': *' '/Number of packets/ {print $2}') + \
           $(capinfos -c -M "$WORK/section2.pcapng" | awk -F': *' '/Number of packets/ {print $2}') ))" ] ||
        { echo "multi-section: packet count != sum of sections" >&2; return 1; }
    grep -qP '^(\S*\t){22}\d' "$WORK/sack-loss.tshark.tsv" ||
        { echo "sack-loss: no SACK blocks" >&2; return 1; }
    # SACK edges must be absolute: every left edge is the seq_raw of a captured data segment
    awk -F'\t' 'NR > 1 && $19 > 0 { seg[$15] = 1 }
        NR > 1 && $23 != "" { n = split($23, le, ","); for (i = 1; i <= n; i++) want[le[i]] = 1 }
        END { for (x in want) if (!(x in seg)) { print "sack_le " x " is not a segment start"; bad = 1 }
              exit bad }' "$WORK/sack-loss.tshark.tsv" >&2 ||
        { echo "sack-loss: SACK edges are not absolute sequence numbers" >&2; return 1; }
}

# -------------------------------------------------------------------- main --

if [ $# -gt 0 ]; then            # debugging: ./make-captures.sh eth_ipv4 vlan_ipv4 ack_lost ... (nothing copied)
    for c in "$@"; do if declare -F "cap_$c" >/dev/null; then "cap_$c"; else "derive_$c"; fi; done
    for f in "$WORK"/*.pcap "$WORK"/*.pcapng; do [ -e "$f" ] && tshark_tsv "$f"; done
    KEEP_WORK=1
    exit 0
fi

cap_eth_ipv4
cap_eth_ipv6
cap_vlan_ipv4
cap_sll_ipv4
cap_sll2_ipv6
cap_rawip_ipv4
cap_multi_if
cap_multi_section
cap_sack_loss
cap_zero_window
derive_null
derive_ack_lost

for f in "$WORK"/*.pcap "$WORK"/multi-if.pcapng "$WORK"/multi-section.pcapng; do
    tshark_tsv "$f"
done
check

for f in "$WORK"/*.pcap "$WORK"/multi-if.pcapng "$WORK"/multi-section.pcapng; do
    install -m 0644 "$f" "${f%.*}.tshark.tsv" "$HERE/"
done
log "done: captures and .tshark.tsv files written to $HERE"
