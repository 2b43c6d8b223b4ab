#!/usr/bin/env bash
# Runs every test (xunit: unit, hosted PowerShell, host process, namespace integration; then the Pester suites in
# real pwsh under each pinned Pester) and prints one closing line "N passed, N failed" that adds them all up.
# Exit code is non-zero on any failure, or when nothing ran.
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
[ -x /usr/sbin/sshd ] || need+=(openssh-server)       # sshd with a PowerShell subsystem (Pester remoting tests)
command -v ssh >/dev/null || need+=(openssh-client)   # Invoke-Command -HostName, ssh-keygen (Pester remoting tests)
command -v ethtool >/dev/null || need+=(ethtool)      # wire-sized segments on lab veths (no segmentation offload)
command -v python3 >/dev/null || need+=(python3)      # the Pester labs' servers and clients
command -v editcap >/dev/null || need+=(wireshark-common) # the docs test's pcap conversions
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
# One build first, then the test projects one after another (two cores: no parallel builds). ./build.ps1 -Test passes
# its -Configuration in TCPTOOLS_CONFIGURATION.
config=${TCPTOOLS_CONFIGURATION:-Release}
dotnet build TcpTools.sln -c "$config" -nologo -v q
build=$?
if [ $build -ne 0 ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test TcpTools.sln -c "$config" --no-build -nologo -v q -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?

# Pester in real pwsh: pwsh is the pinned local .NET tool (.config/dotnet-tools.json), Pester the pinned NuGet
# packages (tests/pester/Pester.proj). TCPTOOLS_PESTER chooses the versions (default: both).
pester_failed=0
if dotnet tool restore >/dev/null && dotnet restore tests/pester/Pester.proj -nologo -v q >/dev/null; then
  # The first version runs everything; the others skip the tests tagged Once (the docs, the package, remoting),
  # which test TcpTools and the machine rather than Pester, and take minutes.
  once=()
  for version in ${TCPTOOLS_PESTER:-5.7.1 6.2.0}; do
    dotnet tool run pwsh -NoProfile -NonInteractive -File tests/pester/Invoke-Tests.ps1 -PesterVersion "$version" \
      -CountFile "$results/pester-$version.count" -ResultFile "$results/pester-$version.xml" "${once[@]}"
    [ $? -eq 0 ] || status=1
    if [ ! -s "$results/pester-$version.count" ]; then
      echo "Pester $version did not run to the end" >&2
      pester_failed=$((pester_failed + 1))
    fi
    once=(-ExcludeTag Once)
  done
else
  echo "error: could not restore pwsh (dotnet tool restore) or Pester (tests/pester/Pester.proj)" >&2
  pester_failed=1
fi

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
for count in "$results"/pester-*.count; do
  [ -f "$count" ] || continue
  read -r p f _ < "$count"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
failed=$((failed + pester_failed))
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # nothing ran: that is a failure, not a pass
fi
echo "$passed passed, $failed failed"
[ $status -eq 0 ] && [ "$failed" -eq 0 ]
