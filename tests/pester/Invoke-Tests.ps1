#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suites (tests/pester and examples/) in this pwsh with a pinned Pester, and writes the counts.
.DESCRIPTION
    tests/run.sh calls this after the xunit suites, once per pinned Pester version. Pester comes from the NuGet cache
    (`dotnet restore tests/pester/Pester.proj` puts it there: the package's tools/ folder is the module), the module
    under test from ./out/TcpTools, which this script puts first on PSModulePath so that `Import-Module TcpTools`
    finds the build, as an installed module would be found.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File tests/pester/Invoke-Tests.ps1 -PesterVersion 6.2.0
#>
[CmdletBinding()]
param(
    # The Pester version to run under: one that tests/pester/Pester.proj downloads.
    [string] $PesterVersion = '5.7.1',
    # Test files or folders; by default tests/pester and examples/.
    [string[]] $Path,
    # Where to write "passed failed skipped" (one line) for tests/run.sh.
    [string] $CountFile,
    # Where to write the NUnit XML report.
    [string] $ResultFile,
    # Run only tests with these tags.
    [string[]] $Tag,
    # Skip tests with these tags.
    [string[]] $ExcludeTag
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path "$PSScriptRoot/../..").Path
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget' 'packages' }
$pester = Join-Path $packages 'pester' $PesterVersion 'tools' 'Pester.psd1'
if (-not (Test-Path $pester)) {
    throw "Pester $PesterVersion is not in the NuGet cache ($pester): run 'dotnet restore tests/pester/Pester.proj'."
}
$module = Join-Path $root 'out' 'TcpTools' 'TcpTools.psd1'
if (-not (Test-Path $module)) {
    throw "The module is not built ($module): run 'dotnet build TcpTools.sln -c Release' or ./build.ps1."
}
$env:PSModulePath = (Join-Path $root 'out') + [IO.Path]::PathSeparator + $env:PSModulePath
Import-Module $pester -Force

$config = New-PesterConfiguration
$config.Run.Path = if ($Path) { $Path } else { @((Join-Path $root 'tests' 'pester'), (Join-Path $root 'examples')) | Where-Object { Test-Path $_ } }
$config.Run.PassThru = $true
$config.Output.Verbosity = if ($env:CI -eq 'true') { 'Detailed' } else { 'Normal' }
if ($Tag) { $config.Filter.Tag = $Tag }
# The checks in examples/ are for users' hosts: they probe web01 and capture on eth0 wherever they run. CI runs them
# inside lab hosts (tests/pester/Examples.Tests.ps1); run directly, they are discovered but not run.
$config.Filter.ExcludeTag = @(@($ExcludeTag) + $(if ('Example' -notin $Tag) { 'Example' }) | Where-Object { $_ })
if ($ResultFile) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultFile
}
Write-Host "Pester $PesterVersion in PowerShell $($PSVersionTable.PSVersion) on $($config.Run.Path.Value -join ', ')"
$result = Invoke-Pester -Configuration $config
# A container that failed to run (a syntax error, a throwing BeforeAll outside any test) counts as a failure.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
if ($CountFile) {
    "$($result.PassedCount) $failed $($result.SkippedCount)" | Set-Content -Path $CountFile
}
exit ([int]($failed -gt 0 -or $result.PassedCount -eq 0))
