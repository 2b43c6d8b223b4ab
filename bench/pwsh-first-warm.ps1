#Requires -Version 7.4
<#
.SYNOPSIS
    The first Get-TcpFlow of a pwsh session against the warm ones: one line "FIRST WARM" in seconds, where WARM is
    the fastest of the next -Calls runs over the same file in the same session. bench/run.sh pwsh runs it in fresh
    processes and takes the medians.
#>
param(
    [Parameter(Mandatory)][string] $Path,
    [Parameter(Mandatory)][string] $Module,
    [int] $Calls = 4
)
Import-Module $Module
$times = foreach ($i in 0..$Calls) { (Measure-Command { Get-TcpFlow -Path $Path | Out-Null }).TotalSeconds }
'{0:0.000} {1:0.000}' -f $times[0], ($times[1..$Calls] | Measure-Object -Minimum).Minimum
