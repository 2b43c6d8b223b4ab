<#
HandshakeRtt: TCP handshakes complete within a budget.

Checks  the handshake round-trip time (client's SYN to its ACK of the SYN-ACK, as the capture saw them) of every
        connection opened during a live capture of Duration seconds: their Percentile-th percentile (100: the
        slowest) must be at most BudgetMs. The failure gives the percentile, and the connections over the budget,
        slowest first, with their RTTs. Fewer than MinimumHandshakes handshakes fail too: a check that saw nothing
        proved nothing. Captured at the client, the RTT is the whole round trip; at the server, mostly the
        server-to-client leg.
Run     Invoke-Pester -Container (New-PesterContainer -Path ./HandshakeRtt.Tests.ps1 -Data @{
            Interface = 'eth0'; Filter = 'tcp port 443'; BudgetMs = 50; Percentile = 95; Duration = 60 })
Needs   Pester 5+, TcpTools, libpcap, and root or CAP_NET_RAW + CAP_NET_ADMIN (live capture).
#>
param(
    [string] $Interface = 'eth0',
    # A BPF filter: the connections to measure.
    [string] $Filter = 'tcp port 443',
    # How long to capture, in seconds.
    [double] $Duration = 60,
    [double] $BudgetMs = 100,
    # Nearest-rank percentile, 1 to 100 (100: the slowest handshake).
    [ValidateRange(1, 100)]
    [double] $Percentile = 95,
    [int] $MinimumHandshakes = 1
)

BeforeAll {
    Import-Module TcpTools

    function Get-Percentile([double[]] $Value, [double] $Percentile) {
        $sorted = @($Value | Sort-Object)
        $sorted[[math]::Max(0, [math]::Ceiling($Percentile / 100 * $sorted.Count) - 1)]
    }
}

Describe "Handshake RTT on $Interface" -Tag Example {
    It "p$Percentile of handshakes ($Filter) is within $BudgetMs ms" {
        # HandshakeRtt is in seconds, as an exact decimal; empty when the capture missed the SYN or the last ACK.
        $flows = @(Get-TcpFlow -Interface $Interface -Filter $Filter -Duration $Duration | Where-Object { $null -ne $_.HandshakeRtt })
        $flows.Count | Should -BeGreaterOrEqual $MinimumHandshakes -Because "a check needs handshakes to measure (seen on $Interface for '$Filter' in $Duration s)"

        $ms = @($flows | ForEach-Object { [double]$_.HandshakeRtt * 1000 })
        $p = Get-Percentile $ms $Percentile
        $slow = @($flows | Where-Object { [double]$_.HandshakeRtt * 1000 -gt $BudgetMs } | Sort-Object HandshakeRtt -Descending)
        $named = $slow | Select-Object -First 5 | ForEach-Object { '{0} > {1} {2:0.0} ms' -f $_.Client, $_.Server, ([double]$_.HandshakeRtt * 1000) }
        [math]::Round($p, 3) | Should -BeLessOrEqual $BudgetMs -Because (
            "p$Percentile of $($flows.Count) handshakes on the wire was {0:0.0} ms (max {1:0.0} ms); $($slow.Count) over $BudgetMs ms, the slowest: {2}" -f
            $p, ($ms | Measure-Object -Maximum).Maximum, ($named -join ', '))
    }
}
