#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# TCP inside tunnels and carrier framing (issue 12), as a pwsh user meets it: the segments and connections of
# tests/data/captures/tunnels.pcapng (crafted: a handshake in every encapsulation, checked against tshark by the
# engine tests) and of a real VXLAN capture made here through the kernel's vxlan device, filtered in the pipeline,
# exported, and the frames that cannot be read counted by cause.

BeforeAll {
    $root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$root/out/TcpTools/TcpTools.psd1" -Force
    $captures = "$root/tests/data/captures"
    $tunnels = "$captures/tunnels.pcapng"
    $tshark = Import-Csv "$captures/tunnels.tshark.tsv" -Delimiter "`t"
}

Describe 'Segments inside tunnels' {
    It 'reads every TCP segment tshark reads, with the inner ports and the layers tshark names' {
        $segments = Get-TcpSegment $tunnels
        $segments.Count | Should -Be $tshark.Count
        for ($i = 0; $i -lt $tshark.Count; $i++) {
            $segments[$i].SourcePort | Should -Be ([int]$tshark[$i].'tcp.srcport')
            $expected = ($tshark[$i].'frame.protocols' -split ':' | Where-Object { $_ -ne 'ethertype' }) -join ':'
            # tshark folds 802.1ah into the 802.1ad tag before it (about_TcpTools, TUNNELS)
            $segments[$i].Layers -replace 'ieee8021ad:ieee8021ah', 'ieee8021ad' | Should -BeExactly $expected
        }
    }

    It 'filters on the tunnel type, identifier and outer endpoints in the pipeline' {
        $vxlan = Get-TcpSegment $tunnels | Where-Object { $_.Tunnels.Type -contains 'Vxlan' }
        $vxlan.Count | Should -Be 12
        # Id 42 is VXLAN's VNI 42 and ERSPAN III's session 42: the type tells them apart
        (Get-TcpSegment $tunnels | Where-Object { $_.Tunnels.Id -contains 42 }).Count | Should -Be 6
        (Get-TcpSegment $tunnels | Where-Object { $_.Tunnels | Where-Object { $_.Type -eq 'Vxlan' -and $_.Id -eq 42 } }).Count | Should -Be 3
        (Get-TcpSegment $tunnels | Where-Object { $_.Tunnels.Count -eq 2 }).SourcePort | Should -Be @(40023, 80, 40023)
        $gtp = Get-TcpSegment $tunnels | Where-Object Tunnel -eq GtpU | Select-Object -First 1
        $gtp.Tunnels[0].Source | Should -Be '198.18.0.1:2152'
        $gtp.Tunnels[0].IdName | Should -Be 'TEID'
        $gtp.SourceAddress | Should -Be '198.18.1.1'
    }

    It 'exports the tunnel chain as text in CSV and as objects in JSON' {
        $segment = Get-TcpSegment $tunnels | Where-Object SourcePort -eq 40023 | Select-Object -First 1
        $csv = $segment | Select-Object SourcePort, Tunnels, Layers | ConvertTo-Csv | ConvertFrom-Csv
        $csv.Tunnels | Should -BeExactly 'Vxlan 198.18.0.1:51006 > 198.18.0.2:4789 VNI 9; Gre 198.18.0.1 > 198.18.0.2'
        $json = $segment | Select-Object Tunnels | ConvertTo-Json -Depth 3 -EnumsAsStrings | ConvertFrom-Json
        $json.Tunnels.Type | Should -Be @('Vxlan', 'Gre')
        $json.Tunnels[0].Id | Should -Be 9
        $json.Tunnels[1].DestinationAddress | Should -Be '198.18.0.2'
    }

    It 'counts the frames it cannot read by cause, and reads the good one after them' {
        $segments = Get-TcpSegment "$captures/tunnels-bad.pcap" -Verbose 4>&1
        $verbose = $segments | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($segments | Where-Object { $_ -is [TcpTools.TcpSegment] }).Count | Should -Be 1
        "$verbose" | Should -Match '3 malformed, 0 of an unsupported link type, 2 inside an unknown encapsulation, 1 nested too deep'
    }
}

Describe 'Connections inside tunnels' {
    It 'keeps the same inner 4-tuple in two VXLAN networks apart, each with its tunnel' {
        $flows = Get-TcpFlow $tunnels | Where-Object ClientPort -eq 40100
        $flows.Count | Should -Be 2
        $flows.Tunnels.Id | Should -Be @(42, 43)
        $flows.State | Should -Be @('Established', 'Established')
        ($flows | Format-Table -View Tunnels | Out-String -Width 120) | Should -Match 'Vxlan 198\.18\.0\.1:51000 > 198\.18\.0\.2:4789 VNI 43'
    }

    It 'does not send a plain RST for a connection that ran in a tunnel: a ConnectionInTunnel error, and the next still runs' {
        $flows = Get-TcpFlow $tunnels | Where-Object ClientPort -in 40001, 40024
        $flows | Send-TcpReset -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionInTunnel,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err[0].TargetObject.ClientPort | Should -Be 40001
        # the other (PPPoE: carrier framing, not a tunnel) went on to -WhatIf without an error
    }

    It 'finds every connection of a real VXLAN capture that tshark finds, with the VNI' -Skip:(-not (Get-Command tshark -ErrorAction Ignore)) {
        # Real traffic through the kernel's vxlan device between two namespaces, 20 connections (one refused):
        # samples/vxlan.pcap, made with `sudo VXLAN=1 MIN_PACKETS=100 MIN_CONNS=15 BULK=0 CONCURRENCY=4
        # bench/make-capture.sh samples/vxlan.pcap 20` (the benchmark's larger ones come the same way).
        $file = "$root/samples/vxlan.pcap"
        $flows = Get-TcpFlow $file
        $tsharkConnections = @(& tshark -r $file -q -z conv,tcp 2>$null | Where-Object { $_ -match '<->' }).Count
        $flows.Count | Should -Be $tsharkConnections
        $flows.Tunnels.Type | Select-Object -Unique | Should -Be 'Vxlan'
        $flows.Tunnels.Id | Select-Object -Unique | Should -Be 42
        $flows.Count | Should -Be 20
        @($flows | Where-Object ConnState -eq 'REJ').Count | Should -Be 1
        @($flows | Where-Object ConnState -eq 'SF').Count | Should -Be 19
    }
}
