#!/usr/bin/env bash
# Records a benchmark capture of real TCP traffic between two network
# namespaces joined by a veth pair.
#
#   sudo bench/make-capture.sh [OUT=bench/data/bench.pcap] [CONNECTIONS=55000]
#
# Traffic (bench/traffic/loadgen.py -> bench/traffic/server.py):
#   * CONNECTIONS attempts, CONCURRENCY (200) in flight, over 8 server ports;
#   * ~5% go to a closed port (SYN, RST-ACK);
#   * BULK (4) connections spread over the run fetch BULK_BYTES (16 MiB), paced;
#   * the rest: handshake, 2..5 small request/response exchanges with
#     TCP_NODELAY (several data segments each way), FIN close.
# Checks: >= MIN_PACKETS (1,000,000) TCP packets, >= MIN_CONNS (50,000)
# established connections, 0 packets dropped by tcpdump. Exit 1 otherwise.
#
# Network safety: packets are sent only inside the two namespaces this script
# creates (ttbenchc<pid>, ttbenchs<pid>), between 198.18.1.1 and 198.18.1.2.
# The host's interfaces and routes are not touched. Every process runs under
# `timeout`; the namespaces are deleted on exit, also on failure.
#
# VXLAN=1 carries the same traffic in VXLAN (the kernel's vxlan device, VNI 42,
# UDP 4789) over the veth, which then holds the underlay 198.18.0.1/.2, and
# captures the underlay: Ethernet / IPv4 / UDP / VXLAN / Ethernet / IPv4 / TCP
# (issue 12's tunnel benchmark: sudo VXLAN=1 bench/make-capture.sh
# bench/data/vxlan.pcap 8000, with MIN_PACKETS=200000 MIN_CONNS=7000).
#
# VXLAN_MTU=1500 (with VXLAN=1) gives the vxlan device the veth's own MTU, so every
# full-sized inner segment makes an outer packet 50 bytes too large and the sending
# kernel fragments it (the vxlan device does not set DF): real IP fragments of a
# tunnel (issue 12's reassembly benchmark, with SNAP=0 so the capture holds them whole).
# SNAP (default 256) is tcpdump's -s.
#
# Environment knobs: CONCURRENCY, BULK, BULK_BYTES, BULK_PACE, REFUSED_FRAC,
# GEN_TIMEOUT (seconds, default 900), MIN_PACKETS, MIN_CONNS,
# TSHARK_CONV=1 (also count with `tshark -q -z conv,tcp`, slower),
# KEEP_LOGS=1 (keep the log folder).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE/data/bench.pcap}
CONNECTIONS=${2:-55000}
CONCURRENCY=${CONCURRENCY:-200}
BULK=${BULK:-4}
BULK_BYTES=${BULK_BYTES:-16777216}
BULK_PACE=${BULK_PACE:-0.03}
REFUSED_FRAC=${REFUSED_FRAC:-0.05}
GEN_TIMEOUT=${GEN_TIMEOUT:-900}
MIN_PACKETS=${MIN_PACKETS:-1000000}
MIN_CONNS=${MIN_CONNS:-50000}
PORTS=8001,8002,8003,8004,8005,8006,8007,8008
CLOSED_PORT=7999
CLI_IP=198.18.1.1
SRV_IP=198.18.1.2

die() { echo "make-capture: $*" >&2; exit 1; }
log() { echo "make-capture: $*" >&2; }

[[ $EUID -eq 0 ]] || die "must run as root"
[[ $CONNECTIONS =~ ^[0-9]+$ ]] || die "CONNECTIONS must be a number"
for t in ip tcpdump capinfos python3 timeout; do
    command -v "$t" >/dev/null || die "missing tool: $t"
done

NSC=ttbenchc$$          # client namespace (load generator, tcpdump)
NSS=ttbenchs$$          # server namespace
VC=tt$$c                # veth end in NSC
VS=tt$$s                # veth end in NSS
LOGDIR=$(mktemp -d /tmp/ttbench.XXXXXX)
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
PARTIAL=$OUT.partial
TCPDUMP_PID= SERVER_PID= LOADGEN_PID=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in $LOADGEN_PID $SERVER_PID; do kill -TERM "$p" 2>/dev/null || true; done
    if [[ -n $TCPDUMP_PID ]] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
        kill -INT "$TCPDUMP_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$TCPDUMP_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    for ns in $NSC $NSS; do
        if [[ -e /run/netns/$ns ]]; then
            # anything still inside is one of ours: stop it, then drop the namespace
            for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
            ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
        fi
    done
    if [[ $rc -ne 0 ]]; then
        for f in "$LOGDIR"/*.log; do
            [[ -s $f ]] && { echo "--- $(basename "$f") (tail)" >&2; tail -n 15 "$f" >&2; }
        done
        [[ -e $PARTIAL ]] && log "partial capture left at $PARTIAL"
    fi
    if [[ ${KEEP_LOGS:-0} == 1 || $rc -ne 0 ]]; then log "logs in $LOGDIR"; else rm -rf "$LOGDIR"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# foreground helper only: background jobs call `ip netns exec` directly so that
# $! is the process itself (ip execs timeout) and signals reach it.
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- namespaces + veth -------------------------------------------------------
ip netns add "$NSC"
ip netns add "$NSS"
# create the veth pair directly inside the namespaces (never in the host's)
ip link add "$VC" netns "$NSC" type veth peer name "$VS" netns "$NSS"
for ns in $NSC $NSS; do
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
if [[ ${VXLAN:-0} == 1 ]]; then
    # underlay on the veth, the traffic's addresses on a vxlan device over it
    ip -n "$NSC" addr add 198.18.0.1/24 dev "$VC"
    ip -n "$NSS" addr add 198.18.0.2/24 dev "$VS"
    ip -n "$NSC" link set "$VC" up
    ip -n "$NSS" link set "$VS" up
    # bound to the veth unless VXLAN_MTU is set: a bound device's MTU cannot exceed the veth's less the 50 bytes
    # of VXLAN over IPv4, and an unbound one reaches the remote over the same veth by its route
    if [[ -n ${VXLAN_MTU:-} ]]; then bind_c=() bind_s=(); else bind_c=(dev "$VC") bind_s=(dev "$VS"); fi
    ip -n "$NSC" link add vx42 type vxlan id 42 dstport 4789 local 198.18.0.1 remote 198.18.0.2 "${bind_c[@]}"
    ip -n "$NSS" link add vx42 type vxlan id 42 dstport 4789 local 198.18.0.2 remote 198.18.0.1 "${bind_s[@]}"
    ip -n "$NSC" addr add $CLI_IP/24 dev vx42
    ip -n "$NSS" addr add $SRV_IP/24 dev vx42
    if [[ -n ${VXLAN_MTU:-} ]]; then
        ip -n "$NSC" link set vx42 mtu "$VXLAN_MTU"
        ip -n "$NSS" link set vx42 mtu "$VXLAN_MTU"
        # no DF on the inner packets, and the inner route's MTU locked: otherwise the tunnel's path-MTU check
        # lowers it and TCP sends smaller segments instead
        for ns in $NSC $NSS; do nsx "$ns" sysctl -qw net.ipv4.ip_no_pmtu_disc=1; done
    fi
    ip -n "$NSC" link set vx42 up
    ip -n "$NSS" link set vx42 up
    if [[ -n ${VXLAN_MTU:-} ]]; then
        ip -n "$NSC" route replace "${CLI_IP%.*}.0/24" dev vx42 src $CLI_IP mtu lock "$VXLAN_MTU"
        ip -n "$NSS" route replace "${SRV_IP%.*}.0/24" dev vx42 src $SRV_IP mtu lock "$VXLAN_MTU"
    fi
else
    ip -n "$NSC" addr add $CLI_IP/24 dev "$VC"
    ip -n "$NSS" addr add $SRV_IP/24 dev "$VS"
    ip -n "$NSC" link set "$VC" up
    ip -n "$NSS" link set "$VS" up
fi
# plenty of ephemeral ports; allow reuse of TIME_WAIT ports for new connections
nsx "$NSC" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
nsx "$NSS" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096 net.ipv4.tcp_tw_reuse=1
# wire-sized segments in the capture: no TSO/GSO super-packets, no GRO merging
if command -v ethtool >/dev/null; then
    nsx "$NSC" ethtool -K "$VC" tso off gso off gro off >/dev/null 2>&1 || log "ethtool -K failed on $VC"
    nsx "$NSS" ethtool -K "$VS" tso off gso off gro off >/dev/null 2>&1 || log "ethtool -K failed on $VS"
    if [[ ${VXLAN:-0} == 1 ]]; then
        nsx "$NSC" ethtool -K vx42 tso off gso off gro off >/dev/null 2>&1 || log "ethtool -K failed on vx42"
        nsx "$NSS" ethtool -K vx42 tso off gso off gro off >/dev/null 2>&1 || log "ethtool -K failed on vx42"
    fi
else
    log "warning: ethtool missing (apt-get install -y ethtool); capture will hold GSO super-packets"
fi

# ---- capture ---------------------------------------------------------------
rm -f "$PARTIAL"
CAP_LIMIT=$((GEN_TIMEOUT + 120))
ip netns exec "$NSC" timeout -s INT -k 10 $CAP_LIMIT \
    tcpdump -i "$VC" -w "$PARTIAL" -s "${SNAP:-256}" -B 65536 -Z root -n 2>"$LOGDIR/tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$LOGDIR/tcpdump.log" 2>/dev/null && break
    kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump exited early"
    sleep 0.1
done
grep -q "listening on" "$LOGDIR/tcpdump.log" || die "tcpdump did not start"

# ---- server ----------------------------------------------------------------
ip netns exec "$NSS" timeout -k 5 $CAP_LIMIT python3 -u "$HERE/traffic/server.py" \
    --host $SRV_IP --ports $PORTS --bulk-pace "$BULK_PACE" --max-seconds $CAP_LIMIT \
    >"$LOGDIR/server.log" 2>&1 &
SERVER_PID=$!
nports=$(tr ',' '\n' <<<"$PORTS" | wc -l)
for _ in $(seq 100); do
    n=$(nsx "$NSS" ss -Hltn "src $SRV_IP" 2>/dev/null | wc -l)
    [[ $n -ge $nports ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited early"
    sleep 0.1
done
[[ $n -ge $nports ]] || die "server did not start listening"

# ---- load --------------------------------------------------------------------
log "generating $CONNECTIONS connection attempts ($CONCURRENCY in flight) ..."
t0=$(date +%s.%N)
set +e
ip netns exec "$NSC" timeout -k 5 $((GEN_TIMEOUT + 30)) python3 -u "$HERE/traffic/loadgen.py" \
    --host $SRV_IP --ports $PORTS --closed-port $CLOSED_PORT \
    --connections "$CONNECTIONS" --concurrency "$CONCURRENCY" \
    --refused-frac "$REFUSED_FRAC" --bulk "$BULK" --bulk-bytes "$BULK_BYTES" \
    --deadline "$GEN_TIMEOUT" >"$LOGDIR/loadgen.json" 2>"$LOGDIR/loadgen.log" &
LOADGEN_PID=$!
wait $LOADGEN_PID
lg_rc=$?
LOADGEN_PID=
set -e
t1=$(date +%s.%N)
GEN_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
log "load generator: $(cat "$LOGDIR/loadgen.json" 2>/dev/null) (exit $lg_rc, ${GEN_SECONDS}s)"
[[ $lg_rc -eq 0 ]] || die "load generator failed (exit $lg_rc)"

# let the last FIN/ACKs go out, then stop server and tcpdump cleanly
sleep 1
kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
sleep 0.5
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=

# ---- checks --------------------------------------------------------------------
grep -E "packets (captured|received by filter|dropped)" "$LOGDIR/tcpdump.log" >&2 || true
DROPS=$(awk '/packets dropped by kernel/ { print $1 }' "$LOGDIR/tcpdump.log")
IFDROPS=$(awk '/packets dropped by interface/ { print $1 }' "$LOGDIR/tcpdump.log")
[[ -n $DROPS ]] || die "tcpdump did not report its drop count"

TOTAL=$(capinfos -M -c "$PARTIAL" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
if [[ ${VXLAN:-0} == 1 ]]; then
    # tcpdump's filters see the outer UDP: count the inner TCP with tshark, which opens VXLAN
    TCP_PACKETS=$(tshark -r "$PARTIAL" -Y tcp -T fields -e frame.number 2>/dev/null | wc -l)
    read -r ATTEMPTS ESTABLISHED SYN_PKTS < <(
        tshark -r "$PARTIAL" -Y 'tcp.flags.syn == 1' -T fields -e tcp.flags -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw 2>/dev/null | awk '
            $1 == "0x0002" { syn++; k = $2 " " $3 " " $4 " " $5 " " $6; if (!(k in a)) { a[k]; na++ } }
            $1 == "0x0012" { k = $2 " " $3 " " $4 " " $5 " " $7; if (!(k in e)) { e[k]; ne++ } }
            END { print na + 0, ne + 0, syn + 0 }')
    RST_PKTS=$(tshark -r "$PARTIAL" -Y 'tcp.flags.reset == 1' -T fields -e frame.number 2>/dev/null | wc -l)
else
TCP_PACKETS=$(tcpdump -nn -q -r "$PARTIAL" tcp 2>/dev/null | wc -l)
# connections: distinct (4-tuple, client ISN) of SYNs (attempts) and of SYN-ACKs
# (established); the ISN keeps apart retransmitted SYNs (same ISN) and a 4-tuple
# reused after TIME_WAIT (new ISN).
read -r ATTEMPTS ESTABLISHED SYN_PKTS < <(
    tcpdump -nn -S -r "$PARTIAL" 'tcp[tcpflags] & tcp-syn != 0' 2>/dev/null | awk '
        $7 == "[S],"  { syn++; k = $3 " " $5 " " $9 " " $10; if (!(k in a)) { a[k]; na++ } }
        $7 == "[S.]," { k = $3 " " $5 " " $11 " " $12; if (!(k in e)) { e[k]; ne++ } }
        END { print na + 0, ne + 0, syn + 0 }')
RST_PKTS=$(tcpdump -nn -r "$PARTIAL" 'tcp[tcpflags] & tcp-rst != 0' 2>/dev/null | wc -l)
fi
if [[ ${TSHARK_CONV:-0} == 1 ]]; then
    CONV=$(tshark -q -z conv,tcp -r "$PARTIAL" 2>/dev/null | grep -c '<->' || true)
fi

SIZE=$(stat -c %s "$PARTIAL")
{
    printf '%-22s %s\n' "capture:" "$OUT"
    printf '%-22s %s\n' "generation seconds:" "$GEN_SECONDS"
    printf '%-22s %s\n' "file size:" "$SIZE bytes ($((SIZE / 1048576)) MiB)"
    printf '%-22s %s\n' "packets (all):" "$TOTAL"
    printf '%-22s %s\n' "TCP packets:" "$TCP_PACKETS (min $MIN_PACKETS)"
    printf '%-22s %s\n' "connection attempts:" "$ATTEMPTS (SYN packets $SYN_PKTS)"
    printf '%-22s %s\n' "established:" "$ESTABLISHED (min $MIN_CONNS)"
    printf '%-22s %s\n' "refused:" "$((ATTEMPTS - ESTABLISHED)) (RST packets $RST_PKTS)"
    [[ -z ${CONV:-} ]] || printf '%-22s %s\n' "tshark conv,tcp:" "$CONV"
    printf '%-22s %s\n' "dropped by kernel:" "$DROPS${IFDROPS:+ (by interface: $IFDROPS)}"
}

fail=0
[[ $TCP_PACKETS -ge $MIN_PACKETS ]] || { log "too few TCP packets: $TCP_PACKETS < $MIN_PACKETS"; fail=1; }
[[ $ESTABLISHED -ge $MIN_CONNS ]] || { log "too few connections: $ESTABLISHED < $MIN_CONNS"; fail=1; }
[[ $DROPS -eq 0 ]] || { log "tcpdump dropped $DROPS packets: lower CONCURRENCY or raise -B"; fail=1; }
[[ -z $IFDROPS || $IFDROPS -eq 0 ]] || { log "interface dropped $IFDROPS packets"; fail=1; }
[[ $fail -eq 0 ]] || exit 1
mv -f "$PARTIAL" "$OUT"
log "ok: $OUT"
