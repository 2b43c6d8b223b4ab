#!/usr/bin/env bash
# Runs one benchmark suite side by side with its peers, in one run, on this machine, and prints the
# figures that bench/RESULTS.md records.
#
#   bench/run.sh decode [FILE]   engine decode (BenchmarkDotNet) + whole process vs tshark and tcpdump
#   bench/run.sh flow [FILE]     tracker (BenchmarkDotNet), memory per flow with 1M flows, and whole-process
#                                Get-TcpFlow vs tshark -q -z conv,tcp
#   bench/run.sh pwsh [FILE]     Get-TcpFlow in real pwsh: whole process, and the first call of a session against
#                                the warm ones, in the .NET-tool pwsh (.config/dotnet-tools.json, PowerShell as
#                                IL) and in a copy with PowerShell precompiled as pwsh's own packages ship it,
#                                each with the module as built and with its IL-only assemblies; beside the
#                                tcptools host and tshark -q -z conv,tcp
#
# FILE defaults to bench/data/bench.pcap (make it with: sudo bench/make-capture.sh).
# Needs: dotnet, hyperfine, tshark, tcpdump, capinfos. Output: bench/data/<suite>-*.md / BenchmarkDotNet.Artifacts.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SUITE=${1:?usage: bench/run.sh decode|flow|pwsh [FILE]}
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
pwsh)
    # The pwsh that .config/dotnet-tools.json pins, run from its own folder (as the tool's launcher would find it).
    TOOL="$(cd "$ROOT" && dotnet tool restore >/dev/null && dotnet tool run pwsh -NoProfile -Command '$PSHOME')/pwsh" ||
        { echo "run.sh: the pinned pwsh does not run (dotnet tool restore)" >&2; exit 1; }
    # pwsh's own packages (deb, rpm, tar.gz, msi) ship PowerShell precompiled (ReadyToRun); the .NET tool ships IL.
    # A copy of the tool with its PowerShell assemblies precompiled by the same crossgen2 stands for those packages.
    R2R=$OUT/pwsh-r2r
    if [[ ! -x $R2R/pwsh ]]; then # made once, in a scratch folder that becomes $R2R only when every image compiled
        CG=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.netcore.app.crossgen2.linux-x64" -name crossgen2 -type f | head -1)
        FW=$(dirname "$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App 10/ {gsub(/[\[\]]/, "", $3); print $3 "/" $2 "/x"}' | tail -1)")
        rm -rf "$R2R" "$R2R.tmp"; cp -r "$(dirname "$TOOL")" "$R2R.tmp"
        for a in System.Management.Automation Microsoft.PowerShell.Commands.Utility Microsoft.PowerShell.Commands.Management \
                 Microsoft.PowerShell.ConsoleHost Microsoft.PowerShell.Security Newtonsoft.Json pwsh; do
            "$CG" "$(dirname "$TOOL")/$a.dll" -o "$R2R.tmp/$a.dll" -r "$FW/*.dll" -r "$(dirname "$TOOL")/*.dll" \
                --targetos:linux --targetarch:x64 -O >/dev/null
        done
        mv "$R2R.tmp" "$R2R"
    fi
    MOD=$ROOT/out/TcpTools
    # The module as built (its assemblies precompiled on linux-x64) against a copy with the IL-only assemblies.
    IL=$OUT/module-il/TcpTools
    rm -rf "$OUT/module-il"; mkdir -p "$OUT/module-il"; cp -r "$MOD" "$IL"
    cp "$ROOT"/src/TcpTools/bin/Release/net8.0/{TcpTools,TcpTools.Engine,SharpPcap,PacketDotNet}.dll "$IL/"
    for ps in "$TOOL" "$R2R/pwsh"; do
        for mod in "$MOD" "$IL"; do
            echo "== first and warm Get-TcpFlow in one session, 7 fresh sessions: $ps, module $mod"
            for i in 1 2 3 4 5 6 7; do "$ps" -NoProfile -File "$HERE/pwsh-first-call-breakdown.ps1" -FirstWarm -Path "$FILE" -Module "$mod"; done > "$OUT/first-warm.txt"
            first=$(cut -d' ' -f1 "$OUT/first-warm.txt" | sort -n | sed -n 4p)
            warm=$(cut -d' ' -f2 "$OUT/first-warm.txt" | sort -n | sed -n 4p)
            echo "runs (first warm): $(tr '\n' ';' < "$OUT/first-warm.txt")"
            # The ratio is taken in each session (this VM's speed drifts between sessions), then its median.
            ratio=$(awk '{printf "%.3f\n", $1 / $2}' "$OUT/first-warm.txt" | sort -n | sed -n 4p)
            echo "median first $first s, median warm $warm s, median of the sessions' first/warm ratios $ratio"
        done
    done
    timeout 3600 hyperfine --warmup 1 --runs 5 --export-markdown "$OUT/pwsh-peers.md" \
        -n "pwsh (.NET tool) Get-TcpFlow | Out-Null" "$TOOL -NoProfile -Command \"Import-Module $MOD; Get-TcpFlow -Path $Q | Out-Null\"" \
        -n "pwsh (precompiled) Get-TcpFlow | Out-Null" "$R2R/pwsh -NoProfile -Command \"Import-Module $MOD; Get-TcpFlow -Path $Q | Out-Null\"" \
        -n "tcptools Get-TcpFlow | Out-Null" "$TCPTOOLS -Command \"Get-TcpFlow -Path $Q | Out-Null\"" \
        -n "tshark -q -z conv,tcp" "tshark -r $Q -q -z conv,tcp > /dev/null 2>&1"
    ;;
*)
    echo "run.sh: unknown suite '$SUITE'" >&2; exit 1 ;;
esac
