#!/usr/bin/env bash
# Runs every test (unit, hosted PowerShell, host process, namespace integration) and prints one closing
# line "N passed, N failed". Exit code is non-zero on any failure, or when nothing ran.
# As root on Debian it installs what the tests need (libpcap for -Filter and live capture, tcpdump, iproute2,
# nftables and tshark for the namespace tests); otherwise it uses what is there, and namespace tests skip
# unless CI=true.
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
ldconfig -p 2>/dev/null | grep -q 'libpcap\.so' || need+=(libpcap0.8)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v tshark >/dev/null || need+=(tshark)        # reads back exported captures (live tests)
command -v setpriv >/dev/null || need+=(util-linux)   # runs the unprivileged-capture test as nobody
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${need[*]} ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
      || echo "warning: could not install ${need[*]}" >&2
  else
    echo "warning: missing ${need[*]}; tests that need them will fail or skip" >&2
  fi
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# One build first, then the test projects one after another (two cores: no parallel builds).
dotnet build TcpTools.sln -c Release -nologo -v q
build=$?
if [ $build -ne 0 ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test TcpTools.sln -c Release --no-build -nologo -v q -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # nothing ran: that is a failure, not a pass
fi
echo "$passed passed, $failed failed"
[ $status -eq 0 ] && [ "$failed" -eq 0 ]
