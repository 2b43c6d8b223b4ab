#Requires -Version 7.4
<#
.SYNOPSIS
    The caller side of tests/pester/Remoting.Tests.ps1: runs in the lab's caller host, fans out to web01 and db01
    over SSH remoting, and writes what it saw there (counts, formatted text, JSON, errors) to -OutFile as CliXml.
.DESCRIPTION
    Everything about the deserialized objects is judged here, where they arrive; the test asserts on the facts.
    Three fan-outs, one after another:
      InvokeCommand   Invoke-Command -HostName web01, db01 -Port 2222 (both hosts have TcpTools on port 2222)
      TcpCommand      Invoke-TcpCommand -HostName web01, db01 -Port 2222
      NotInstalled    Invoke-TcpCommand -HostName web01, db01 (port 22: db01 has no TcpTools there)
    The first two run the same script block on both hosts: a live capture (Get-TcpFlow -Interface eth0 -Duration)
    while lab-client.py makes connections, then Send-TcpSyn to the caller, and the times both ran.
#>
param(
    [Parameter(Mandatory)][string] $KeyFile,
    # A folder where each host's session leaves a file before capturing (see $fanOut).
    [Parameter(Mandatory)][string] $BarrierDirectory,
    [Parameter(Mandatory)][string] $OutFile,
    [Parameter(Mandatory)][string] $SamplePath,
    [double] $Duration = 3
)
$ErrorActionPreference = 'Continue'
Import-Module TcpTools -ErrorAction Stop

$options = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; BatchMode = 'yes'; LogLevel = 'ERROR' }
# ConnectingTimeout: an upper bound only (sessions take 1.5-5 s here); without it a silent host would hang for ever.
$invokeSsh = @{ UserName = 'root'; KeyFilePath = $KeyFile; Options = $options; ConnectingTimeout = 30000 }   # ms
$tcpSsh = @{ UserName = 'root'; KeyFilePath = $KeyFile; Options = $options; ConnectingTimeout = 30 }          # s

$fanOut = {
    param([string] $Barrier, [double] $Duration)
    # Start together: Invoke-Command -HostName opens the sessions in parallel, but one may take seconds longer than
    # the other. Each session leaves a file and waits (at most 20 s) for the other's, so the captures overlap
    # however the set-up went. Hosts run one after the other would never both be there: the overlap check fails.
    $null = New-Item -ItemType File -Path (Join-Path $Barrier $PID)
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while (@(Get-ChildItem -LiteralPath $Barrier).Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
    $captureStart = [DateTime]::UtcNow
    Get-TcpFlow -Interface eth0 -Duration $Duration
    $captureEnd = [DateTime]::UtcNow
    Send-TcpSyn 'caller:80,81'
    [pscustomobject]@{
        PSTypeName   = 'TcpLab.Window'
        CaptureStart = $captureStart
        CaptureEnd   = $captureEnd
        ProbeEnd     = [DateTime]::UtcNow
        SshPort      = ($env:SSH_CONNECTION -split ' ')[3]
        TcpTools     = "$((Get-Module TcpTools).Version)"
    }
}

function Get-FanOutFact {
    # What the caller sees in the objects of one fan-out. $Output is the fan-out's output, $Errors its errors.
    param([object[]] $Output, [object[]] $Errors, [timespan] $Elapsed)
    $Output = @($Output)
    $flows = @($Output | Where-Object { $_.pstypenames -contains 'Deserialized.TcpTools.TcpConnectionState' })
    $probes = @($Output | Where-Object { $_.pstypenames -contains 'Deserialized.TcpTools.TcpProbeResult' })
    $windows = @($Output | Where-Object { $_.pstypenames -contains 'Deserialized.TcpLab.Window' })
    $timeWait = @($flows | Where-Object State -eq TimeWait)
    $json = if ($timeWait.Count -gt 0) { $timeWait[0] | ConvertTo-Json -Depth 2 } else { $null }
    [pscustomobject]@{
        Seconds          = [math]::Round($Elapsed.TotalSeconds, 1)
        Errors           = @($Errors | ForEach-Object { "$($_.OriginInfo) $($_.FullyQualifiedErrorId): $($_.Exception.Message)" })
        FlowTypeNames    = @($flows | ForEach-Object { $_.pstypenames[0] } | Sort-Object -Unique)
        FlowCount        = $flows.Count
        FlowHosts        = @($flows | Group-Object PSComputerName | ForEach-Object Name | Sort-Object)
        TimeWaitHosts    = @($timeWait | Group-Object PSComputerName | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Count = $_.Count } })
        TimeWaitServers  = @($timeWait | ForEach-Object { "$($_.PSComputerName) $($_.Server)" } | Sort-Object -Unique)
        # The view's text as a user would see it: Format-Table, and the default output of the objects themselves.
        FormatTable      = $timeWait | Select-Object -First 4 | Format-Table | Out-String -Width 120
        DefaultOutput    = $timeWait | Select-Object -First 4 | Out-String -Width 120
        FlowJson         = $json
        Probes           = @($probes | ForEach-Object { [pscustomobject]@{ Host = $_.PSComputerName; Port = [int]$_.Port; Status = "$($_.Status)" } })
        ProbeTable       = $probes | Format-Table | Out-String -Width 120
        Windows          = @($windows | ForEach-Object {
                [pscustomobject]@{ Host = $_.PSComputerName; Start = $_.CaptureStart; End = $_.CaptureEnd; ProbeEnd = $_.ProbeEnd; SshPort = $_.SshPort; TcpTools = $_.TcpTools }
            })
    }
}

$facts = [ordered]@{}

$barrier = Join-Path $BarrierDirectory 'invoke-command'
$null = New-Item -ItemType Directory -Force -Path $barrier
$sw = [Diagnostics.Stopwatch]::StartNew()
$out = Invoke-Command -HostName web01, db01 -Port 2222 @invokeSsh -ScriptBlock $fanOut -ArgumentList $barrier, $Duration -ErrorVariable err 2>$null
$facts.InvokeCommand = Get-FanOutFact -Output $out -Errors $err -Elapsed $sw.Elapsed

$barrier = Join-Path $BarrierDirectory 'invoke-tcpcommand'
$null = New-Item -ItemType Directory -Force -Path $barrier
$sw.Restart()
$out = Invoke-TcpCommand -HostName web01, db01 -Port 2222 @tcpSsh -ScriptBlock $fanOut -ArgumentList $barrier, $Duration -ErrorVariable err 2>$null
$facts.TcpCommand = Get-FanOutFact -Output $out -Errors $err -Elapsed $sw.Elapsed

# Port 22: db01's sessions there have no TcpTools. web01 reads the sample capture, which the hosts share with us.
$sw.Restart()
$terminated = $null
$out = @()
$err = $null
try {
    $out = Invoke-TcpCommand -HostName web01, db01 @tcpSsh -ScriptBlock { param($p) Get-TcpFlow -Path $p } -ArgumentList $SamplePath -ErrorVariable err -ErrorAction SilentlyContinue
}
catch {
    $terminated = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)"
}
$facts.NotInstalled = [pscustomobject]@{
    Seconds    = [math]::Round($sw.Elapsed.TotalSeconds, 1)
    Terminated = $terminated
    Errors     = @($err | ForEach-Object {
            [pscustomobject]@{
                FullyQualifiedErrorId = $_.FullyQualifiedErrorId
                Category              = "$($_.CategoryInfo.Category)"
                TargetObject          = "$($_.TargetObject)"
                TargetType            = if ($null -ne $_.TargetObject) { $_.TargetObject.GetType().FullName } else { $null }
                Message               = $_.Exception.Message
                Origin                = "$($_.OriginInfo)"
            }
        })
    OutputHosts = @($out | Group-Object PSComputerName | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Count = $_.Count } })
    TimeWait    = @($out | Where-Object State -eq TimeWait).Count
}

[pscustomobject]$facts | Export-Clixml -Path $OutFile -Depth 6
