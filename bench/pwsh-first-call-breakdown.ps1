#Requires -Version 7.4
<#
.SYNOPSIS
    Where a Get-TcpFlow call's time goes, call after call in one pwsh session: compilation on the calling thread,
    compilation on every thread (the background tier-up included), GC pauses and collections, beside the call's
    wall time. -EngineOnly runs the engine's read-and-track loop alone (compiled here with Add-Type, before the
    first call), without PowerShell's pipeline, to tell the engine's own first-run cost from PowerShell's.
    -FirstWarm prints one line "FIRST WARM" in seconds instead, WARM being the fastest call after the first;
    bench/run.sh pwsh runs it in fresh sessions and takes the medians. -IdleMs waits that long between the import
    and the first call, as a person at the prompt does (for work the module might do in the background at import).
.EXAMPLE
    pwsh -NoProfile -File bench/pwsh-first-call-breakdown.ps1 -Path bench/data/bench.pcap -Module ./out/TcpTools
.EXAMPLE
    pwsh -NoProfile -File bench/pwsh-first-call-breakdown.ps1 -Path bench/data/bench.pcap -Module ./out/TcpTools -EngineOnly
.EXAMPLE
    pwsh -NoProfile -File bench/pwsh-first-call-breakdown.ps1 -Path bench/data/bench.pcap -Module ./out/TcpTools -FirstWarm
#>
param(
    [Parameter(Mandatory)][string] $Path,
    [Parameter(Mandatory)][string] $Module,
    [int] $Calls = 5,
    [switch] $EngineOnly,
    [switch] $FirstWarm,
    [int] $IdleMs = 0
)
# A module that does not load, or a call that fails, must not be timed as if it ran.
$ErrorActionPreference = 'Stop'
Import-Module $Module
$Path = (Resolve-Path $Path).Path
if ($EngineOnly) {
    $engine = [TcpTools.Engine.Tracking.TcpTracker].Assembly.Location
    Add-Type -ReferencedAssemblies $engine, System.Collections, System.Runtime -IgnoreWarnings -WarningAction SilentlyContinue -TypeDefinition @'
public static class TcpToolsEngineLoop
{
    public static int Run(string path)
    {
        var tracker = new TcpTools.Engine.Tracking.TcpTracker();
        int flows = 0;
        using var reader = TcpTools.Engine.Capture.CaptureFileSegmentReader.Open(path, null);
        while (reader.TryReadNext(out var frame, out System.ReadOnlySpan<byte> data, out var tcp))
        {
            tracker.Process(frame.UnixTimeNanoseconds, tcp, data);
            while (tracker.Output.Count > 0) { tracker.Output.Dequeue(); flows++; }
        }
        tracker.Complete();
        while (tracker.Output.Count > 0) { tracker.Output.Dequeue(); flows++; }
        return flows;
    }
}
'@
    $call = { $null = [TcpToolsEngineLoop]::Run($Path) }
} else {
    $call = { Get-TcpFlow -Path $Path | Out-Null }
}
if ($IdleMs -gt 0) {
    Start-Sleep -Milliseconds $IdleMs
}
if ($FirstWarm) {
    $times = foreach ($i in 1..$Calls) { (Measure-Command $call).TotalSeconds }
    '{0:0.000} {1:0.000}' -f $times[0], ($times[1..($Calls - 1)] | Measure-Object -Minimum).Minimum
    return
}
foreach ($i in 1..$Calls) {
    $jitHere = [System.Runtime.JitInfo]::GetCompilationTime($true)
    $jitAll = [System.Runtime.JitInfo]::GetCompilationTime($false)
    $gc = [GC]::GetTotalPauseDuration()
    $gen2 = [GC]::CollectionCount(2)
    $wall = (Measure-Command $call).TotalSeconds
    'call {0}: {1:0.000} s, compiling {2:0.000} s on this thread and {3:0.000} s in all, GC pauses {4:0.000} s, {5} gen2 collections' -f $i, $wall,
        ([System.Runtime.JitInfo]::GetCompilationTime($true) - $jitHere).TotalSeconds,
        ([System.Runtime.JitInfo]::GetCompilationTime($false) - $jitAll).TotalSeconds,
        ([GC]::GetTotalPauseDuration() - $gc).TotalSeconds, ([GC]::CollectionCount(2) - $gen2)
}
