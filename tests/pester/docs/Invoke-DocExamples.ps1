#Requires -Version 7.4
<#
.SYNOPSIS
    Runs documentation examples as a user would, one after another, and writes what each printed.
.DESCRIPTION
    Docs.Tests.ps1 runs this inside the docs lab's client host (its namespace: eth0, and host names web01 and db01
    in /etc/hosts), or on this machine for the examples that need no network. Each PowerShell example runs in a fresh
    runspace where TcpTools loads from PSModulePath as in a user's session (and Pester is loaded, for the examples that are Pester tests), in a fresh copy of
    the fixture folder, which holds the files the docs name (web.pcapng, client.pcap, ...). Its output is formatted
    as a 120-column console shows it. Each tcptools (sh) example runs with bash in the same kind of folder.

    Examples are stopped after -LiveSeconds when they touch the network (a live capture with -Watch never ends by
    itself), after -Seconds otherwise. Prompts are not answered: $ConfirmPreference is None, so a cmdlet whose
    ConfirmImpact is High (Send-TcpReset) does what the example says without asking; the tests of -Confirm are
    elsewhere. Progress bars are off.
#>
param(
    [Parameter(Mandatory)][string] $ExampleFile,
    [Parameter(Mandatory)][string] $FixtureDirectory,
    [Parameter(Mandatory)][string] $ResultFile,
    [string] $PesterPath,
    [int] $Seconds = 60,
    [int] $LiveSeconds = 15,
    # How many live examples run at once.
    [int] $Parallel = 4
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'DocExamples.psm1')
$examples = Import-Clixml $ExampleFile

# Live examples send packets to the hosts the docs name: only ever inside a lab namespace (tt...), where those names
# are lab hosts. Outside one they would go to whatever the machine's own network calls web01 or 198.18.0.10.
$namespace = if ($IsLinux) { "$(& ip netns identify $PID 2>$null)".Trim() } else { '' }
$live = @($examples | Where-Object { Test-DocExampleLive $_ })
if ($live.Count -gt 0 -and $namespace -notlike 'tt*') {
    throw "Refusing to run $($live.Count) live examples ($($live[0].Id) ...) outside a lab namespace (this process is in '$namespace'): run them through Docs.Tests.ps1, which builds the lab."
}
$work = Join-Path ([IO.Path]::GetTempPath()) "tcptools-doc-$PID"

function New-WorkDirectory([switch] $Shared) {
    # A fresh copy per example, so one that writes or deletes files (Export-TcpCapture -Force) leaves the others
    # intact; symbolic links (out -> the build) are kept as links. The examples that run one at a time all use the
    # same folder, /tmp/captures, so the paths they print are the same on every run (the docs show them).
    $dir = if ($Shared) { Join-Path ([IO.Path]::GetTempPath()) 'captures' } else { Join-Path $work ([guid]::NewGuid().ToString('n')) }
    if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }
    $null = New-Item -ItemType Directory -Path $dir -Force
    & cp -a (Join-Path $FixtureDirectory '.') $dir
    $dir
}

function Start-PowerShellExample($example, $directory, $limit) {
    # As a user's new session: TcpTools is found on PSModulePath and loads when an example first uses it (or
    # imports it); Pester is loaded, as Invoke-Pester has it loaded when a test file imports TcpTools.
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    if ($PesterPath) { $iss.ImportPSModule($PesterPath) }
    $rs = [runspacefactory]::CreateRunspace($iss)
    $rs.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $rs
    $prelude = "Set-Location -LiteralPath '$($directory -replace "'", "''")'; `$ConfirmPreference = 'None'; `$ProgressPreference = 'SilentlyContinue'; `$PSStyle.OutputRendering = 'PlainText'"
    if ($env:TCPTOOLS_DOC_SSH_KEY) {
        # The lab's SSH hosts take the lab's key; as a user's ~/.ssh/config would, the defaults say so once.
        $prelude += "; `$PSDefaultParameterValues = @{ '*-PSSession:KeyFilePath' = '$env:TCPTOOLS_DOC_SSH_KEY'; 'Invoke-Command:KeyFilePath' = '$env:TCPTOOLS_DOC_SSH_KEY'; 'Invoke-TcpCommand:KeyFilePath' = '$env:TCPTOOLS_DOC_SSH_KEY'; '*-PSSession:Options' = `$o = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; BatchMode = 'yes'; LogLevel = 'ERROR' }; 'Invoke-Command:Options' = `$o; 'Invoke-TcpCommand:Options' = `$o }"
    }
    $code = $example.Code
    if ($code -match '(?m)^\s*Describe\b') {
        # A Pester test, as a user runs one: from a file (Pester 5 runs Describe only from saved files). Its failures
        # are the example's errors.
        Set-Content -LiteralPath (Join-Path $directory 'example.Tests.ps1') -Value $code
        $code = '$run = Invoke-Pester -Path ./example.Tests.ps1 -PassThru -Output None; foreach ($t in $run.Failed) { Write-Error "Pester: $($t.ExpandedPath): $($t.ErrorRecord)" }; if ($run.PassedCount -eq 0) { Write-Error "Pester ran no test" }'
    }
    # One script, not a batch of statements: a stopped batch goes on touching its runspace after Stop(). Lines
    # stream out (Out-String -Stream) as a console shows them, so a live example stopped at its time limit keeps
    # what it had printed.
    $null = $ps.AddScript("$prelude`n$code").AddCommand('Out-String').AddParameter('Width', 120).AddParameter('Stream')
    $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
    [pscustomobject]@{
        Example   = $example
        Directory = $directory
        Limit     = $limit
        Shell     = $ps
        Runspace  = $rs
        Output    = $output
        Clock     = [Diagnostics.Stopwatch]::StartNew()
        Async     = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
    }
}

function Complete-PowerShellExample($run) {
    $ps = $run.Shell
    $stopped = -not $run.Async.IsCompleted
    $failure = $null
    if ($stopped) {
        $ps.Stop()
    }
    else {
        try { $null = $ps.EndInvoke($run.Async) } catch { $failure = $_.Exception.InnerException ?? $_.Exception }
    }
    $errors = @($ps.Streams.Error | ForEach-Object {
            $message = if ($_.ErrorDetails -and $_.ErrorDetails.Message) { $_.ErrorDetails.Message } else { $_.Exception.Message }
            "[$($_.FullyQualifiedErrorId)] $message"
        })
    if ($failure -and $failure -isnot [System.Management.Automation.PipelineStoppedException]) {
        $errors += "[terminating] $($failure.Message)"
    }
    $result = [pscustomobject]@{
        Id       = $run.Example.Id
        Output   = (@($run.Output) -join "`n")
        Errors   = $errors
        Warnings = @($ps.Streams.Warning | ForEach-Object Message)
        Stopped  = $stopped
        Seconds  = [Math]::Round($run.Clock.Elapsed.TotalSeconds, 2)
    }
    $ps.Dispose()
    $run.Runspace.Dispose()
    Remove-Item -Recurse -Force $run.Directory -ErrorAction Ignore
    $result
}

function Invoke-ShellExample($example, $directory, $limit) {
    # Set-up lines (building, installing) are what CI ran before the tests; the rest runs as written.
    $lines = @($example.Code -split "`n" | ForEach-Object {
            $parts = @($_ -split '\s&&\s' | Where-Object { $_ -notmatch $script:SetupPattern })
            $parts -join ' && '
        } | Where-Object { $_.Trim() })
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $psi = [System.Diagnostics.ProcessStartInfo]::new('timeout')
    foreach ($a in '-k', '5', "$limit", 'bash', '-c', ($lines -join "`n")) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $directory
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.Environment['COLUMNS'] = '120'
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    $p.WaitForExit()
    [pscustomobject]@{
        Id       = $example.Id
        Output   = $out.Result
        Errors   = @(if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 124) { "[exit $($p.ExitCode)] $($err.Result)" } elseif ($err.Result.Trim()) { "[stderr] $($err.Result)" })
        Warnings = @()
        Stopped  = $p.ExitCode -eq 124
        Seconds  = [Math]::Round($clock.Elapsed.TotalSeconds, 2)
    }
}

$script:SetupPattern = '^\s*(dotnet (build|test|tool|restore|pack)\b|\./build\.ps1|bash tests/run\.sh|sudo |apt(-get)? |git )'
# Examples that wait (captures, probes) run a few at a time: they spend their time waiting for packets. The others
# run one at a time, so their output is as a user's session makes it.
$results = [System.Collections.Generic.List[object]]::new()
$running = [System.Collections.Generic.List[object]]::new()
function Wait-Running([int] $below) {
    while ($running.Count -ge $below -and $running.Count -gt 0) {
        foreach ($run in @($running)) {
            if ($run.Async.IsCompleted -or $run.Clock.Elapsed.TotalSeconds -ge $run.Limit) {
                $results.Add((Complete-PowerShellExample $run))
                $running.Remove($run) | Out-Null
            }
        }
        Start-Sleep -Milliseconds 50
    }
}
foreach ($example in $examples) {
    $live = Test-DocExampleLive $example
    $limit = if ($live) { $LiveSeconds } else { $Seconds }
    if ($example.Language -eq 'sh') {
        Wait-Running 1
        $directory = New-WorkDirectory
        $results.Add((Invoke-ShellExample $example $directory $limit))
        continue
    }
    Wait-Running $(if ($live) { $Parallel } else { 1 })
    $running.Add((Start-PowerShellExample $example (New-WorkDirectory -Shared:(-not $live)) $limit))
    if (-not $live) { Wait-Running 1 }
}
Wait-Running 1
Remove-Item -Recurse -Force $work -ErrorAction Ignore
$results | Export-Clixml -Path $ResultFile
