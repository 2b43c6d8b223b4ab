<#
.SYNOPSIS
    Runs example checks (examples/*.Tests.ps1) as a user would, in this pwsh, each with the lab traffic it is to see,
    and writes their results as JSON.
.DESCRIPTION
    Examples.Tests.ps1 runs this inside the lab's client host (Invoke-TcpLabPwsh), where the lab's names resolve and
    eth0 is the host's interface, so one pwsh and one Pester import serve every check. -Spec is a JSON file:
        { Python: interpreter, Client: path of lab-client.py, TrafficLead: seconds,
          Runs: [ { Check, Name, Path, Data, Traffic: [ 'lab-client.py arguments', ... ] }, ... ] }
    For each run in turn: start its traffic (each a lab-client.py under timeout, 40 s at most), give it TrafficLead
    seconds to get going, run the example's container (Invoke-Pester, the Data as its parameters), stop the traffic.
    -Pester is the Pester.psd1 of the parent's version. The result file holds, per run: Check, Name, Result, counts,
    the seconds it took, the traffic's first complaints, and per test its name, result and failure message.
#>
param(
    [Parameter(Mandatory)][string] $Pester,
    [Parameter(Mandatory)][string] $Spec,
    [Parameter(Mandatory)][string] $Result
)
$ErrorActionPreference = 'Stop'
Import-Module $Pester
$plan = Get-Content -Raw -Path $Spec | ConvertFrom-Json -AsHashtable

function Start-Traffic([string] $Arguments) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new('timeout')
    foreach ($a in @('-k', '2', '40', $plan.Python, $plan.Client) + (-split $Arguments)) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    # Read what it writes (a line per refused connection), or a full pipe would stop it.
    $null = $p.StandardOutput.ReadToEndAsync()
    [pscustomobject]@{ Arguments = $Arguments; Process = $p; Errors = $p.StandardError.ReadToEndAsync() }
}

$runs = foreach ($run in $plan.Runs) {
    $traffic = @(foreach ($t in @($run.Traffic)) { if ($t) { Start-Traffic $t } })
    try {
        # Let the traffic get going (python starts in a few hundred ms on a busy machine) before the capture does.
        if ($traffic) { Start-Sleep -Seconds $plan.TrafficLead }
        $config = New-PesterConfiguration
        $config.Run.Container = New-PesterContainer -Path $run.Path -Data $run.Data
        $config.Run.PassThru = $true
        $config.Output.Verbosity = 'None'
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-Pester -Configuration $config
        $seconds = [math]::Round($clock.Elapsed.TotalSeconds, 2)
    }
    finally {
        foreach ($t in $traffic) { if (-not $t.Process.HasExited) { $t.Process.Kill($true) }; $null = $t.Process.WaitForExit(5000) }
    }
    [ordered]@{
        Check   = $run.Check
        Name    = $run.Name
        Result  = "$($r.Result)"
        Passed  = $r.PassedCount
        Failed  = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount
        Skipped = $r.SkippedCount
        Seconds = $seconds
        # The traffic's complaints (a line per failed connection), the first few.
        Traffic = @(foreach ($t in $traffic) { [ordered]@{ Arguments = $t.Arguments; Errors = @(("$(if ($t.Errors.Wait(2000)) { $t.Errors.Result })" -split "`n" | Where-Object { $_ }) | Select-Object -First 3) } })
        # A container that did not run (a syntax error, a throwing BeforeAll) has no tests, only this.
        Errors  = @($r.Containers | ForEach-Object { $_.ErrorRecord } | Where-Object { $_ } | ForEach-Object { "$_" })
        Tests   = @(foreach ($t in $r.Tests) {
                [ordered]@{
                    Name    = $t.ExpandedName
                    Result  = "$($t.Result)"
                    Message = (@($t.ErrorRecord) | Where-Object { $_ } | ForEach-Object { $_.Exception.Message }) -join "`n"
                }
            })
    }
}
ConvertTo-Json -InputObject @($runs) -Depth 6 | Set-Content -Path $Result
