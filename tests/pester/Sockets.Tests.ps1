#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# This host's own sockets (issue 13), as a pwsh user meets them: Get-TcpConnection on sockets this session opens on
# loopback (a listener, a connection to it), its filters and pipeline binding, its view, CSV and JSON, bad input;
# Wait-TcpState as a Pester check. Every state of the table, against ss, is SocketTableNamespaceTests' part.

BeforeAll {
    $root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$root/out/TcpTools/TcpTools.psd1" -Force
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $client = [System.Net.Sockets.TcpClient]::new()
    $client.Connect([System.Net.IPAddress]::Loopback, $port)
    $server = $listener.AcceptTcpClient()
    $client.GetStream().Write([byte[]]::new(1000), 0, 1000)
    $clientPort = $client.Client.LocalEndPoint.Port
}

AfterAll {
    $client.Dispose(); $server.Dispose(); $listener.Stop()
}

Describe 'Get-TcpConnection' {
    It 'lists the listener and both ends of the connection, owned by this session, as ss does' {
        $mine = Get-TcpConnection | Where-Object { $_.LocalPort -eq $port -or $_.RemotePort -eq $port }
        $mine.Count | Should -Be 3
        ($mine | Where-Object State -eq Listen).Local | Should -Be "127.0.0.1:$port"
        # TcpClient's socket is dual-stack (IPv6, talking IPv4), so its endpoints read as ss shows them.
        ($mine | Where-Object LocalPort -eq $clientPort).Remote | Should -Be "[::ffff:127.0.0.1]:$port"
        ($mine | Where-Object LocalPort -eq $clientPort).IPVersion | Should -Be 6
        $mine.OwningProcess | Should -Be @($PID, $PID, $PID)
        $mine.ProcessName | Sort-Object -Unique | Should -Be (Get-Content /proc/$PID/comm)
        $ss = (ss -tanH "( sport = :$port or dport = :$port )") -split "`n" | Where-Object { $_ } | ForEach-Object { ($_ -split '\s+')[3] } | Sort-Object
        $ss | Should -Be ($mine.Local | Sort-Object)
    }

    It 'filters as Get-NetTCPConnection does, in the engine' {
        (Get-TcpConnection -State Listen -LocalPort $port).State | Should -Be Listen
        @(Get-TcpConnection -LocalPort $port).Count | Should -Be 2
        @(Get-TcpConnection -RemotePort $port).Count | Should -Be 1
        @(Get-TcpConnection -RemotePort $port -RemoteAddress 127.0.0.0/8).Count | Should -Be 1
        @(Get-TcpConnection -RemotePort $port -RemoteAddress 198.18.0.0/15).Count | Should -Be 0
        @(Get-TcpConnection -LocalPort $port -OwningProcess $PID).Count | Should -Be 2
        @(Get-TcpConnection -LocalPort $port -State Established, TimeWait).Count | Should -Be 1
    }

    It 'binds Get-Process by Id, and its own objects by their endpoints (a refresh)' {
        @(Get-Process -Id $PID | Get-TcpConnection | Where-Object LocalPort -eq $port).Count | Should -Be 2
        $connection = Get-TcpConnection -LocalPort $clientPort
        $again = $connection | Get-TcpConnection
        $again.Local | Should -Be $connection.Local
        $again.State | Should -Be Established
    }

    It 're-reads a TIME_WAIT socket piped back in, which has no owner to bind' {
        $own = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $own.Start()
        $c = [System.Net.Sockets.TcpClient]::new([System.Net.Sockets.AddressFamily]::InterNetwork)
        $c.Connect([System.Net.IPAddress]::Loopback, $own.LocalEndpoint.Port)
        $local = $c.Client.LocalEndPoint.Port
        $accepted = $own.AcceptTcpClient()
        $own.Stop()
        $c.Close()          # the client closes first: its side goes to TIME_WAIT
        Wait-TcpState -LocalPort $local -State TimeWait, FinWait2 -Timeout 5 -Quiet | Should -BeTrue
        $accepted.Close()
        Wait-TcpState -LocalPort $local -State TimeWait -Timeout 5 -Quiet | Should -BeTrue
        $tw = Get-TcpConnection -State TimeWait -LocalPort $local
        $tw.OwningProcess | Should -BeNullOrEmpty
        $again = $tw | Get-TcpConnection -ErrorAction Stop
        $again.State | Should -Be TimeWait
        $again.TimerRemaining | Should -BeGreaterThan 50
    }

    It 'carries tcp_info: bytes, round-trip time, MSS and congestion control' {
        $c = Get-TcpConnection -LocalPort $clientPort
        $c.BytesAcked | Should -BeGreaterOrEqual 1000
        $c.Rtt | Should -BeGreaterThan 0
        $c.Mss | Should -BeGreaterThan 0
        $c.CongestionControl | Should -Not -BeNullOrEmpty
        $c.Source | Should -Be 'sock_diag'
        $c.Timer | Should -BeIn 'None', 'KeepAlive', 'Retransmit'
    }

    It 'writes every bad address as its own error and still lists the good ones' {
        $out = Get-TcpConnection -LocalPort $port -LocalAddress 'web01', '127.0.0.1', '10.0.0.1/40' -ErrorVariable bad -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 2
        $bad.Count | Should -Be 2
        $bad[0].FullyQualifiedErrorId | Should -Be 'InvalidAddress,TcpTools.Commands.GetTcpConnectionCommand'
        $bad[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $bad[0].TargetObject | Should -Be 'web01'
        $bad[1].Exception.Message | Should -Match '0 to 32'
        # Only bad addresses: nothing matches, rather than everything.
        @(Get-TcpConnection -LocalAddress nosuch -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'lists sockets without owners, and warns once, where other users'' processes cannot be read' {
        $canDrop = (id -u) -eq '0' -and (Get-Command setpriv -ErrorAction Ignore) -and (Test-Path "$root/out/host/tcptools")
        if (-not $canDrop) {
            if ($env:CI -eq 'true') { throw 'CI=true, but this needs root, setpriv and the built host (out/host/tcptools)' }
            Set-ItResult -Skipped -Because 'it runs the host as nobody: needs root and setpriv'
            return
        }
        $nobodyHome = Join-Path ([IO.Path]::GetTempPath()) "tt-nobody-$PID"
        $null = New-Item -ItemType Directory -Force $nobodyHome
        chown 65534 $nobodyHome
        try {
            $script = '$l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start(); ' +
                '$s = Get-TcpConnection -WarningVariable w 3>$null; ' +
                '[pscustomobject]@{ Mine = @($s | Where-Object LocalPort -eq $l.LocalEndpoint.Port).OwningProcess; Pid = $PID; Warnings = @($w).Count; Text = "$w"; Listed = ($s | Where-Object LocalPort -eq ' + $port + ').Count; Others = @($s | Where-Object LocalPort -eq ' + $port + ' | Where-Object OwningProcess).Count } | ConvertTo-Json -Compress'
            $json = setpriv --reuid=65534 --regid=65534 --clear-groups env "HOME=$nobodyHome" "DOTNET_CLI_HOME=$nobodyHome" "$root/out/host/tcptools" -Command $script
            $r = $json | ConvertFrom-Json
            $r.Mine | Should -Be $r.Pid -Because 'its own process is readable'
            $r.Listed | Should -Be 2 -Because "root's sockets are listed all the same"
            $r.Others | Should -Be 0 -Because "root's processes cannot be read"
            $r.Warnings | Should -Be 1
            $r.Text | Should -Match 'processes of other users cannot be read.*CAP_SYS_PTRACE'
        }
        finally {
            Remove-Item -Recurse -Force $nobodyHome -ErrorAction Ignore
        }
    }

    It 'shows ss -tanpo columns in 120 characters, and exports flat' {
        $text = Get-TcpConnection -LocalPort $port | Out-String -Width 120
        $text | Should -Match 'State\s+Recv-Q\s+Send-Q\s+Local\s+Remote\s+Timer\s+Process'
        $text | Should -Match "Listen\s+0\s+\d+\s+127\.0\.0\.1:$port\s+\*"
        $text | Should -Match "\($PID\)"
        ($text -split "`n" | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 120
        $csv = Get-TcpConnection -LocalPort $clientPort | Select-Object Local, Remote, State, OwningProcess | ConvertTo-Csv | ConvertFrom-Csv
        $csv.State | Should -Be 'Established'
        $csv.OwningProcess | Should -Be "$PID"
        $json = Get-TcpConnection -LocalPort $clientPort | ConvertTo-Json -Depth 2 | ConvertFrom-Json
        $json.RemotePort | Should -Be $port
        $json.State | Should -Be ([int][TcpTools.TcpState]::Established)
    }
}

Describe 'Wait-TcpState' {
    It 'is a Pester check: $true when the state is there' {
        Wait-TcpState -Port $port -State Listen -Timeout 5 -Quiet | Should -BeTrue
        Wait-TcpState -Port $port -NotState CloseWait -Timeout 5 -Quiet | Should -BeTrue
        Wait-TcpState -Server "127.0.0.1:$port" -Client "127.0.0.1:$clientPort" -State Established -Timeout 5 -Quiet | Should -BeTrue
    }

    It 'writes the sockets that reached the state' {
        $s = Wait-TcpState -Server "localhost:$port" -State Listen -Timeout 5
        $s.State | Should -Be Listen
        $s.OwningProcess | Should -Be $PID
    }

    It 'times out with $false, or with an error naming the states the sockets were in' {
        Wait-TcpState -Port $port -State TimeWait -Timeout 0.2 -Quiet | Should -BeFalse
        $null = Wait-TcpState -Port $port -State TimeWait -Timeout 0.2 -ErrorVariable late -ErrorAction SilentlyContinue
        $late[0].FullyQualifiedErrorId | Should -Be 'WaitTcpStateTimeout,TcpTools.Commands.WaitTcpStateCommand'
        $late[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $late[0].Exception.Message | Should -Match "3 matching sockets were then 1 Listen, 2 Established"
        $late[0].TargetObject.Count | Should -Be 3
    }

    It 'refuses to wait for nothing, and names a bad endpoint' {
        { Wait-TcpState -Port $port -ErrorAction Stop } | Should -Throw -ErrorId 'NoStateGiven,TcpTools.Commands.WaitTcpStateCommand'
        $null = Wait-TcpState -Server 'host:notaport' -State Listen -Timeout 0 -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad[0].FullyQualifiedErrorId | Should -Be 'InvalidEndpoint,TcpTools.Commands.WaitTcpStateCommand'
        $bad[0].TargetObject | Should -Be 'host:notaport'
    }
}
