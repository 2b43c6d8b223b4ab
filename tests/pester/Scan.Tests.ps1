#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Networks as targets and TCP traceroute, as a Pester user writes them (issue 14). What sends nothing (planning,
# -WhatIf, refusals) runs anywhere; what probes runs as root on loopback (127.0.0.0/8 is all this host's). The
# namespace tests (SendTcpSynNamespaceTests, RouteTraceNamespaceTests) cover real links and routers.

BeforeAll {
    $root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$root/out/TcpTools/TcpTools.psd1" -Force
    $script:isRoot = $IsLinux -and (& id -u) -eq '0'
    function Assert-Root {
        if (-not $script:isRoot) {
            if ($env:CI -eq 'true') { throw 'CI=true, but not root: probes need root (raw sockets and pcap).' }
            Set-ItResult -Skipped -Because 'probes need root; runs under CI=true as root'
            return $false
        }
        $true
    }
}

Describe 'Send-TcpSyn targets networks' {
    It '-WhatIf plans blocks, ranges and exclusions without an error and sends nothing' {
        $out = Send-TcpSyn '198.18.0.0/24:22', '198.18.0.10-20:22,80' -Exclude 198.18.0.1, 198.18.0.128/25 -WhatIf -ErrorVariable e
        $e.Count | Should -Be 0
        $out | Should -BeNullOrEmpty
    }

    It 'refuses what is too large, wholly excluded or not a target, before anything is sent' {
        $cases = @(
            @{ Target = '[fd00:198:18::/64]:22'; Id = 'TargetTooLarge'; Category = 'LimitsExceeded' }
            @{ Target = '10.0.0.0/7:22'; Id = 'TargetTooLarge'; Category = 'LimitsExceeded' }
            @{ Target = '224.0.0.0/24:80'; Id = 'TargetRefused'; Category = 'InvalidArgument' }
            @{ Target = '198.18.0.0/33:80'; Id = 'InvalidTarget'; Category = 'InvalidArgument' }
            @{ Target = '198.18.0.9-1:80'; Id = 'InvalidTarget'; Category = 'InvalidArgument' }
        )
        foreach ($case in $cases) {
            Send-TcpSyn $case.Target -WhatIf -ErrorVariable e -ErrorAction SilentlyContinue 6>$null
            $e.Count | Should -Be 1 -Because $case.Target
            $e[0].FullyQualifiedErrorId | Should -Be "$($case.Id),TcpTools.Commands.SendTcpSynCommand"
            "$($e[0].CategoryInfo.Category)" | Should -Be $case.Category
            $e[0].TargetObject | Should -Be $case.Target
        }
    }

    It 'says so when -Exclude leaves nothing, with a warning per target' {
        Send-TcpSyn '198.18.0.0/28:22', '198.18.0.7:80' -Exclude 198.18.0.0/24 -ErrorVariable e -WarningVariable w -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $e.FullyQualifiedErrorId | Should -Be 'NothingToProbe,TcpTools.Commands.SendTcpSynCommand'
        $w.Count | Should -Be 2
        $w[0].Message | Should -BeLike "*wholly excluded*"
    }

    It 'stops before anything is done on a malformed -Exclude' {
        { Send-TcpSyn '198.18.0.0/28:22' -Exclude '198.18.0.0/99' -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidExclusion,TcpTools.Commands.SendTcpSynCommand'
    }

    It 'reads -TargetFile as nmap -iL does, comments and all' {
        $file = Join-Path $TestDrive 'targets.txt'
        Set-Content $file "# lab`n198.18.0.1-3:22  198.18.0.9:80 # db`n`n198.18.0.0/30:443"
        Send-TcpSyn -TargetFile $file -WhatIf -ErrorVariable e
        $e.Count | Should -Be 0
        Send-TcpSyn -TargetFile (Join-Path $TestDrive 'missing.txt') -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'TargetFileUnreadable,TcpTools.Commands.SendTcpSynCommand'
    }

    It 'scans a loopback block: every address and port once, one answer per target with -Quiet' {
        if (-not (Assert-Root)) { return }
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Any, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $r = Send-TcpSyn "127.0.0.0/29:$port,9" -Timeout 0.5
            $r.Count | Should -Be 12
            @($r | Sort-Object Address, Port -Unique).Count | Should -Be 12
            @($r | Where-Object Port -eq $port | Where-Object Status -eq Open).Count | Should -Be 6
            @($r | Where-Object Port -eq 9 | Where-Object Status -eq Closed).Count | Should -Be 6
            # One answer per target, in the order they are decided: the block all open, 127.0.0.5 not (9 is closed).
            @(Send-TcpSyn "127.0.0.0/29:$port", "127.0.0.5:$port,9" -Quiet) | Sort-Object | Should -Be @($false, $true)
        }
        finally {
            $listener.Stop()
        }
    }
}

Describe 'Trace-TcpRoute' {
    It 'traces loopback to the destination in one hop' {
        if (-not (Assert-Root)) { return }
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $hops = @(Trace-TcpRoute "127.0.0.1:$port" -MaxHops 4 -Timeout 0.5)
            $hops.Count | Should -Be 1
            $hops[0] | Should -BeOfType ([TcpTools.TcpRouteHop])
            $hops[0].Status | Should -Be 'Open'
            $hops[0].IsDestination | Should -BeTrue
            $hops[0].Rtts.Count | Should -Be 3
            (Trace-TcpRoute '127.0.0.1:9' -MaxHops 2 -Timeout 0.5).Status | Should -Be 'Closed'
        }
        finally {
            $listener.Stop()
        }
    }

    It 'refuses a block and says what -WhatIf would send' {
        Trace-TcpRoute '198.18.0.0/30:443' -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'TargetNotOneHost,TcpTools.Commands.TraceTcpRouteCommand'
        Trace-TcpRoute 198.18.0.10 -MaxHops 5 -WhatIf | Should -BeNullOrEmpty
    }

    It 'has help with examples and a traceroute view' {
        (Get-Help Trace-TcpRoute).Examples.Example.Count | Should -BeGreaterThan 1
        (Get-FormatData TcpTools.TcpRouteHop).FormatViewDefinition.Name | Should -Contain 'TcpRouteHop'
    }
}
