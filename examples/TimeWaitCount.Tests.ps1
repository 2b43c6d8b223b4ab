<#
TimeWaitCount: the connections in TIME_WAIT stay under a limit.

Checks  the connections that closed during a live capture of Duration seconds and are still in TIME_WAIT when it
        ends (Get-TcpFlow -State TimeWait): at most Limit of them. TIME_WAIT lasts 60 s on Linux, so with a
        capture of up to a minute this is the number ss -tan state time-wait grows by, from connections the wire
        saw close. Too many means short connections opened and closed in a hurry (no keep-alive, no pool), which
        ends in ephemeral-port exhaustion: the failure names the servers with the most, and which side waits.
        Connections already open when the capture starts take their roles from the ports: give ServerPort when
        your services listen on ports that are not well known (8082 ...), or such a connection can be named by
        its client's port.
Run     Invoke-Pester -Container (New-PesterContainer -Path ./TimeWaitCount.Tests.ps1 -Data @{
            Interface = 'eth0'; Filter = 'tcp'; Duration = 60; Limit = 5000; ServerPort = 80, 443, 8082 })
Needs   Pester 5+, TcpTools, libpcap, and root or CAP_NET_RAW + CAP_NET_ADMIN (live capture).
#>
param(
    [string] $Interface = 'eth0',
    # A BPF filter: the connections to count.
    [string] $Filter = 'tcp',
    # How long to capture, in seconds (up to 60: TIME_WAIT ends after 60 s, and such connections no longer count).
    [double] $Duration = 60,
    [int] $Limit = 5000,
    # How many servers the failure names.
    [int] $Top = 3,
    # The ports your servers listen on (Get-TcpFlow -ServerPort); empty for the well-known ones.
    [ushort[]] $ServerPort = @()
)

BeforeAll {
    Import-Module TcpTools
}

Describe "TIME_WAIT on $Interface" -Tag Example {
    It "at most $Limit connections ($Filter) are in TIME_WAIT" {
        $ports = if ($ServerPort) { @{ ServerPort = $ServerPort } } else { @{} }
        $waiting = @(Get-TcpFlow -Interface $Interface -Filter $Filter -Duration $Duration -State TimeWait @ports)
        $servers = $waiting | Group-Object Server | Sort-Object Count -Descending | Select-Object -First $Top |
            ForEach-Object { "$($_.Name) ($($_.Count))" }
        $clientSide = @($waiting | Where-Object ClientState -eq TimeWait).Count
        $waiting.Count | Should -BeLessOrEqual $Limit -Because (
            "$($waiting.Count) connections closed in $Duration s on $Interface and are in TIME_WAIT " +
            "($clientSide on the client side, $($waiting.Count - $clientSide) on the server side); most by server: $($servers -join ', ')")
    }
}
