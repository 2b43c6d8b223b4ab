<#
NoStuckCloseWait: no connection stays in CLOSE_WAIT longer than MaxSeconds.

Checks  the connections seen on the wire during a live capture of Duration seconds: an endpoint that acknowledged
        its peer's FIN (CLOSE_WAIT) must send its own FIN (LAST_ACK) or a RST within MaxSeconds. One that did
        not is an application that never closes its socket: the failure names each connection (client > server,
        both states, history) and when it entered CLOSE_WAIT (its last segment). Not judged: a connection that
        entered CLOSE_WAIT in the last MaxSeconds of the capture, or that the capture picked up at its close in the
        first MaxSeconds (the wire cannot tell CLOSE_WAIT from TIME_WAIT then); one already in CLOSE_WAIT when the
        capture began sends nothing and is not seen (ss -tan state close-wait on the server shows those).
Run     Invoke-Pester -Container (New-PesterContainer -Path ./NoStuckCloseWait.Tests.ps1 -Data @{
            Interface = 'eth0'; Filter = 'tcp port 8080'; MaxSeconds = 30; Duration = 120 })
Needs   Pester 5+, TcpTools, libpcap, and root or CAP_NET_RAW + CAP_NET_ADMIN (live capture).
        Capture where both directions pass (either end of the connection, or a mirror port).
#>
param(
    [string] $Interface = 'eth0',
    # A BPF filter: the servers or ports to watch.
    [string] $Filter = 'tcp',
    # The longest an endpoint may stay in CLOSE_WAIT, in seconds.
    [double] $MaxSeconds = 30,
    # How long to capture, in seconds: longer than MaxSeconds, or nothing can be judged.
    [double] $Duration = 120
)

BeforeAll {
    # Importing TcpTools adds Should -HaveTcpState to a loaded Pester: -Force if it was imported before Pester was.
    Import-Module TcpTools -Force:('HaveTcpState' -notin (Get-ShouldOperator).Name)

    function Get-CloseWaitStay {
        # From the snapshots of Get-TcpFlow -Watch: per connection that had an endpoint in CLOSE_WAIT, the snapshot
        # where it entered, and how long it stayed (until that endpoint moved on, or until the capture ended).
        param($Changes, [datetime] $End)
        foreach ($connection in $Changes | Group-Object Id) {
            $snapshots = @($connection.Group)
            $entered = $snapshots | Where-Object { 'CloseWait' -in "$($_.ClientState)", "$($_.ServerState)" } | Select-Object -First 1
            if (-not $entered) { continue }
            $side = if ("$($entered.ServerState)" -eq 'CloseWait') { 'ServerState' } else { 'ClientState' }
            # A timeout or an eviction is the tracker forgetting a silent connection, not the endpoint leaving.
            $left = $snapshots | Select-Object -Skip ([array]::IndexOf($snapshots, $entered) + 1) |
                Where-Object { "$($_.$side)" -ne 'CloseWait' -and "$($_.CloseReason)" -notin 'Timeout', 'Evicted' } |
                Select-Object -First 1
            $until = if ($left) { $left.LastSeen } else { $End }
            [pscustomobject]@{ Connection = $entered; Seconds = ($until - $entered.LastSeen).TotalSeconds; Left = $null -ne $left }
        }
    }
}

Describe "CLOSE_WAIT on $Interface" -Tag Example {
    It "no connection ($Filter) stays in CLOSE_WAIT longer than $MaxSeconds s" {
        $start = [datetime]::UtcNow
        # -State drops the snapshots that cannot matter: CLOSE_WAIT is left for LAST_ACK (a FIN) or CLOSED (a RST).
        $changes = Get-TcpFlow -Interface $Interface -Filter $Filter -Watch -Duration $Duration -State CloseWait, LastAck, Closed
        $stays = @(Get-CloseWaitStay $changes ([datetime]::UtcNow))
        # A connection picked up mid-stream at a FIN may have had its other FIN before the capture began: then the
        # endpoint that acknowledges is in TIME_WAIT, not CLOSE_WAIT, and the wire cannot tell. Seen in the first
        # MaxSeconds, it is not judged; later than that, one of its endpoints stayed in CLOSE_WAIT too long either way.
        $judged = @($stays | Where-Object { -not $_.Connection.IsMidstream -or ($_.Connection.LastSeen - $start).TotalSeconds -gt $MaxSeconds })
        $stuck = @($judged | Where-Object Seconds -gt $MaxSeconds | Sort-Object Seconds -Descending)
        $longest = if (-not $stuck) { '' } elseif ($stuck[0].Left) { 'the longest {0:0.0} s' -f $stuck[0].Seconds } else { 'the longest still there after {0:0.0} s' -f $stuck[0].Seconds }
        $stuck.Connection | Should -Not -HaveTcpState CloseWait -Because (
            "$($stuck.Count) of $($judged.Count) connections that entered CLOSE_WAIT during the $Duration s capture stayed " +
            "longer than $MaxSeconds s ($longest; each entered it at the last segment shown)")
    }
}
