#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# TCP in IP fragments (issue 12), as a pwsh user meets it: samples/fragmented.pcap (real fragments from a router
# namespace and from the client's vxlan device), tests/data/captures/fragments.pcap (crafted: every order and
# encapsulation, checked against tshark by the engine tests) and fragments-bad.pcap (trains that never make a
# datagram), read, filtered, exported and counted.

BeforeAll {
    $root = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$root/out/TcpTools/TcpTools.psd1" -Force
    $captures = "$root/tests/data/captures"
    $sample = "$root/samples/fragmented.pcap"
    $tshark = Import-Csv "$captures/fragmented.tshark.tsv" -Delimiter "`t"
}

Describe 'Segments reassembled from IP fragments' {
    It 'writes each segment once, at the frame that completed it, with the fragments tshark lists' {
        $segments = Get-TcpSegment $sample
        $segments.Count | Should -Be $tshark.Count
        $reassembled = $segments | Where-Object IsReassembled
        $expected = $tshark | Where-Object { $_.'ip.fragment' }
        $reassembled.Count | Should -Be $expected.Count
        $reassembled.Count | Should -BeGreaterThan 20
        for ($i = 0; $i -lt $expected.Count; $i++) {
            $reassembled[$i].FrameNumber | Should -Be ([long]$expected[$i].'frame.number')
            # tshark lists the outer and inner reassemblies of one frame together; they are one datagram here
            ($reassembled[$i].FragmentFrames -join ',') | Should -BeExactly $expected[$i].'ip.fragment'
            $reassembled[$i].PayloadLength | Should -Be ([int]$expected[$i].'tcp.len')
        }
    }

    It 'counts every byte once in the connections, inside the tunnel too' {
        $flows = Get-TcpFlow $sample
        $flows.Count | Should -Be 5
        $flows | ForEach-Object { "$($_.State) $($_.ClientBytes)/$($_.ServerBytes)" } | Should -Be (@('TimeWait 6000/12000') * 5)
        @($flows | Where-Object { $_.Tunnels.Type -contains 'Vxlan' }).Count | Should -Be 2
    }

    It 'exports the fragment frames as text in CSV and as numbers in JSON' {
        $segment = Get-TcpSegment "$captures/fragments.pcap" | Where-Object SourcePort -eq 40001 | Where-Object IsReassembled
        $csv = $segment | Select-Object FrameNumber, FragmentFrames | ConvertTo-Csv | ConvertFrom-Csv
        $csv.FragmentFrames | Should -BeExactly '4, 6, 8'
        $json = $segment | Select-Object FragmentFrames | ConvertTo-Json | ConvertFrom-Json
        $json.FragmentFrames | Should -Be @(4, 6, 8)
        $segment.GetPayload().Length | Should -Be 3000
    }

    It 'counts the fragments that never made a datagram by cause, and reassembles the good ones' {
        $out = Get-TcpSegment "$captures/fragments-bad.pcap" -Verbose 4>&1
        $verbose = "$($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })"
        @($out | Where-Object { $_ -is [TcpTools.TcpSegment] }).SourcePort | Should -Be @(41003, 41008)
        $verbose | Should -Match '5 IP fragments of datagrams never completed, 3 overlapping, 1 duplicate, 3 invalid\); 4 IP fragments reassembled into 2 datagrams'
    }

    It 'filters the fragments before reassembly, as tcpdump does: a port filter keeps first fragments only' {
        $all = @(Get-TcpSegment $sample -Filter 'tcp' | Where-Object IsReassembled).Count
        $firstOnly = Get-TcpSegment $sample -Filter 'tcp port 8080' -Verbose 4>&1
        @($firstOnly | Where-Object { $_ -is [TcpTools.TcpSegment] -and $_.IsReassembled }).Count | Should -Be 0
        "$($firstOnly | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })" | Should -Match '[1-9]\d* IP fragments of datagrams never completed'
        @(Get-TcpSegment $sample -Filter 'tcp port 8080 or (ip[6:2] & 0x1fff != 0)' | Where-Object { $_.IsReassembled -and $_.Tunnel -eq 'None' }).Count |
            Should -Be @(Get-TcpSegment $sample -Filter 'tcp' | Where-Object { $_.IsReassembled -and $_.Tunnel -eq 'None' }).Count
        $all | Should -BeGreaterThan 0
    }
}
