#!/bin/bash
# Instructions per segment of the engine's read-and-track loop, counted by valgrind: deterministic, so a change of a
# few percent shows where this machine's timings (±10 % from minute to minute) cannot. Per segment is the difference
# between a 600,000- and a 100,000-segment cut of bench.pcap, divided by 500,000: start-up and compilation cancel out.
# Counts are valgrind's CPU (no AVX-512), not the host's: compare builds with each other, not with time. Caveat
# (2026-12-02): under valgrind the JIT did not inline SeqNum's operators into SequenceAnalysis.Process, which it does
# on the host (DOTNET_JitDisasm of both), even with AggressiveInlining; code that adds SeqNum arithmetic therefore
# counts heavier here than it runs. Check a surprising difference with the whole process, interleaved.
#
#   bench/instructions.sh [--profile] ENGINE_DLL...   each a TcpTools.Engine.dll (default: this tree's Release build)
#
# --profile also runs callgrind on the 600k cut and prints instructions per managed method (from the runtime's perf
# map). Example, before and after a change:
#   git worktree add /tmp/tt-before HEAD~1 && (cd /tmp/tt-before && dotnet build src/TcpTools.Engine -c Release)
#   bench/instructions.sh /tmp/tt-before/src/TcpTools.Engine/bin/Release/net8.0/TcpTools.Engine.dll src/TcpTools.Engine/bin/Release/net8.0/TcpTools.Engine.dll
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
profile=0
if [ "${1:-}" = --profile ]; then profile=1; shift; fi
dlls=("$@")
[ ${#dlls[@]} -gt 0 ] || dlls=("$here/../src/TcpTools.Engine/bin/Release/net8.0/TcpTools.Engine.dll")
pcap=${TCPTOOLS_BENCH_PCAP:-$here/data/bench.pcap}
work=$(mktemp -d /tmp/tt-instructions.XXXXXX)
trap 'rm -rf "$work"' EXIT
editcap -r "$pcap" "$work/100k.pcap" 1-100000
editcap -r "$pcap" "$work/600k.pcap" 1-600000
dotnet build "$here/instructions/Instructions.csproj" -c Release -o "$work/driver" >/dev/null
count() { # dir capture policy
  DOTNET_EnableWriteXorExecute=0 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    dotnet "$1/Instructions.dll" "$2" "$3" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
}
printf '%-70s %14s %14s\n' "engine" "Conntrack/seg" "Zeek/seg"
i=0
for dll in "${dlls[@]}"; do
  i=$((i + 1)); dir="$work/run$i"; cp -r "$work/driver" "$dir"; cp "$dll" "$dir/TcpTools.Engine.dll"
  row=""
  for policy in conntrack zeek; do
    small=$(count "$dir" "$work/100k.pcap" $policy); large=$(count "$dir" "$work/600k.pcap" $policy)
    row="$row $(( (large - small) / 500000 ))"
  done
  printf '%-70s %14s %14s\n' "$dll" $row
  if [ $profile = 1 ]; then
    rm -f /tmp/perf-*.map
    DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 valgrind --tool=callgrind --dump-instr=yes \
      --callgrind-out-file="$work/callgrind.$i" dotnet "$dir/Instructions.dll" "$work/600k.pcap" conntrack >/dev/null 2>&1
    python3 "$here/instructions/attribute.py" "$work/callgrind.$i" "$(ls -t /tmp/perf-*.map | head -1)" 25
  fi
done
