<#
NoRstStorm: a server sends no more than MaxPerSecond TCP resets a second.

Checks  the RSTs the server sends during a live capture of Duration seconds, counted per second of capture time.
        A second above MaxPerSecond fails, and the message names the worst second, how many RSTs it held, to which
        peers and from which of the server's ports. A server that refuses or aborts every connection (a crashed
        backend behind a listening proxy, a full accept queue with tcp_abort_on_overflow) shows up here first.
Run     Invoke-Pester -Container (New-PesterContainer -Path ./NoRstStorm.Tests.ps1 -Data @{
            Server = 'web01'; Interface = 'eth0'; Duration = 60; MaxPerSecond = 100 })
Needs   Pester 5+, TcpTools, libpcap, and root or CAP_NET_RAW + CAP_NET_ADMIN (live capture), on an interface
        the server's traffic crosses (the server itself, a client, or a mirror port).
#>
param(
    # The server: a host name (every address it resolves to counts) or an address.
    [string] $Server = 'web01',
    [string] $Interface = 'eth0',
    # How long to capture, in seconds.
    [double] $Duration = 60,
    [int] $MaxPerSecond = 100
)

BeforeAll {
    Import-Module TcpTools

    function Get-RstFilter([System.Net.IPAddress[]] $Address) {
        # BPF that keeps only RSTs from these addresses, so the kernel copies nothing else. tcp[tcpflags] works for
        # IPv4 only; for IPv6 the flags byte is at 40 + 13 when no extension header comes first.
        $from = ($Address | ForEach-Object { "src host $_" }) -join ' or '
        "(($from) and ((ip and tcp[tcpflags] & tcp-rst != 0) or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)))"
    }

    function Format-Top($Segments, [scriptblock] $Key, [int] $First = 3) {
        # 'a (12), b (3)': the most frequent values first.
        ($Segments | Group-Object $Key | Sort-Object Count -Descending | Select-Object -First $First |
            ForEach-Object { "$($_.Name) ($($_.Count))" }) -join ', '
    }
}

Describe "TCP resets from $Server" -Tag Example {
    It "$Server sends at most $MaxPerSecond RSTs a second" {
        $addresses = [System.Net.Dns]::GetHostAddresses($Server)
        $rsts = @(Get-TcpSegment -Interface $Interface -Filter (Get-RstFilter $addresses) -Duration $Duration |
                Where-Object { $_.Flags.HasFlag([TcpTools.TcpFlags]::Rst) })
        $worst = $rsts | Group-Object { $_.Timestamp.ToString('yyyy-MM-dd HH:mm:ss') } | Sort-Object Count -Descending | Select-Object -First 1
        $count = if ($worst) { $worst.Count } else { 0 }
        $count | Should -BeLessOrEqual $MaxPerSecond -Because (
            "$Server ($($addresses -join ', ')) sent $($rsts.Count) RSTs in $Duration s on $Interface, $count of them " +
            "in the second from $($worst.Name) UTC: to $(Format-Top $worst.Group { $_.DestinationAddress }), " +
            "from port $(Format-Top $worst.Group { $_.SourcePort })")
    }
}
