# TcpLab: test hosts with real Linux TCP stacks for the Pester suites, built from network namespaces.
#
# A lab is one L2 segment: a switch namespace holding a bridge, and a namespace per host whose eth0 is a veth
# plugged into that bridge. Every host gets 198.18.<net>.<n>/24 and fd00:198:18:<net>::<n>/64 (RFC 2544 benchmarking
# space and a ULA: nothing else is ever addressed), and every host's /etc/hosts (ip netns exec bind-mounts
# /etc/netns/<ns>/hosts) names all hosts, so 'web01' resolves inside the lab as in the docs. Remove-TcpLab kills what
# runs in the namespaces and deletes them; labs whose creating process is gone are removed by the next New-TcpLab.

Set-StrictMode -Version 3.0

$script:LabRoot = Join-Path ([IO.Path]::GetTempPath()) 'tcptools-lab'

function Test-TcpLabSupported {
    # Root and iproute2: what building namespaces needs. Returns $null when possible, else the reason.
    if (-not $IsLinux) { return 'network namespaces need Linux' }
    if ((& id -u) -ne '0') { return 'building network namespaces needs root (runs under CI=true as root)' }
    if (-not (Get-Command ip -ErrorAction Ignore)) { return 'iproute2 (ip) is not installed' }
    return $null
}

function Assert-TcpLabSupported {
    # In an It block: skip with the reason when the lab cannot be built, except under CI=true, where that is a failure.
    $reason = Test-TcpLabSupported
    if ($null -eq $reason) { return $true }
    if ($env:CI -eq 'true') { throw "CI=true, but $reason." }
    Set-ItResult -Skipped -Because $reason
    return $false
}

function Invoke-Native {
    # Runs a program, throws with its stderr when it fails.
    param([Parameter(Mandatory)][string] $File, [string[]] $ArgumentList = @(), [switch] $IgnoreExitCode)
    $out = & $File @ArgumentList 2>&1
    if ($LASTEXITCODE -ne 0 -and -not $IgnoreExitCode) {
        throw "$File $($ArgumentList -join ' ') failed ($LASTEXITCODE): $($out -join "`n")"
    }
    $out | ForEach-Object { "$_" }
}

function Remove-StaleTcpLab {
    # Labs of processes that are gone: their switch namespace is named tt<tag>sw, and the tag file holds the pid.
    if (-not (Test-Path $script:LabRoot)) { return }
    foreach ($dir in Get-ChildItem $script:LabRoot -Directory -ErrorAction Ignore) {
        $pidFile = Join-Path $dir.FullName 'pid'
        $owner = if (Test-Path $pidFile) { [int](Get-Content $pidFile) } else { 0 }
        if ($owner -gt 0 -and (Test-Path "/proc/$owner")) { continue }
        $lab = [pscustomobject]@{ Tag = $dir.Name; Directory = $dir.FullName; Namespaces = @(Get-Content (Join-Path $dir.FullName 'namespaces') -ErrorAction Ignore) }
        Remove-TcpLab -Lab $lab
    }
}

function New-TcpLab {
    <#
    .SYNOPSIS
        Builds hosts on one segment. -Hosts is an ordered list of names (client, web01, db01 ...): host i gets
        198.18.<Net>.<i+1> and fd00:198:18:<Net>::<i+1>, or the number after '=' (web01=10: 198.18.<Net>.10).
        -Aliases adds more names for a host's address.
    #>
    param(
        [Parameter(Mandatory)][string[]] $Hosts,
        [ValidateRange(0, 255)][int] $Net = 7,
        [hashtable] $Aliases = @{},
        # Also give each host's IPv6 address its plain name (web01 resolves to both families, IPv4 first, as a
        # dual-stack host's DNS name does); without it only name-v6 is IPv6.
        [switch] $DualStackNames
    )
    Remove-StaleTcpLab
    $tag = 'tt{0}{1}' -f ($PID % 10000), (Get-Random -Minimum 10 -Maximum 99)
    $dir = Join-Path $script:LabRoot $tag
    $null = New-Item -ItemType Directory -Force -Path $dir
    Set-Content -Path (Join-Path $dir 'pid') -Value $PID
    $lab = [pscustomobject]@{
        Tag        = $tag
        Directory  = $dir
        Switch     = "${tag}sw"
        Namespaces = [System.Collections.Generic.List[string]]::new()
        Hosts      = [ordered]@{}
        Processes  = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    }
    try {
        $lab.Namespaces.Add($lab.Switch)
        Set-Content -Path (Join-Path $dir 'namespaces') -Value $lab.Namespaces
        Invoke-Native ip 'netns', 'add', $lab.Switch | Out-Null
        Invoke-Native ip '-n', $lab.Switch, 'link', 'add', 'br0', 'type', 'bridge' | Out-Null
        Invoke-Native ip '-n', $lab.Switch, 'link', 'set', 'br0', 'up' | Out-Null
        $i = 0
        foreach ($spec in $Hosts) {
            $i++
            $name, $number = if ($spec -match '^(.+)=(\d+)$') { $Matches[1], [int]$Matches[2] } else { $spec, ($i + 1) }
            $ns = "$tag$i"
            $lab.Namespaces.Add($ns)
            Set-Content -Path (Join-Path $dir 'namespaces') -Value $lab.Namespaces
            Invoke-Native ip 'netns', 'add', $ns | Out-Null
            $port = "p$i"
            Invoke-Native ip '-n', $lab.Switch, 'link', 'add', $port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', $ns | Out-Null
            Invoke-Native ip '-n', $lab.Switch, 'link', 'set', $port, 'master', 'br0', 'up' | Out-Null
            $v4 = "198.18.$Net.$number"
            # The host number reads the same in both families: 198.18.0.10 and fd00:198:18::10.
            $v6 = ([ipaddress]"fd00:198:18:${Net}::$number").ToString()
            Invoke-Native ip '-n', $ns, 'link', 'set', 'lo', 'up' | Out-Null
            Invoke-Native ip '-n', $ns, 'addr', 'add', "$v4/24", 'dev', 'eth0' | Out-Null
            Invoke-Native ip '-n', $ns, '-6', 'addr', 'add', "$v6/64", 'dev', 'eth0', 'nodad' | Out-Null
            Invoke-Native ip '-n', $ns, 'link', 'set', 'eth0', 'up' | Out-Null
            # Wire-sized segments in captures (no segmentation offload on the veth); ethtool is optional.
            if (Get-Command ethtool -ErrorAction Ignore) {
                Invoke-Native ip 'netns', 'exec', $ns, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off', 'gro', 'off' -IgnoreExitCode | Out-Null
            }
            $lab.Hosts[$name] = [pscustomobject]@{ Name = $name; Namespace = $ns; IPv4 = $v4; IPv6 = $v6; Interface = 'eth0' }
        }
        $hostsFile = @('127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback')
        foreach ($h in $lab.Hosts.Values) {
            $names = @($h.Name) + @($Aliases[$h.Name] | Where-Object { $_ })
            $hostsFile += "$($h.IPv4) $($names -join ' ')"
            $v6Names = @($names | ForEach-Object { "$_-v6" })
            if ($DualStackNames) { $v6Names = @($names) + $v6Names }
            $hostsFile += "$($h.IPv6) $($v6Names -join ' ')"
        }
        foreach ($h in $lab.Hosts.Values) {
            $etc = "/etc/netns/$($h.Namespace)"
            $null = New-Item -ItemType Directory -Force -Path $etc
            Set-Content -Path "$etc/hosts" -Value $hostsFile
        }
        # The neighbours answer at once: wait until every host's veth is up and its IPv6 address usable.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        foreach ($h in $lab.Hosts.Values) {
            while ((Invoke-Native ip '-n', $h.Namespace, 'addr', 'show', 'dev', 'eth0') -match 'tentative' -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 50
            }
        }
        $lab
    }
    catch {
        Remove-TcpLab -Lab $lab
        throw
    }
}

function Start-TcpLabProcess {
    <#
    .SYNOPSIS
        Starts a program inside a lab host's namespace, bounded by -Seconds (coreutils timeout kills it), and
        tracks it for Remove-TcpLab. Standard output is a pipe (read it: servers print "ready"); standard error
        goes to a file in the lab directory, named by the process's ErrorLog property, so a chatty program can
        never fill a pipe nobody reads and stall.
    #>
    param(
        [Parameter(Mandatory)] $Lab,
        [Parameter(Mandatory)][string] $HostName,
        [Parameter(Mandatory)][string] $FilePath,
        [string[]] $ArgumentList = @(),
        [ValidateRange(1, 3600)][int] $Seconds = 300,
        [hashtable] $Environment = @{}
    )
    $h = $Lab.Hosts[$HostName]
    if (-not $h) { throw "The lab has no host '$HostName'." }
    $errorLog = Join-Path $Lab.Directory ('{0}-{1}-{2}.stderr' -f $HostName, [IO.Path]::GetFileNameWithoutExtension($FilePath), [guid]::NewGuid().ToString('n').Substring(0, 8))
    $psi = [System.Diagnostics.ProcessStartInfo]::new('ip')
    $wrapped = @('netns', 'exec', $h.Namespace, 'sh', '-c', 'exec 2>"$0"; exec "$@"', $errorLog, 'timeout', '-k', '5', "$Seconds", $FilePath) + $ArgumentList
    foreach ($a in $wrapped) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    # A pipe nobody writes: the program never reads the terminal.
    $psi.RedirectStandardInput = $true
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = "$($Environment[$k])" }
    $process = [System.Diagnostics.Process]::Start($psi)
    $Lab.Processes.Add($process)
    Add-Member -InputObject $process -NotePropertyName ErrorLog -NotePropertyValue $errorLog -PassThru
}

function Invoke-TcpLabPwsh {
    <#
    .SYNOPSIS
        Runs a pwsh script inside a lab host (its namespace, its /etc/hosts), with TcpTools from ./out on the
        PSModulePath, in -WorkingDirectory; returns exit code, standard output and standard error. Bounded by -Seconds.
    #>
    param(
        [Parameter(Mandatory)] $Lab,
        [Parameter(Mandatory)][string] $HostName,
        [Parameter(Mandatory)][string] $ScriptPath,
        [string[]] $ArgumentList = @(),
        [string] $WorkingDirectory = $Lab.Directory,
        [ValidateRange(1, 3600)][int] $Seconds = 300,
        [hashtable] $Environment = @{}
    )
    $h = $Lab.Hosts[$HostName]
    # The pwsh running this: an installed pwsh, or the .NET tool's pwsh.dll (run with dotnet).
    $pwsh, $pwshArgs = if (Test-Path "$PSHOME/pwsh") { "$PSHOME/pwsh", @() } else { (Get-Command dotnet).Source, @("$PSHOME/pwsh.dll") }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('ip')
    foreach ($a in @('netns', 'exec', $h.Namespace, 'timeout', '-k', '5', "$Seconds", $pwsh) + $pwshArgs + @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.Environment['PSModulePath'] = $env:PSModulePath
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = "$($Environment[$k])" }
    $p = [System.Diagnostics.Process]::Start($psi)
    $stdout = $p.StandardOutput.ReadToEndAsync()
    $stderr = $p.StandardError.ReadToEndAsync()
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
}

function Invoke-TcpLabCommand {
    # Runs a program inside a lab host and returns its output lines (throws when it fails).
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)][string] $HostName, [Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @(), [switch] $IgnoreExitCode)
    Invoke-Native ip (@('netns', 'exec', $Lab.Hosts[$HostName].Namespace, 'timeout', '60', $FilePath) + $ArgumentList) -IgnoreExitCode:$IgnoreExitCode
}

function Get-TcpLabSocket {
    # The TCP sockets of a lab host as ss shows them (LISTEN excluded): State (ss's word), Local, Peer.
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)][string] $HostName)
    foreach ($line in Invoke-TcpLabCommand -Lab $Lab -HostName $HostName -FilePath ss -ArgumentList '-tanH') {
        $cols = -split $line
        if ($cols.Count -ge 5 -and $cols[0] -ne 'LISTEN') {
            [pscustomobject]@{ State = $cols[0]; Local = $cols[3]; Peer = $cols[4] }
        }
    }
}

function Remove-TcpLab {
    # Kills every process in the lab's namespaces, deletes them and the lab's files. Safe to call twice.
    param([Parameter(Mandatory)] $Lab)
    # A stale lab rebuilt from its files has no Processes: its processes are found through the namespaces.
    $started = $Lab.psobject.Properties['Processes']
    foreach ($p in @(if ($started) { $started.Value })) {
        try { if (-not $p.HasExited) { $p.Kill($true) } } catch { }
    }
    foreach ($ns in @($Lab.Namespaces)) {
        if (-not (Test-Path "/run/netns/$ns")) { continue }
        foreach ($procId in @(Invoke-Native ip 'netns', 'pids', $ns -IgnoreExitCode)) {
            if ("$procId" -match '^\d+$') { & kill -KILL $procId 2>$null }
        }
        Invoke-Native ip 'netns', 'del', $ns -IgnoreExitCode | Out-Null
        Remove-Item -Recurse -Force "/etc/netns/$ns" -ErrorAction Ignore
    }
    Remove-Item -Recurse -Force $Lab.Directory -ErrorAction Ignore
}

Export-ModuleMember -Function Test-TcpLabSupported, Assert-TcpLabSupported, New-TcpLab, Start-TcpLabProcess, Invoke-TcpLabPwsh, Invoke-TcpLabCommand, Get-TcpLabSocket, Remove-TcpLab
