# TcpTools.psm1: the module's script part. The cmdlets live in TcpTools.dll (a nested module, see TcpTools.psd1);
# this file adds what is best written in PowerShell itself: Invoke-TcpCommand, which fans a command out over
# PowerShell remoting, and Pester assertions (Should -BeListening, Should -HaveTcpState) registered when Pester is
# loaded.

Set-StrictMode -Version 3.0

#region Pester assertions

# Pester calls an operator as `& $test -ActualValue $x -Negate:$n -CallerSessionState $s @BoundParameters` and wants
# back an object with Succeeded and FailureMessage. Simple functions (no CmdletBinding), so parameters Pester adds
# in later versions land in $args instead of failing the call.

function ShouldBeListening($ActualValue, [switch] $Negate, [string] $Because) {
    # 'web01:443' | Should -BeListening: a half-open SYN probe (Send-TcpSyn) to every port must come back Open.
    # Also takes TcpProbeResult objects already probed, and objects with ComputerName and Port (Import-Csv rows).
    $why = if ($Because) { " because $($Because.Trim())," } else { '' }
    $items = @($ActualValue | Where-Object { $null -ne $_ })
    if ($items.Count -eq 0) {
        return [pscustomobject]@{ Succeeded = $false; FailureMessage = "Expected a target such as 'web01:443' to probe,$why but got nothing." }
    }
    $results = [System.Collections.Generic.List[object]]::new()
    $toProbe = [System.Collections.Generic.List[object]]::new()
    foreach ($item in $items) {
        if ($item.psobject.TypeNames -match 'TcpTools\.TcpProbeResult$') { $results.Add($item) } else { $toProbe.Add($item) }
    }
    $problems = [System.Collections.Generic.List[string]]::new()
    if ($toProbe.Count -gt 0) {
        $errors = $null
        foreach ($r in @($toProbe | Send-TcpSyn -ErrorVariable errors -ErrorAction SilentlyContinue)) { $results.Add($r) }
        foreach ($e in @($errors)) {
            $text = if ($e.ErrorDetails -and $e.ErrorDetails.Message) { $e.ErrorDetails.Message } else { $e.Exception.Message }
            $problems.Add("$($e.TargetObject): $($text.TrimEnd('.'))")
        }
    }
    $open = @($results | Where-Object { "$($_.Status)" -eq 'Open' })
    $notOpen = @($results | Where-Object { "$($_.Status)" -ne 'Open' })
    $succeeded = $problems.Count -eq 0 -and $results.Count -gt 0 -and $(if ($Negate) { $open.Count -eq 0 } else { $notOpen.Count -eq 0 })
    if ($succeeded) {
        return [pscustomobject]@{ Succeeded = $true; FailureMessage = $null }
    }
    $targets = (@($items | ForEach-Object { if ($_ -is [string]) { $_ } elseif ($_.psobject.Properties['Target']) { $_.Target } else { "$_" } }) | Select-Object -Unique) -join ', '
    $shown = if ($Negate) { $open } else { $notOpen }
    foreach ($r in $shown) { $problems.Add((DescribeProbe $r)) }
    $verb = if ($Negate) { 'not to be listening' } else { 'to be listening' }
    [pscustomobject]@{
        Succeeded      = $false
        FailureMessage = "Expected $targets $verb,$why but " + ($problems -join '; ') + '.'
    }
}

function DescribeProbe($r) {
    # What the wire showed for one probe, in a few words.
    $where = if ("$($r.Address)".Contains(':')) { "[$($r.Address)]:$($r.Port)" } else { "$($r.Address):$($r.Port)" }
    $rtt = if ($null -ne $r.Rtt) { ' after {0:0.0} ms' -f ([double]$r.Rtt * 1000) } else { '' }
    switch ("$($r.Status)") {
        'Open' { "$where answered the SYN with a SYN-ACK$rtt (Open, TTL $($r.Ttl), window $($r.Window))" }
        'Closed' { "$where answered the SYN with a RST$rtt (Closed: the host is up, nothing listens)" }
        default {
            if ("$($r.Reason)" -eq 'no-response') {
                "$where did not answer $($r.Attempts) SYN$(if ($r.Attempts -ne 1) { 's' }) (Filtered: dropped on the way, or the host is down)"
            }
            else {
                "$($r.ReasonAddress) answered the SYN to $where with $($r.Reason)$rtt (Filtered)"
            }
        }
    }
}

function ShouldHaveTcpState($ActualValue, $ExpectedValue, [switch] $Negate, [string] $Because) {
    # $flow | Should -HaveTcpState TimeWait: the connection has an endpoint (client or server) in one of the states.
    # Every connection given must; with -Not, none may. Works on deserialized connections from remoting too.
    $why = if ($Because) { " because $($Because.Trim())," } else { '' }
    $expected = foreach ($e in @($ExpectedValue)) {
        $state = $null
        if ("$e" -match '^\s*\d' -or -not [enum]::TryParse([TcpTools.TcpState], "$e", $true, [ref] $state)) {
            return [pscustomobject]@{
                Succeeded      = $false
                FailureMessage = "'$e' is not a TCP state: use one of $([enum]::GetNames([TcpTools.TcpState]) -join ', ')."
            }
        }
        "$state"
    }
    $wanted = ($expected -join ' or ')
    $flows = @($ActualValue | Where-Object { $null -ne $_ })
    if ($flows.Count -eq 0) {
        $message = if ($Negate) { $null } else { "Expected a connection with an endpoint in $wanted,$why but no connection was given (did the capture see it?)." }
        return [pscustomobject]@{ Succeeded = [bool]$Negate; FailureMessage = $message }
    }
    $bad = @(foreach ($f in $flows) {
        $has = ("$($f.ClientState)" -in $expected) -or ("$($f.ServerState)" -in $expected) -or ("$($f.State)" -in $expected)
        if ($has -eq [bool]$Negate) { $f }
    })
    if ($bad.Count -eq 0) {
        return [pscustomobject]@{ Succeeded = $true; FailureMessage = $null }
    }
    $described = @($bad | Select-Object -First 5 | ForEach-Object {
        $seen = if ($_.psobject.Properties['LastSeen'] -and $null -ne $_.LastSeen) { ", last segment $($_.LastSeen.ToString())" } else { '' }
        $how = switch ("$($_.CloseReason)") { 'Open' { 'still open' } 'Fin' { 'closed with FIN' } 'Reset' { 'reset' } 'Timeout' { 'timed out' } 'Evicted' { 'evicted from a full table' } default { "$_" } }
        "$($_.Client) > $($_.Server): client $($_.ClientState), server $($_.ServerState) (history $($_.History), $how$seen)"
    })
    if ($bad.Count -gt 5) { $described += "and $($bad.Count - 5) more" }
    $verb = if ($Negate) { "no endpoint in $wanted" } else { "an endpoint in $wanted" }
    $subject = if ($flows.Count -eq 1) { 'the connection' } else { "each of $($flows.Count) connections" }
    [pscustomobject]@{
        Succeeded      = $false
        FailureMessage = "Expected $subject to have $verb,$why but " + ($described -join '; ') + '.'
    }
}

function RegisterShouldOperators {
    # Pester keeps its operators in its own module state, for the whole session.
    if (-not (Get-Command -Name Add-ShouldOperator -Module Pester -ErrorAction Ignore)) { return }
    $known = @(Get-ShouldOperator | ForEach-Object Name)
    foreach ($op in @(
            @{ Name = 'BeListening'; Test = ${function:ShouldBeListening}; InternalName = 'ShouldBeListening' }
            @{ Name = 'HaveTcpState'; Test = ${function:ShouldHaveTcpState}; InternalName = 'ShouldHaveTcpState' })) {
        if ($op.Name -in $known) {
            # Registered by an earlier import of this module. Pester accepts the same test again but refuses a
            # different one under the same name (a newer TcpTools imported with -Force): the first one stays.
            continue
        }
        try {
            Add-ShouldOperator @op -SupportsArrayInput
        }
        catch {
            Write-Warning "TcpTools could not add Should -$($op.Name) to Pester: $($_.Exception.Message)"
        }
    }
}

#endregion

#region Invoke-TcpCommand

function Invoke-TcpCommand {
    # .EXTERNALHELP TcpTools.dll-Help.xml
    [CmdletBinding(DefaultParameterSetName = 'HostName')]
    [OutputType([psobject])]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'HostName')]
        [ValidateNotNullOrEmpty()]
        [string[]] $HostName,

        [Parameter(Mandatory, ParameterSetName = 'Session')]
        [ValidateNotNullOrEmpty()]
        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [Parameter(Mandatory, Position = 1)]
        [scriptblock] $ScriptBlock,

        [object[]] $ArgumentList = @(),

        [Parameter(ParameterSetName = 'HostName')]
        [string] $UserName,

        [Parameter(ParameterSetName = 'HostName')]
        [string] $KeyFilePath,

        [Parameter(ParameterSetName = 'HostName')]
        [ValidateRange(1, 65535)]
        [int] $Port,

        [Parameter(ParameterSetName = 'HostName')]
        [hashtable] $Options,

        [Parameter(ParameterSetName = 'HostName')]
        [ValidateRange(1, 3600)]
        [int] $ConnectingTimeout = 15
    )
    $own = @()
    try {
        if ($PSCmdlet.ParameterSetName -eq 'HostName') {
            # PowerShell waits for an SSH connection without end by default; a host that accepts TCP but never
            # speaks SSH would hang the whole fan-out.
            $ssh = @{ HostName = $HostName; ConnectingTimeout = $ConnectingTimeout * 1000 }
            foreach ($name in 'UserName', 'KeyFilePath', 'Port', 'Options') {
                if ($PSBoundParameters.ContainsKey($name)) { $ssh[$name] = $PSBoundParameters[$name] }
            }
            $connectErrors = $null
            $own = @(New-PSSession @ssh -ErrorVariable connectErrors -ErrorAction SilentlyContinue)
            foreach ($e in @($connectErrors)) { $PSCmdlet.WriteError($e) }
            $sessions = $own
        }
        else {
            $sessions = @($Session)
        }
        if ($sessions.Count -eq 0) { return }

        # Which hosts have TcpTools? Asked in plain PowerShell, so a host without it answers too, and the error
        # names it (a remote "command not found" comes back without the host's name).
        $probeErrors = $null
        $found = @(Invoke-Command -Session $sessions -ErrorVariable probeErrors -ErrorAction SilentlyContinue -ScriptBlock {
                $m = Get-Module -ListAvailable -Name TcpTools | Sort-Object Version -Descending | Select-Object -First 1
                [pscustomobject]@{ Version = if ($m) { "$($m.Version)" } else { $null }; ModulePath = $env:PSModulePath }
            })
        foreach ($e in @($probeErrors)) { $PSCmdlet.WriteError($e) }
        $mine = $MyInvocation.MyCommand.Module.Version
        $ready = @(foreach ($s in $sessions) {
                $answer = $found | Where-Object { $_.RunspaceId -eq $s.Runspace.InstanceId } | Select-Object -First 1
                if ($null -eq $answer) { continue }
                if ($null -eq $answer.Version) {
                    $message = "$($s.ComputerName): TcpTools is not installed there (no TcpTools module in its PSModulePath: $($answer.ModulePath)). Install it there with 'Install-PSResource TcpTools', or copy the module folder into one of those folders."
                    $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
                            [System.InvalidOperationException]::new($message), 'TcpToolsNotInstalled', 'NotInstalled', $s.ComputerName))
                    continue
                }
                if ([version]$answer.Version -ne $mine) {
                    Write-Warning "$($s.ComputerName) has TcpTools $($answer.Version), this session ${mine}: objects and parameters may differ."
                }
                $s
            })
        if ($ready.Count -eq 0) { return }
        $importErrors = $null
        Invoke-Command -Session $ready -ScriptBlock { Import-Module TcpTools -ErrorAction Stop } -ErrorVariable importErrors -ErrorAction SilentlyContinue
        foreach ($e in @($importErrors)) { $PSCmdlet.WriteError($e) }
        $failed = @($importErrors | ForEach-Object { $_.OriginInfo.RunspaceID })
        $ready = @($ready | Where-Object { $_.Runspace.InstanceId -notin $failed })
        if ($ready.Count -eq 0) { return }
        Invoke-Command -Session $ready -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
    }
    finally {
        if ($own.Count -gt 0) { Remove-PSSession -Session $own -ErrorAction Ignore }
    }
}

#endregion

RegisterShouldOperators
Export-ModuleMember -Function Invoke-TcpCommand -Cmdlet *
