#Requires -Version 7.4
<#
.SYNOPSIS
    Makes samples/web.pcapng: real Linux TCP traffic between a client and a web server, with the things people look
    for in a capture (TIME_WAIT, CLOSE_WAIT, a reset, a refused and an unanswered SYN, loss and retransmission, an MSS
    below 1400, IPv6).
.DESCRIPTION
    Run as root (sudo pwsh samples/make-web-sample.ps1). Builds two hosts in network namespaces with
    tests/pester/lab/TcpLab.psm1 (client 198.18.0.1 / fd00:198:18::1, web01 198.18.0.10 / fd00:198:18::10), captures
    on the client's eth0 with dumpcap (pcapng, interface name kept) while the client makes these connections, each
    one after the other:

      80 x3      request, answer, the client closes first: client TIME_WAIT
      443 x2     the same on 443, then once over IPv6, then once with MSS 1200 (TCP_MAXSEG)
      8000       32 KiB answer; an nftables rule on the client drops the 4th and 5th packets web01 sends on that
                 connection after the capture saw them (conntrack's reply counter), so the capture shows SACK,
                 duplicate ACKs and web01's retransmissions, the same every time
      8080       the server never closes: client FIN_WAIT_2, server CLOSE_WAIT
      8081       the server aborts with a RST
      81         nothing listens: RST (REJ)
      9999       web01 drops SYNs: unanswered SYNs (S0)

    The structure is the same on every run; times, ports and sequence numbers differ. Nothing but the two
    namespaces is touched, and they are deleted at the end, also on failure.
#>
[CmdletBinding()]
param(
    # Where to write the capture.
    [string] $OutFile = (Join-Path $PSScriptRoot 'web.pcapng')
)
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $root 'tests' 'pester' 'lab' 'TcpLab.psm1') -Force
$reason = Test-TcpLabSupported
if ($reason) { throw "make-web-sample.ps1: $reason" }
$server = Join-Path $root 'tests' 'pester' 'lab' 'lab-server.py'
$client = Join-Path $root 'tests' 'pester' 'lab' 'lab-client.py'

$lab = New-TcpLab -Hosts 'client=1', 'web01=10' -Net 0
try {
    # web01 drops SYNs to 9999. The client drops the 4th and 5th packets web01 sends on the 8000 connection
    # (conntrack counts them before the filter), after the capture saw them: so the capture holds the originals,
    # the client's duplicate ACKs with SACK blocks, and web01's retransmissions.
    $rules = Join-Path $lab.Directory 'web01.nft'
    Set-Content -Path $rules -Value "table inet sample {`n chain in {`n  type filter hook input priority 0;`n  tcp dport 9999 drop`n }`n}"
    Invoke-TcpLabCommand -Lab $lab -HostName web01 -FilePath nft -ArgumentList '-f', $rules | Out-Null
    $rules = Join-Path $lab.Directory 'client.nft'
    Set-Content -Path $rules -Value "table inet sample {`n chain in {`n  type filter hook input priority 0;`n  tcp sport 8000 ct reply packets 4-5 drop`n }`n}"
    Invoke-TcpLabCommand -Lab $lab -HostName client -FilePath nft -ArgumentList '-f', $rules | Out-Null
    # Packet counts per connection (ct reply packets) need conntrack's accounting, whose switch exists once the
    # rules above have loaded conntrack in the namespace.
    Invoke-TcpLabCommand -Lab $lab -HostName client -FilePath sysctl -ArgumentList '-qw', 'net.netfilter.nf_conntrack_acct=1' | Out-Null
    $srv = Start-TcpLabProcess -Lab $lab -HostName web01 -FilePath python3 -Seconds 60 -ArgumentList $server, '--max-seconds', '50', 'serve:80', 'serve:443', 'bulk:8000', 'leak:8080', 'reset:8081'
    if ($srv.StandardOutput.ReadLine() -ne 'ready') { throw 'the server did not start' }

    $pcap = Join-Path $lab.Directory 'web.pcapng'
    $dump = Start-TcpLabProcess -Lab $lab -HostName client -FilePath dumpcap -Seconds 60 -ArgumentList '-q', '-i', 'eth0', '-f', 'tcp', '-w', $pcap
    Start-Sleep -Seconds 1

    $c = @{ Lab = $lab; HostName = 'client'; FilePath = 'python3'; IgnoreExitCode = $true }
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '3', '--interval', '0.05', 'web01:80' | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '2', '--interval', '0.05', 'web01:443' | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '1', 'web01-v6:443' | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList '-c', @'
import socket
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1200)
s.settimeout(2)
s.connect(("web01", 443))
s.sendall(b"small mss\n")
s.recv(4096)
s.close()
'@ | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList '-c', @'
import socket
s = socket.create_connection(("web01", 8000), timeout=5)
s.sendall(b"bulk\n")
got = 0
while got < 32768:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
s.close()
'@ | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '1', 'web01:8080' | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '1', 'web01:8081' | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '1', 'web01:81' | Out-Null
    Invoke-TcpLabCommand @c -ArgumentList $client, '--count', '1', 'web01:9999' | Out-Null
    Start-Sleep -Seconds 1
    # TERM through coreutils' timeout to dumpcap, which then writes out what it holds.
    & kill -TERM $dump.Id
    if (-not $dump.WaitForExit(10000)) { throw 'dumpcap did not stop' }
    Start-Sleep -Milliseconds 200
    Copy-Item $pcap $OutFile -Force
    Write-Host "Wrote $OutFile"
}
finally {
    Remove-TcpLab -Lab $lab
}
