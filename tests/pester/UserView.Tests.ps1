# What a user meets in pwsh besides the examples: the table views at 120 columns, Get-Help, tab completion,
# -WhatIf and -Confirm, and the error records scripts branch on. Nothing here sends a packet off this machine: the
# probes and resets go to 127.0.0.1, and targets that would need a name lookup are malformed on purpose.

BeforeDiscovery {
    $isRoot = $IsLinux -and (& id -u) -eq '0'
}

BeforeAll {
    $root = (Resolve-Path "$PSScriptRoot/../..").Path
    Import-Module TcpTools -Force
    $samples = Join-Path $root 'samples'
    # pwsh as this test runs it, for the child processes (the .NET tool's pwsh.dll, or an installed pwsh).
    $pwsh = @(if (Test-Path "$PSHOME/pwsh" -PathType Leaf) { "$PSHOME/pwsh" } else { (Get-Command dotnet).Source; "$PSHOME/pwsh.dll" })
    function Invoke-Child([string] $Command, [string] $InputText) {
        # A fresh pwsh with TcpTools on its PSModulePath; standard input, output and error as a terminal user types.
        $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-Command', $Command)) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.Environment['PSModulePath'] = $env:PSModulePath
        $p = [System.Diagnostics.Process]::Start($psi)
        if ($InputText) { $p.StandardInput.Write($InputText) }
        $p.StandardInput.Close()
        $out = $p.StandardOutput.ReadToEndAsync()
        $err = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(60000)) { $p.Kill($true); throw "pwsh -Command '$Command' did not finish in 60 s" }
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result; Error = $err.Result }
    }
    function Test-Fits120($objects) {
        # A view fits 120 columns when it prints the same at 120 as on a wider console, and no line is longer.
        $narrow = ($objects | Out-String -Width 120) -split "`n" | ForEach-Object TrimEnd
        $wide = ($objects | Out-String -Width 300) -split "`n" | ForEach-Object TrimEnd
        $long = @($narrow | Where-Object { $_.Length -gt 120 })
        $long | Should -BeNullOrEmpty -Because 'no line may pass 120 columns'
        ($narrow -join "`n") | Should -BeExactly ($wide -join "`n") -Because 'the view must not depend on the console width up to 120'
    }
}

Describe 'Table views fit 120 columns' {
    It 'TcpSegment, with the longest IPv6 endpoints, every flag and the largest numbers' {
        $long = New-TcpSegment -Destination 'fd00:198:18:0:1234:5678:9abc:def0' -Source 'fd00:198:18:0:1111:2222:3333:4444' `
            -DestinationPort 65535 -SourcePort 65535 -Flags 'Fin, Syn, Rst, Psh, Ack, Urg, Ece, Cwr' `
            -SequenceNumber 4294967295 -AcknowledgmentNumber 4294967295 -Window 65535 -PayloadText ('x' * 9000)
        $segments = @(Get-TcpSegment (Join-Path $samples 'web.pcapng')) + $long
        Test-Fits120 $segments
    }
    It 'TcpConnectionState, with long IPv6 endpoints, a long history and large counts' {
        $c = 'fd00:198:18:0:1111:2222:3333:4444'; $s = 'fd00:198:18:0:1234:5678:9abc:def0'
        $crafted = @(
            New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags Syn -SequenceNumber 1
            New-TcpSegment -Source $s -SourcePort 443 -Destination $c -DestinationPort 65535 -Flags 'Syn, Ack' -SequenceNumber 7 -AcknowledgmentNumber 2
            New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags Ack -SequenceNumber 2 -AcknowledgmentNumber 8
            1..12 | ForEach-Object { New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags 'Psh, Ack' -SequenceNumber 2 -AcknowledgmentNumber 8 -PayloadText 'again' }
            New-TcpSegment -Source $s -SourcePort 443 -Destination $c -DestinationPort 65535 -Flags 'Psh, Ack' -SequenceNumber 4000000000 -AcknowledgmentNumber 7 -PayloadText 'far'
            New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags 'Rst' -SequenceNumber 7
        )
        $flows = @(Get-TcpFlow (Join-Path $samples 'web.pcapng')) + @($crafted | Get-TcpFlow)
        $flows.Count | Should -BeGreaterThan 10
        Test-Fits120 $flows
    }
    It 'the Tunnels views of segments and connections, and TcpTunnel, with IPv6 outer endpoints and two tunnels' {
        $tunnels = Join-Path $root 'tests' 'data' 'captures' 'tunnels.pcapng'
        $segments = @(Get-TcpSegment $tunnels)
        Test-Fits120 ($segments | Format-Table -View Tunnels)
        Test-Fits120 (Get-TcpFlow $tunnels | Format-Table -View Tunnels)
        Test-Fits120 ($segments | ForEach-Object Tunnels)
    }
    It 'TcpProbeResult, with long IPv6 addresses and the longest reason' {
        $r = [pscustomobject]@{
            PSTypeName = 'TcpTools.TcpProbeResult'; Address = 'fd00:198:18:0:1234:5678:9abc:def0'; Port = [uint16]65535
            Status = 'Filtered'; Reason = 'icmp6-source-policy-failed'; ReasonAddress = 'fd00:198:18:0:1111:2222:3333:4444'
            Rtt = 99.9999d; Ttl = 255; Window = 65535
        }
        Test-Fits120 @($r, $r)
    }
    It 'TcpCaptureDevice, with many addresses' {
        $d = [pscustomobject]@{
            PSTypeName = 'TcpTools.TcpCaptureDevice'; Name = 'enp0s31f6.1000'; LinkType = 'Ethernet'; IsUp = $true; IsLoopback = $false
            MacAddress = '02:00:c6:12:00:01'; Addresses = @('198.18.0.1', 'fd00:198:18:0:1111:2222:3333:4444', 'fd00:198:18:0:aaaa:bbbb:cccc:dddd', 'fe80::1234:5678:9abc:def0')
        }
        Test-Fits120 @($d, $d)
    }
    It 'flows and probes that came back through remoting keep room for PSComputerName' {
        $flow = Get-TcpFlow (Join-Path $samples 'web.pcapng') | Select-Object -First 1
        $remote = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($flow))
        $remote | Add-Member -NotePropertyName PSComputerName -NotePropertyValue 'web01.lab'
        $remote | Add-Member -NotePropertyName PSShowComputerName -NotePropertyValue $true
        $text = $remote | Out-String -Width 120
        $text | Should -Match 'PSComputerName'
        $text | Should -Match 'web01\.lab'
        Test-Fits120 @($remote)
    }
    It 'the Anomalies view of live and remote flows, with the most kinds one flow can show' {
        $c = 'fd00:198:18:0:1111:2222:3333:4444'; $s = 'fd00:198:18:0:1234:5678:9abc:def0'
        $crafted = @(
            New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags Syn -SequenceNumber 1 -PayloadText 'early'
            New-TcpSegment -Source $s -SourcePort 443 -Destination $c -DestinationPort 65535 -Flags 'Syn, Ack' -SequenceNumber 7 -AcknowledgmentNumber 99
            New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags 'Psh, Ack' -SequenceNumber 7 -AcknowledgmentNumber 9999 -PayloadText 'data'
            New-TcpSegment -Source $c -SourcePort 65535 -Destination $s -DestinationPort 443 -Flags Fin -SequenceNumber 11
            New-TcpSegment -Source $s -SourcePort 443 -Destination $c -DestinationPort 65535 -Flags Rst -SequenceNumber 4000000000
        )
        $flows = @($crafted | Get-TcpFlow) + @(Get-TcpFlow (Join-Path $samples 'web.pcapng') | Select-Object -First 3)
        ($flows[0].AnomalyCounts.Count) | Should -BeGreaterOrEqual 4
        Test-Fits120 ($flows | Format-Table -View Anomalies)
        $remote = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($flows))
        $remote | Add-Member -NotePropertyName PSComputerName -NotePropertyValue 'web01.lab'
        $remote | Add-Member -NotePropertyName PSShowComputerName -NotePropertyValue $true
        Test-Fits120 ($remote | Format-Table -View Anomalies)
    }
}

Describe 'Anomalies as data' {
    BeforeAll {
        # A RST in the server's name that the server's own data then contradicts: the mark of an injected reset.
        $flow = @(
            New-TcpSegment -Source 198.18.0.1 -SourcePort 40000 -Destination 198.18.0.2 -DestinationPort 80 -Flags Syn -SequenceNumber 1000
            New-TcpSegment -Source 198.18.0.2 -SourcePort 80 -Destination 198.18.0.1 -DestinationPort 40000 -Flags 'Syn, Ack' -SequenceNumber 5000 -AcknowledgmentNumber 1001
            New-TcpSegment -Source 198.18.0.1 -SourcePort 40000 -Destination 198.18.0.2 -DestinationPort 80 -Flags Ack -SequenceNumber 1001 -AcknowledgmentNumber 5001
            New-TcpSegment -Source 198.18.0.2 -SourcePort 80 -Destination 198.18.0.1 -DestinationPort 40000 -Flags Rst -SequenceNumber 5001
            New-TcpSegment -Source 198.18.0.2 -SourcePort 80 -Destination 198.18.0.1 -DestinationPort 40000 -Flags 'Psh, Ack' -SequenceNumber 5001 -AcknowledgmentNumber 1001 -PayloadText 'still here'
        ) | Get-TcpFlow
    }
    It 'Where-Object filters on the kinds by name' {
        @($flow | Where-Object Anomalies -match 'DataAfterReset').Count | Should -Be 1
        @($flow | Where-Object Anomalies -match 'SynWithData').Count | Should -Be 0
        $flow.ServerAnomalies | Should -Be ([TcpTools.TcpAnomaly]::DataAfterReset)
        $flow.ClientAnomalies | Should -Be ([TcpTools.TcpAnomaly]::None)
        $flow.Anomalies.HasFlag([TcpTools.TcpAnomaly]::DataAfterReset) | Should -BeTrue
    }
    It 'counts by name, as a property' {
        $flow.AnomalyCounts.DataAfterReset | Should -Be 1
        "$($flow.AnomalyCounts)" | Should -BeExactly 'DataAfterReset=1'
    }
    It 'ConvertTo-Json writes the kinds as text and the counts as an object; Export-Csv as text' {
        $j = $flow | Select-Object Client, Anomalies, AnomalyCounts | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json
        $j.Anomalies | Should -BeExactly 'DataAfterReset'
        $j.AnomalyCounts.DataAfterReset | Should -Be 1
        $csv = $flow | Select-Object Client, Anomalies, AnomalyCounts | ConvertTo-Csv | ConvertFrom-Csv
        ($csv.Anomalies, $csv.AnomalyCounts) | Should -Be @('DataAfterReset', 'DataAfterReset=1')
    }
    It 'a flow that came back through remoting keeps kinds and counts' {
        $remote = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($flow))
        @($remote | Where-Object Anomalies -match 'DataAfterReset').Count | Should -Be 1
        $remote.AnomalyCounts.DataAfterReset | Should -Be 1
    }
    It '-Watch writes a flow again when it first shows a kind' {
        $segments = @(
            New-TcpSegment -Source 198.18.0.1 -SourcePort 40000 -Destination 198.18.0.2 -DestinationPort 80 -Flags Syn -SequenceNumber 1000
            New-TcpSegment -Source 198.18.0.2 -SourcePort 80 -Destination 198.18.0.1 -DestinationPort 40000 -Flags 'Syn, Ack' -SequenceNumber 5000 -AcknowledgmentNumber 1001
            New-TcpSegment -Source 198.18.0.1 -SourcePort 40000 -Destination 198.18.0.2 -DestinationPort 80 -Flags Ack -SequenceNumber 1001 -AcknowledgmentNumber 5001
            New-TcpSegment -Source 198.18.0.2 -SourcePort 80 -Destination 198.18.0.1 -DestinationPort 40000 -Flags Rst -SequenceNumber 900000
        )
        $written = @($segments | Get-TcpFlow -Watch)
        $written[-1].Anomalies | Should -Be ([TcpTools.TcpAnomaly]::RstOutsideWindow)
        $written[-1].State | Should -Be 'Established' # the RST was not acceptable: nothing moved
    }
}

Describe 'Get-Help' {
    BeforeDiscovery {
        $commands = @(Get-Command -Module TcpTools | ForEach-Object { @{ Name = $_.Name } })
    }
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'docs' 'DocExamples.psm1') -Force
    }
    It '<Name>: -Full shows every section and every parameter' -ForEach $commands {
        $text = Get-Help $Name -Full | Out-String -Width 120
        foreach ($section in 'NAME', 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
            $text | Should -Match "(?m)^$section\s*$" -Because "Get-Help $Name -Full has a $section section"
        }
        $text | Should -Match '(?m)^\s+-+ Example 1: ' -Because 'Get-Help -Full shows the examples'
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        foreach ($p in (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $text | Should -Match "(?m)^\s+-$p\b" -Because "-$p is described"
        }
    }
    It '<Name>: -Examples shows each example of its help page' -ForEach $commands {
        $page = Join-Path $root 'en-US' "$Name.md"
        $documented = @(Get-DocExample -Path $page)
        $help = Get-Help $Name -Examples
        @($help.examples.example).Count | Should -Be $documented.Count
        $text = $help | Out-String -Width 200
        foreach ($e in $documented) {
            $firstLine = ($e.Code -split "`n")[0].Trim()
            $text | Should -Match ([regex]::Escape($firstLine))
        }
    }
    It 'about_TcpTools and about_TcpStates are found' {
        (Get-Help about_TcpTools | Out-String) | Should -Match 'about_TcpTools'
        (Get-Help about_TcpStates | Out-String) | Should -Match 'TIME-WAIT'
    }
}

Describe 'Tab completion (TabExpansion2)' {
    BeforeAll {
        function Complete([string] $line) { @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) }
    }
    It 'completes interface names after -Interface' -Skip:(-not $IsLinux) {
        Complete 'Get-TcpFlow -Interface l' | Should -Contain 'lo'
        Complete 'Get-TcpSegment -Interface ' | Should -Contain 'lo'
    }
    It 'completes state names after -State' {
        Complete 'Get-TcpFlow ./x.pcap -State Ti' | Should -Be @('TimeWait')
        Complete 'Get-TcpFlow ./x.pcap -State CloseW' | Should -Be @('CloseWait')
        (Complete 'Get-TcpFlow ./x.pcap -State ').Count | Should -Be ([enum]::GetNames([TcpTools.TcpState]).Count)
    }
    It 'completes well-known service names for ports' {
        Complete 'Send-TcpSyn web01 -Port ht' | Should -Contain 'https'
        Complete 'Send-TcpSyn web01 -Port ht' | Should -Contain 'http'
        Complete "Send-TcpSyn web01 -Port '22,post" | Should -Contain "'22,postgresql'"
        Complete 'New-TcpSegment 198.18.0.2 -DestinationPort ss' | Should -Contain 'ssh'
        Complete 'Get-TcpFlow ./x.pcap -ServerPort mys' | Should -Contain 'mysql'
    }
    It 'completes the other enum parameters' {
        Complete 'Send-TcpSyn web01:22 -Status Fil' | Should -Be @('Filtered')
        Complete 'Get-TcpFlow ./x.pcap -TimeoutPolicy Z' | Should -Be @('Zeek')
    }
    It 'a service name works where a port number does' {
        (New-TcpSegment -Destination 198.18.0.2 -Source 198.18.0.1 -DestinationPort https).DestinationPort | Should -Be 443
        $run = Invoke-Child "Send-TcpSyn '127.0.0.1:ssh,https' -WhatIf"
        $run.Output | Should -Match 'Send TCP SYN probes to 2 ports'
        $run.Error | Should -BeNullOrEmpty
    }
}

Describe '-WhatIf and -Confirm' {
    It 'Send-TcpSyn -WhatIf says what it would probe and sends nothing' {
        $run = Invoke-Child "Send-TcpSyn '127.0.0.1:22,80,443' -WhatIf"
        $run.Output | Should -Match 'What if: Performing the operation "Send TCP SYN probes to 3 ports \(22,80,443\)" on target "127\.0\.0\.1 \(127\.0\.0\.1:22,80,443\)"'
        $run.ExitCode | Should -Be 0
    }
    It 'Export-TcpCapture -WhatIf writes no file' {
        $out = Join-Path $TestDrive 'whatif.pcapng'
        $run = Invoke-Child "Get-TcpSegment '$samples/tcp-session.pcap' | Export-TcpCapture '$out' -WhatIf"
        $run.Output | Should -Match 'What if:'
        Test-Path $out | Should -BeFalse
    }
    It 'Send-TcpReset asks first (ConfirmImpact High): answering No sends nothing' -Skip:(-not $isRoot) {
        $run = Invoke-Child "Send-TcpReset -Source 127.0.0.1:40999 -Destination 127.0.0.1:9 -SequenceNumber 1 -PassThru" -InputText "N`n"
        $run.Output | Should -Match 'Are you sure you want to perform this action\?'
        $run.Output | Should -Not -Match 'R\s'
    }
    It 'Send-TcpReset -Confirm:$false sends without asking (to loopback)' -Skip:(-not $isRoot) {
        $run = Invoke-Child "Send-TcpReset -Source 127.0.0.1:40999 -Destination 127.0.0.1:9 -SequenceNumber 1 -Confirm:`$false -PassThru | ForEach-Object FlagsText"
        $run.Output.Trim() | Should -Be 'R'
        $run.Output | Should -Not -Match 'Are you sure'
    }
    if (-not $isRoot) {
        It 'skips the root-only checks with the reason when not root' {
            if ($env:CI -eq 'true') { throw 'CI=true, but not root: the -Confirm checks send a RST on loopback and need root.' }
            Set-ItResult -Skipped -Because 'sending needs root (runs under CI=true as root)'
        }
    }
}

Describe 'Error records' {
    It 'a missing capture file: non-terminating ObjectNotFound, the path as target, the next file still read' {
        $segments = Get-TcpSegment ./missing.pcap, (Join-Path $samples 'tcp-session.pcap') -ErrorVariable err -ErrorAction SilentlyContinue
        @($segments).Count | Should -Be 22
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,TcpTools.Commands.GetTcpSegmentCommand'
        "$($err[0].TargetObject)" | Should -Match 'missing\.pcap$'
    }
    It 'a truncated capture: CaptureFileTruncated (InvalidData) with the frame number, the segments before it kept' {
        $cut = Join-Path $TestDrive 'cut.pcap'
        $bytes = [IO.File]::ReadAllBytes((Join-Path $samples 'tcp-session.pcap'))
        [IO.File]::WriteAllBytes($cut, $bytes[0..($bytes.Length - 11)])
        $segments = Get-TcpSegment $cut -ErrorVariable err -ErrorAction SilentlyContinue
        @($segments).Count | Should -Be 21
        $err[0].FullyQualifiedErrorId | Should -Be 'CaptureFileTruncated,TcpTools.Commands.GetTcpSegmentCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.FrameNumber | Should -Be 22
    }
    It 'a malformed probe target: non-terminating InvalidTarget, the target as given, the others still checked' {
        $null = Send-TcpSyn 'web01:99999', '127.0.0.1:80' -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue 6>$null
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidTarget,TcpTools.Commands.SendTcpSynCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].TargetObject | Should -Be 'web01:99999'
    }
    It 'a port that is neither a number nor a service name: InvalidPort' {
        $null = Send-TcpSyn 127.0.0.1 -Port nosuchservice -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidPort,TcpTools.Commands.SendTcpSynCommand'
        $err[0].Exception.Message | Should -Match "'nosuchservice' is not a TCP service name"
    }
    It 'a bad parameter value of Get-TcpFlow is refused before anything is read' {
        { Get-TcpFlow (Join-Path $samples 'web.pcapng') -Msl 0 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,TcpTools.Commands.GetTcpFlowCommand'
    }
    It 'an interface that does not exist: InterfaceNotFound (ObjectNotFound) naming the valid ones' -Skip:(-not $IsLinux) {
        $null = Get-TcpCaptureDevice -Name nosuch0 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'InterfaceNotFound,TcpTools.Commands.GetTcpCaptureDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.ValidNames | Should -Contain 'lo'
    }
    It 'a file that exists is not overwritten without -Force: terminating CaptureFileExists (ResourceExists)' {
        $out = Join-Path $TestDrive 'exists.pcap'
        Set-Content $out 'x'
        $e = $null
        try { Get-TcpSegment (Join-Path $samples 'tcp-session.pcap') | Export-TcpCapture $out } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'CaptureFileExists,TcpTools.Commands.ExportTcpCaptureCommand'
        $e.CategoryInfo.Category | Should -Be 'ResourceExists'
        $e.TargetObject | Should -Be $out
        Get-Content $out | Should -Be 'x'
    }
}
