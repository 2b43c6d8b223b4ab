#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The cmdlets against tshark's reading of the reference captures, in real pwsh. tests/run.sh runs every file here
# (tests/pester/Invoke-Tests.ps1) under Pester 5.7.1 and 6.2.0; by hand: ./build.ps1, then
# pwsh tests/pester/Invoke-Tests.ps1 -Path tests/pester/TcpTools.Tests.ps1.

BeforeAll {
    $root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$root/out/TcpTools/TcpTools.psd1" -Force
    $capture = "$root/tests/data/captures/eth-ipv4.pcap"
    $tshark = Import-Csv "$root/tests/data/captures/eth-ipv4.tshark.tsv" -Delimiter "`t"
}

Describe 'Get-TcpSegment' {
    It 'emits one TcpSegment per segment tshark sees' {
        $segments = Get-TcpSegment -Path $capture
        $segments.Count | Should -Be $tshark.Count
        $segments | ForEach-Object { $_ | Should -BeOfType ([TcpTools.TcpSegment]) }
    }

    It 'matches tshark on sequence numbers and flags' {
        $segments = Get-TcpSegment -Path $capture
        for ($i = 0; $i -lt $tshark.Count; $i++) {
            $segments[$i].SequenceNumber | Should -Be ([uint32]$tshark[$i].'tcp.seq_raw')
            [int]$segments[$i].Flags | Should -Be ([Convert]::ToInt32($tshark[$i].'tcp.flags', 16) -band 0xFF)
        }
    }

    It 'filters with BPF' {
        (Get-TcpSegment -Path $capture -Filter 'tcp[tcpflags] & tcp-syn != 0').Count |
            Should -Be (Get-TcpSegment -Path $capture | Where-Object Flags -Match 'Syn').Count
    }

    It 'reports a missing file as a non-terminating ObjectNotFound error' {
        Get-TcpSegment -Path ./missing.pcap -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'has help with examples' {
        (Get-Help Get-TcpSegment).Examples.Example.Count | Should -BeGreaterThan 2
    }
}

Describe 'Get-TcpFlow' {
    BeforeAll {
        $states = Join-Path $PSScriptRoot '..' '..' 'samples' 'tcp-states.pcap'
    }
    It 'reports the states ss showed for each connection of the sample' {
        $flows = Get-TcpFlow -Path $states
        $flows | Should -HaveCount 10
        ($flows | Where-Object { $_.ServerPort -eq 5004 }).ServerState | Should -Be 'LastAck'
        ($flows | Where-Object { $_.ServerPort -eq 5003 }).ServerState | Should -Be 'CloseWait'
    }
    It 'selects exactly the connections with an endpoint in TIME_WAIT' {
        # 5004: the client took the server's FIN on receipt (its firewall dropped it after the capture point)
        (Get-TcpFlow -Path $states | Where-Object State -eq TimeWait).ServerPort | Sort-Object | Should -Be 5004, 5005, 5006
    }
    It 'tracks segments piped from Get-TcpSegment' {
        Get-TcpSegment -Path $states -Filter 'port 5003' | Get-TcpFlow | ForEach-Object ClientState | Should -Be 'FinWait2'
    }
}

Describe 'Export-TcpCapture' {
    It 'writes a capture that reads back identical' {
        $out = Join-Path $TestDrive 'x.pcapng'
        $a = Get-TcpSegment -Path (Join-Path $PSScriptRoot '..' '..' 'samples' 'tcp-states.pcap')
        $a | Export-TcpCapture -Path $out
        $b = Get-TcpSegment -Path $out
        $b | Should -HaveCount $a.Count
        $b[-1].UnixTimeNanoseconds | Should -Be $a[-1].UnixTimeNanoseconds
    }
}

Describe 'New-TcpSegment' {
    It 'builds the segment it is told, with a good checksum' {
        $s = New-TcpSegment -Source 198.18.0.1 -Destination 198.18.0.2 -DestinationPort 443 -SourcePort 40000 -Flags 'Syn' -SequenceNumber 1000 -Mss 1460
        $s.ChecksumStatus | Should -Be 'Good'
        $s.Options.MaximumSegmentSize | Should -Be 1460
        $s.FlagsText | Should -Be 'S'
    }
}

Describe 'Send-TcpSyn' {
    It 'finds a listening loopback port open and a closed one closed' {
        if (-not ($IsLinux -and (& id -u) -eq '0')) {
            if ($env:CI -eq 'true') { throw 'CI=true, but not root: probes need root (raw sockets and pcap).' }
            Set-ItResult -Skipped -Because 'probes need root (raw sockets and pcap); runs under CI=true as root'
            return
        }
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            Send-TcpSyn "127.0.0.1:$port" -Quiet | Should -BeTrue
            (Send-TcpSyn "127.0.0.1:$port" -Port 9 -Timeout 0.5 | Where-Object Port -eq 9).Status | Should -Be 'Closed'
        }
        finally {
            $listener.Stop()
        }
    }
    It 'reports a malformed target as a non-terminating error' {
        Send-TcpSyn 'web01:99999' -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'InvalidTarget*'
    }
}

Describe 'The module as built' {
    It 'ships its assemblies precompiled (ReadyToRun) on linux-x64, IL kept, and loads them from its own folder' {
        $platform = [System.Runtime.InteropServices.RuntimeInformation]
        if (-not $IsLinux -or $platform::OSArchitecture -ne 'X64') {
            Set-ItResult -Skipped -Because 'the build precompiles the module for linux-x64 only'
            return
        }
        foreach ($name in 'TcpTools', 'TcpTools.Engine', 'SharpPcap', 'PacketDotNet') {
            $file = "$root/out/TcpTools/$name.dll"
            $stream = [System.IO.File]::OpenRead($file)
            try {
                $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
                $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size | Should -BeGreaterThan 0 -Because "$name.dll should be a ReadyToRun image"
                $pe.HasMetadata | Should -BeTrue
                $pe.Dispose()
            } finally { $stream.Dispose() }
            ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $name }).Location |
                Should -Be (Resolve-Path $file).Path
        }
    }
}
