#Requires -Version 7.4
<#
.SYNOPSIS
    Where a Get-TcpFlow call's time goes, call after call in one pwsh session: compilation on the calling thread,
    compilation on every thread (the background tier-up included) and GC pauses, beside the call's wall time.
.EXAMPLE
    pwsh -NoProfile -File bench/pwsh-first-call-breakdown.ps1 -Path bench/data/bench.pcap -Module ./out/TcpTools
#>
param(
    [Parameter(Mandatory)][string] $Path,
    [Parameter(Mandatory)][string] $Module,
    [int] $Calls = 5
)
Import-Module $Module
foreach ($i in 1..$Calls) {
    $jitHere = [System.Runtime.JitInfo]::GetCompilationTime($true)
    $jitAll = [System.Runtime.JitInfo]::GetCompilationTime($false)
    $gc = [GC]::GetTotalPauseDuration()
    $wall = (Measure-Command { Get-TcpFlow -Path $Path | Out-Null }).TotalSeconds
    'call {0}: {1:0.000} s, compiling {2:0.000} s on this thread and {3:0.000} s in all, GC pauses {4:0.000} s' -f $i, $wall,
        ([System.Runtime.JitInfo]::GetCompilationTime($true) - $jitHere).TotalSeconds,
        ([System.Runtime.JitInfo]::GetCompilationTime($false) - $jitAll).TotalSeconds,
        ([GC]::GetTotalPauseDuration() - $gc).TotalSeconds
}
