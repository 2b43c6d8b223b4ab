#!/usr/bin/env bash
# Runs one benchmark suite side by side with its peers, in one run, on this machine, and prints the
# figures that bench/RESULTS.md records.
#
#   bench/run.sh decode [FILE]   engine decode (BenchmarkDotNet) + whole process vs tshark and tcpdump
#   bench/run.sh flow [FILE]     tracker (BenchmarkDotNet), memory per flow with 1M flows, and whole-process
#                                Get-TcpFlow vs tshark -q -z conv,tcp
#
# FILE defaults to bench/data/bench.pcap (make it with: sudo bench/make-capture.sh).
# Needs: dotnet, hyperfine, tshark, tcpdump, capinfos. Output: bench/data/<suite>-*.md / BenchmarkDotNet.Artifacts.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SUITE=${1:?usage: bench/run.sh decode|flow [FILE]}
FILE=$(realpath "${2:-$HERE/data/bench.pcap}")
[[ -r $FILE ]] || { echo "run.sh: no capture at $FILE (sudo bench/make-capture.sh)" >&2; exit 1; }
for t in dotnet hyperfine tshark tcpdump capinfos; do
    command -v "$t" >/dev/null || { echo "run.sh: missing $t (apt-get install -y hyperfine tshark tcpdump)" >&2; exit 1; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 TCPTOOLS_BENCH_PCAP=$FILE
OUT=$HERE/data
mkdir -p "$OUT"
Q=$(printf '%q' "$FILE")
TCPTOOLS="$ROOT/out/host/tcptools"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "== tools: $(tshark --version | head -1); $(tcpdump --version 2>&1 | head -1); dotnet $(dotnet --version)"
echo "== capture: $FILE"
capinfos -M -c -s "$FILE" | sed -n '2,3p'
dotnet build "$ROOT/TcpTools.sln" -c Release -nologo -v q >/dev/null
cat "$FILE" >/dev/null # page cache warm for every contender

case $SUITE in
decode)
    (cd "$HERE/TcpTools.Benchmarks" && dotnet run -c Release --no-build -- --filter '*DecodeBenchmarks*' --job short \
        --artifacts "$OUT/bdn-decode") | grep -E '^\| |// .* TCP segments' | sort -u
    timeout 3600 hyperfine --warmup 1 --runs 5 --export-markdown "$OUT/decode-peers.md" \
        -n "tcptools Get-TcpSegment | Out-Null" "$TCPTOOLS -Command \"Get-TcpSegment -Path $Q | Out-Null\"" \
        -n "tcpdump -nn -r" "tcpdump -nn -r $Q > /dev/null 2>&1" \
        -n "tshark -T fields -e tcp.flags -e tcp.seq" "tshark -r $Q -T fields -e tcp.flags -e tcp.seq > /dev/null 2>&1"
    ;;
flow)
    (cd "$HERE/TcpTools.Benchmarks" && dotnet run -c Release --no-build -- --filter '*TrackerBenchmarks*' --job short \
        --artifacts "$OUT/bdn-flow") | grep -E '^\| |// .* connections' | sort -u
    (cd "$HERE/TcpTools.Benchmarks" && dotnet run -c Release --no-build -- flowmemory 1000000)
    echo "== connections: tcptools $("$TCPTOOLS" -Command "@(Get-TcpFlow -Path $Q).Count" 2>/dev/null || echo '?'), tshark conv,tcp $(tshark -r "$FILE" -q -z conv,tcp 2>/dev/null | grep -c '<->')"
    timeout 3600 hyperfine --warmup 1 --runs 5 --export-markdown "$OUT/flow-peers.md" \
        -n "tcptools Get-TcpFlow | Out-Null" "$TCPTOOLS -Command \"Get-TcpFlow -Path $Q | Out-Null\"" \
        -n "tcptools Get-TcpFlow -TimeoutPolicy Zeek | Out-Null" "$TCPTOOLS -Command \"Get-TcpFlow -Path $Q -TimeoutPolicy Zeek | Out-Null\"" \
        -n "tshark -q -z conv,tcp" "tshark -r $Q -q -z conv,tcp > /dev/null 2>&1"
    ;;
*)
    echo "run.sh: unknown suite '$SUITE'" >&2; exit 1 ;;
esac
