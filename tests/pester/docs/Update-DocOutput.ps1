#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the documentation examples in the docs lab and writes what each printed into its ```output blocks.
.DESCRIPTION
    For maintainers, after a change to a format view or an example: `sudo pwsh tests/pester/docs/Update-DocOutput.ps1`
    (root: the lab is network namespaces). Every example that has an ```output or ```output live block gets the
    output of this run in that block (an example with several output blocks must be given one); examples without a
    block are left as they are. Examples that fail are reported and their blocks left alone. Review the diff: the
    docs test (tests/pester/Docs.Tests.ps1) then holds the docs to it.
.EXAMPLE
    sudo pwsh tests/pester/docs/Update-DocOutput.ps1 -Path en-US/Get-TcpFlow.md
#>
[CmdletBinding()]
param(
    # The markdown files to update; by default README.md and en-US/*.md.
    [string[]] $Path
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '..' '..' '..')).Path
$env:PSModulePath = (Join-Path $root 'out') + [IO.Path]::PathSeparator + $env:PSModulePath
Import-Module (Join-Path $PSScriptRoot 'DocExamples.psm1') -Force
Import-Module (Join-Path $root 'tests' 'pester' 'lab' 'TcpLab.psm1') -Force
$reason = Test-TcpLabSupported
if ($reason) { throw "Update-DocOutput.ps1: $reason" }
$examples = if ($Path) { @(Get-DocExample -Path ($Path | ForEach-Object { (Resolve-Path $_).Path })) } else { @(Get-DocExample) }
$pester = Get-ChildItem (Join-Path $HOME '.nuget' 'packages' 'pester') -Directory | Sort-Object { [version]$_.Name } | Select-Object -First 1
$lab = Start-DocLab
try {
    $results = Invoke-DocExample -Example $examples -Lab $lab -PesterPath (Join-Path $pester.FullName 'tools' 'Pester.psd1')
}
finally {
    Stop-DocLab -Lab $lab
}

function Format-DocOutput([string] $text) {
    # As the docs show output: no trailing spaces, no blank lines at either end, at most one blank line in a row.
    $lines = @($text -split "`r?`n" | ForEach-Object { $_.TrimEnd() })
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($l in $lines) {
        if ($l.Length -eq 0 -and ($out.Count -eq 0 -or $out[-1].Length -eq 0)) { continue }
        $out.Add($l)
    }
    while ($out.Count -gt 0 -and $out[-1].Length -eq 0) { $out.RemoveAt($out.Count - 1) }
    $out
}

foreach ($file in $examples | Group-Object File) {
    $lines = [System.Collections.Generic.List[string]](Get-Content -LiteralPath $file.Name)
    # From the bottom up, so the line numbers of the blocks above stay right.
    foreach ($example in $file.Group | Where-Object { $_.OutputBlocks.Count -gt 0 } | Sort-Object Line -Descending) {
        $result = $results[$example.Id]
        if ($example.OutputBlocks.Count -gt 1) { Write-Warning "$($example.Id): $($example.OutputBlocks.Count) output blocks; give it one."; continue }
        if (-not $result -or $result.Errors) { Write-Warning "$($example.Id): not updated: $($result.Errors -join '; ')"; continue }
        $block = $example.OutputBlocks[0]
        $lines.RemoveRange($block.Start + 1, $block.End - $block.Start - 1)
        $lines.InsertRange($block.Start + 1, [string[]]@(Format-DocOutput $result.Output))
    }
    Set-Content -LiteralPath $file.Name -Value $lines
    Write-Host "Updated $($file.Name)"
}
