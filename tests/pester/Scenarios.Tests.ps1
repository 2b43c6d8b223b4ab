# The scenarios that matter, as a user runs them in pwsh on a host with real traffic: probe a server, follow the
# connections of a live interface into their states, reset a connection. Two lab hosts with real Linux TCP stacks
# (tests/pester/lab/TcpLab.psm1); the commands run in pwsh inside the client host, and `ss -tan` in each host is the
# ground truth. Needs root (skipped with the reason otherwise; a failure under CI=true).

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'lab' 'TcpLab.psm1') -Force
    $canRun = $null -eq (Test-TcpLabSupported)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'lab' 'TcpLab.psm1') -Force
    $script:lab = $null
    if ($null -ne (Test-TcpLabSupported)) { return }
    $server = Join-Path $PSScriptRoot 'lab' 'lab-server.py'
    $script:client = Join-Path $PSScriptRoot 'lab' 'lab-client.py'
    $script:lab = New-TcpLab -Hosts 'client=1', 'server=2' -Net 41
    # The server: listens on 80 (closes after its client), 8081 (never closes: CLOSE_WAIT), 8082 (resets); its
    # firewall drops 9999 and rejects 5433 with an ICMP error.
    $rules = Join-Path $lab.Directory 'server.nft'
    Set-Content $rules "table inet t {`n chain in {`n  type filter hook input priority 0;`n  tcp dport 9999 drop`n  tcp dport 5433 reject`n }`n}"
    Invoke-TcpLabCommand -Lab $lab -HostName server -FilePath nft -ArgumentList '-f', $rules | Out-Null
    $srv = Start-TcpLabProcess -Lab $lab -HostName server -FilePath python3 -Seconds 120 -ArgumentList $server, '--max-seconds', '110', 'serve:80', 'leak:8081', 'reset:8082'
    if ($srv.StandardOutput.ReadLine() -ne 'ready') { throw 'the lab server did not start' }

    function Invoke-InClient([string] $Script) {
        # Runs a pwsh script in the client host; it writes one JSON document, which comes back as objects.
        $file = Join-Path $lab.Directory "step-$(Get-Random).ps1"
        Set-Content -Path $file -Value ("`$ErrorActionPreference = 'Stop'`nImport-Module TcpTools`n" + $Script)
        $run = Invoke-TcpLabPwsh -Lab $lab -HostName client -ScriptPath $file -Seconds 90
        if ($run.ExitCode -ne 0) { throw "the client script failed ($($run.ExitCode)): $($run.Error)$($run.Output)" }
        $run.Output | ConvertFrom-Json
    }
    function Get-SsState([string] $HostName) {
        # ss's socket states by 'local peer', in TcpTools' words (ESTAB -> Established ...).
        $map = @{ 'ESTAB' = 'Established'; 'SYN-SENT' = 'SynSent'; 'SYN-RECV' = 'SynReceived'; 'FIN-WAIT-1' = 'FinWait1'; 'FIN-WAIT-2' = 'FinWait2'
            'CLOSE-WAIT' = 'CloseWait'; 'CLOSING' = 'Closing'; 'LAST-ACK' = 'LastAck'; 'TIME-WAIT' = 'TimeWait' }
        $states = @{}
        foreach ($s in Get-TcpLabSocket -Lab $lab -HostName $HostName) {
            $local = $s.Local -replace '^\[::ffff:([0-9.]+)\]', '$1'
            $peer = $s.Peer -replace '^\[::ffff:([0-9.]+)\]', '$1'
            $states["$local $peer"] = $map[$s.State]
        }
        $states
    }
}

AfterAll {
    if ($script:lab) { Remove-TcpLab -Lab $script:lab }
}

Describe 'Probing a server (Send-TcpSyn)' {
    It 'reports Open, Closed and Filtered as the server and its firewall answer' -Skip:(-not $canRun) {
        $results = Invoke-InClient @'
Send-TcpSyn 'server:80,81,8081,9999,5433' -Timeout 0.5 |
    Select-Object Port, @{ n = 'Status'; e = { "$($_.Status)" } }, Reason, ReasonAddress, Attempts | ConvertTo-Json
'@
        $byPort = @{}
        foreach ($r in $results) { $byPort[[int]$r.Port] = $r }
        # What listens, as ss shows it on the server.
        $listening = @(Invoke-TcpLabCommand -Lab $lab -HostName server -FilePath ss -ArgumentList '-Hltn' | ForEach-Object { if ((-split $_)[3] -match ':(\d+)$') { [int]$Matches[1] } })
        foreach ($port in 80, 8081) {
            $listening | Should -Contain $port
            $byPort[$port].Status | Should -Be 'Open'
        }
        $listening | Should -Not -Contain 81
        $byPort[81].Status, $byPort[81].Reason | Should -Be 'Closed', 'reset'
        $byPort[9999].Status, $byPort[9999].Reason, $byPort[9999].Attempts | Should -Be 'Filtered', 'no-response', 2
        $byPort[5433].Status, $byPort[5433].Reason, $byPort[5433].ReasonAddress | Should -Be 'Filtered', 'icmp-port-unreachable', $lab.Hosts.server.IPv4
    }
    It 'a target that is not a host is a non-terminating error, and the other targets are still probed' -Skip:(-not $canRun) {
        $r = Invoke-InClient @'
$ok = Send-TcpSyn 'server:99999', 'server:80' -ErrorVariable e -ErrorAction SilentlyContinue
@{ Ok = @($ok | ForEach-Object { "$($_.Status)" }); Errors = @($e | ForEach-Object { "$($_.FullyQualifiedErrorId)|$($_.TargetObject)" }) } | ConvertTo-Json
'@
        @($r.Ok) | Should -Be @('Open')
        @($r.Errors) | Should -Be @('InvalidTarget,TcpTools.Commands.SendTcpSynCommand|server:99999')
    }
}

Describe 'Following live connections (Get-TcpFlow -Interface)' {
    It 'reports for each endpoint the state ss shows in its host when the capture ends' -Skip:(-not $canRun) {
        $result = Invoke-InClient @"
`$job = Start-ThreadJob { Get-TcpFlow -Interface eth0 -Duration 5 }
Start-Sleep -Milliseconds 1500
# Closed by the client first (client TIME_WAIT), never closed by the server (CLOSE_WAIT), reset by the server,
# and one still open when the capture ends (ESTABLISHED on both sides).
python3 '$client' --count 2 --interval 0.1 server:80 server:8081 server:8082 2>`$null
`$hold = Start-Process python3 -ArgumentList '$client', '--count', '1', '--hold', '60', 'server:80' -PassThru -RedirectStandardOutput (New-TemporaryFile) -RedirectStandardError (New-TemporaryFile)
`$flows = `$job | Wait-Job -Timeout 30 | Receive-Job
`$ss = ss -tanH
@{
    Flows = @(`$flows | ForEach-Object { @{ Client = `$_.Client; Server = `$_.Server; ClientState = "`$(`$_.ClientState)"; ServerState = "`$(`$_.ServerState)"; State = "`$(`$_.State)" } })
    Ss = @(`$ss)
} | ConvertTo-Json -Depth 4
"@
        $serverSs = Get-SsState server
        $clientSs = @{}
        $map = @{ 'ESTAB' = 'Established'; 'FIN-WAIT-2' = 'FinWait2'; 'TIME-WAIT' = 'TimeWait'; 'FIN-WAIT-1' = 'FinWait1'; 'CLOSE-WAIT' = 'CloseWait'; 'LAST-ACK' = 'LastAck'; 'CLOSING' = 'Closing'; 'SYN-SENT' = 'SynSent' }
        foreach ($line in $result.Ss) { $c = -split $line; if ($c.Count -ge 5 -and $c[0] -ne 'LISTEN') { $clientSs["$($c[3]) $($c[4])"] = $map[$c[0]] } }
        $flows = @($result.Flows)
        $flows.Count | Should -BeGreaterOrEqual 7
        $seen = @{}
        foreach ($f in $flows) {
            $expectClient = $clientSs["$($f.Client) $($f.Server)"] ?? 'Closed'
            $expectServer = $serverSs["$($f.Server) $($f.Client)"] ?? 'Closed'
            "$($f.Client) > $($f.Server): $($f.ClientState)/$($f.ServerState)" | Should -Be "$($f.Client) > $($f.Server): $expectClient/$expectServer"
            $seen["$expectClient/$expectServer"] = $true
        }
        # The capture saw every kind of ending the scenario makes.
        foreach ($kind in 'TimeWait/Closed', 'FinWait2/CloseWait', 'Closed/Closed', 'Established/Established') { $seen.Keys | Should -Contain $kind }
    }
}

Describe 'Resetting a live connection (Send-TcpReset)' {
    It 'ends an open connection on both hosts, as ss shows' -Skip:(-not $canRun) {
        $result = Invoke-InClient @"
`$job = Start-ThreadJob { Get-TcpFlow -Interface eth0 -Filter 'tcp port 80' -Duration 3 }
Start-Sleep -Milliseconds 1000
`$hold = Start-Process python3 -ArgumentList '$client', '--count', '1', '--hold', '20', 'server:80' -PassThru -RedirectStandardOutput (New-TemporaryFile) -RedirectStandardError (New-TemporaryFile)
`$open = `$job | Wait-Job -Timeout 30 | Receive-Job | Where-Object State -eq Established
# The connection held open is the one Get-TcpFlow saw start (an older one to port 80 may still be open, idle).
`$mine = "`$(`$open.Client)"
`$before = @(ss -tanH state established '( dport = :80 )' | Where-Object { (-split `$_)[2] -eq `$mine })
`$rsts = `$open | Send-TcpReset -Confirm:`$false -PassThru
Start-Sleep -Milliseconds 500
`$after = @(ss -tanH state established '( dport = :80 )' | Where-Object { (-split `$_)[2] -eq `$mine })
@{ Open = @(`$open | ForEach-Object Client); Rsts = @(`$rsts | ForEach-Object { "`$(`$_.SourceEndPoint) > `$(`$_.DestinationEndPoint) `$(`$_.FlagsText)" }); Before = @(`$before); After = @(`$after) } | ConvertTo-Json
"@
        @($result.Open).Count | Should -Be 1
        @($result.Before).Count | Should -Be 1 -Because 'the client held one connection open before the reset'
        @($result.Rsts).Count | Should -BeGreaterOrEqual 2 -Because 'a RST goes to each side'
        @($result.After | Where-Object { $_ }) | Should -BeNullOrEmpty -Because 'the client has no open connection to port 80 any more'
        $serverSs = Get-SsState server
        @($serverSs.Keys | Where-Object { $_ -like "*:80 $($result.Open[0])" -and $serverSs[$_] -eq 'Established' }) | Should -BeNullOrEmpty -Because 'the server dropped it too'
    }
}

if (-not $canRun) {
    Describe 'Without root' {
        It 'the scenarios report themselves skipped with the reason' {
            if ($env:CI -eq 'true') { throw "CI=true, but $(Test-TcpLabSupported)." }
            Set-ItResult -Skipped -Because (Test-TcpLabSupported)
        }
    }
}
