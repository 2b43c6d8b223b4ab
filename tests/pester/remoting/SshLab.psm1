# SshLab: PowerShell remoting over SSH between the hosts of a TcpLab (tests/pester/lab/TcpLab.psm1).
#
# Each host runs its own sshd -D inside its namespace, with every file (host key, config, pid, log) in the lab
# directory, and a PowerShell subsystem: a /bin/sh wrapper that sets PSModulePath and execs the pwsh running these
# tests. The module path is chosen per listening port (from $SSH_CONNECTION), so one sshd can offer a host with
# TcpTools on one port and without it on another. Root logs in with a key made for the lab.
#
# Bounds: sshd runs under coreutils timeout (Start-TcpLabProcess); each session's pwsh too (sshd starts sessions in
# their own process group, out of that timeout's reach). Stop-TcpLabSsh kills the daemons and their sessions and
# waits until the namespaces hold no process, so Remove-TcpLab deletes namespaces nothing lives in; it removes
# /run/sshd only if Initialize-TcpLabSsh created it.

Set-StrictMode -Version 3.0

$script:Sshd = '/usr/sbin/sshd'

function Test-TcpLabSshSupported {
    # OpenSSH and python3: what these labs need beyond TcpLab's own. Returns $null when present, else the reason.
    if (-not (Test-Path $script:Sshd)) { return "$script:Sshd is not installed (apt-get install openssh-server)" }
    foreach ($tool in 'ssh', 'ssh-keygen') {
        if (-not (Get-Command $tool -ErrorAction Ignore)) { return "$tool is not installed (apt-get install openssh-client)" }
    }
    if (-not (Get-Command python3 -ErrorAction Ignore)) { return 'python3 is not installed (the lab servers and clients)' }
    return $null
}

function Assert-TcpLabSshSupported {
    # In an It block: Assert-TcpLabSupported, then the same for OpenSSH (skip with the reason, fail under CI=true).
    if (-not (Assert-TcpLabSupported)) { return $false }
    $reason = Test-TcpLabSshSupported
    if ($null -eq $reason) { return $true }
    if ($env:CI -eq 'true') { throw "CI=true, but $reason." }
    Set-ItResult -Skipped -Because $reason
    return $false
}

function Invoke-Bounded {
    # Runs a short program under timeout; throws with its output when it fails.
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @(), [int] $Seconds = 30)
    $out = & timeout -k 5 $Seconds $FilePath @ArgumentList 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed ($LASTEXITCODE): $($out -join "`n")" }
}

function Initialize-TcpLabSsh {
    <#
    .SYNOPSIS
        Adds an Ssh member to the lab: the client key root logs in with (KeyFile), the folder for the daemons' files,
        and the sshd processes started. Creates /run/sshd (Debian's sshd insists on it) if it is missing.
    #>
    param([Parameter(Mandatory)] $Lab)
    $dir = Join-Path $Lab.Directory 'ssh'
    $null = New-Item -ItemType Directory -Force -Path $dir
    $ssh = [pscustomobject]@{
        Directory      = $dir
        KeyFile        = Join-Path $dir 'client_ed25519'
        AuthorizedKeys = Join-Path $dir 'authorized_keys'
        CreatedRunSshd = $false
        Daemons        = [System.Collections.Generic.List[object]]::new()
    }
    $Lab | Add-Member -NotePropertyName Ssh -NotePropertyValue $ssh -Force
    if (-not (Test-Path /run/sshd)) {
        $null = New-Item -ItemType Directory -Path /run/sshd
        $ssh.CreatedRunSshd = $true
    }
    Invoke-Bounded ssh-keygen '-q', '-t', 'ed25519', '-N', '', '-C', "$($Lab.Tag)-client", '-f', $ssh.KeyFile
    Copy-Item "$($ssh.KeyFile).pub" $ssh.AuthorizedKeys
    $ssh
}

function Start-TcpLabSshd {
    <#
    .SYNOPSIS
        Starts sshd in a lab host, listening on its IPv4 address at each port of -ModulePath, whose value is the
        PSModulePath of PowerShell sessions that come in on that port ($null or '': a folder with no modules).
        Returns once every port listens (at most 10 s).
    #>
    param(
        [Parameter(Mandatory)] $Lab,
        [Parameter(Mandatory)][string] $HostName,
        [Parameter(Mandatory)][hashtable] $ModulePath,
        # Lifetime of the daemon, and of each session's pwsh.
        [ValidateRange(10, 3600)][int] $Seconds = 180
    )
    $h = $Lab.Hosts[$HostName]
    $ssh = $Lab.Ssh
    $d = Join-Path $ssh.Directory $HostName
    $empty = Join-Path $d 'no-modules'
    $null = New-Item -ItemType Directory -Force -Path $d, $empty
    $hostKey = Join-Path $d 'ssh_host_ed25519_key'
    Invoke-Bounded ssh-keygen '-q', '-t', 'ed25519', '-N', '', '-C', "$HostName-hostkey", '-f', $hostKey

    # The pwsh running this, as Invoke-TcpLabPwsh starts it: the apphost, or the .NET tool's pwsh.dll with dotnet.
    $pwsh = if (Test-Path "$PSHOME/pwsh") { "'$PSHOME/pwsh'" } else { "'$((Get-Command dotnet).Source)' '$PSHOME/pwsh.dll'" }
    $cases = foreach ($port in $ModulePath.Keys | Sort-Object) {
        $path = if ($ModulePath[$port]) { $ModulePath[$port] } else { $empty }
        "    $port) PSModulePath='$path' ;;"
    }
    $wrapper = Join-Path $d 'pwsh-sshs.sh'
    Set-Content -Path $wrapper -Value @"
#!/bin/sh
# PowerShell SSH subsystem of $HostName. sshd runs it as: `$SHELL -c '<this> -sshs -NoLogo -NoProfile'.
# The module path depends on the port the client came in on (the last field of SSH_CONNECTION).
case "`${SSH_CONNECTION##* }" in
$($cases -join "`n")
    *) PSModulePath='$empty' ;;
esac
export PSModulePath DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
exec timeout -k 5 $Seconds $pwsh "`$@"
"@
    & chmod 755 $wrapper

    $config = Join-Path $d 'sshd_config'
    $listen = foreach ($port in $ModulePath.Keys | Sort-Object) { "ListenAddress $($h.IPv4):$port" }
    Set-Content -Path $config -Value @"
# sshd of lab host $HostName ($($h.Namespace)): every file in $d
$($listen -join "`n")
HostKey $hostKey
PidFile $d/sshd.pid
AuthorizedKeysFile $($ssh.AuthorizedKeys)
# The lab lives under /tmp (mode 1777), which StrictModes would reject as the home of the authorized keys.
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
UseDNS no
# sshd starts the subsystem with the user's shell, and bash run by sshd sources ~/.bashrc when it is the first
# level: root's (pyenv init here) costs about 1 s of each session. SHLVL=1 makes bash the second level.
SetEnv SHLVL=1
LogLevel VERBOSE
Subsystem powershell $wrapper -sshs -NoLogo -NoProfile
"@
    Invoke-Bounded $script:Sshd '-t', '-f', $config
    $p = Start-TcpLabProcess -Lab $Lab -HostName $HostName -FilePath $script:Sshd -ArgumentList '-D', '-f', $config, '-E', "$d/sshd.log" -Seconds $Seconds
    $ssh.Daemons.Add([pscustomobject]@{ HostName = $HostName; Namespace = $h.Namespace; Process = $p; Log = "$d/sshd.log" })
    Wait-TcpLabListener -Lab $Lab -HostName $HostName -Port @($ModulePath.Keys)
}

function Wait-TcpLabListener {
    # Waits (at most -Seconds) until a lab host listens on every TCP port given; throws if it does not.
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)][string] $HostName, [Parameter(Mandatory)][int[]] $Port, [int] $Seconds = 10)
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    do {
        $listening = @(Invoke-TcpLabCommand -Lab $Lab -HostName $HostName -FilePath ss -ArgumentList '-Hltn' |
                ForEach-Object { if ((-split $_)[3] -match ':(\d+)$') { [int]$Matches[1] } })
        $missing = @($Port | Where-Object { $_ -notin $listening })
        if ($missing.Count -eq 0) { return }
        Start-Sleep -Milliseconds 100
    } while ([DateTime]::UtcNow -lt $deadline)
    $log = @($Lab.Ssh.Daemons | Where-Object HostName -eq $HostName | ForEach-Object { Get-Content $_.Log -ErrorAction Ignore })
    throw "$HostName does not listen on port $($missing -join ', ') after $Seconds s. $($log -join "`n")"
}

function Stop-TcpLabSsh {
    <#
    .SYNOPSIS
        Kills every sshd of the lab with its sessions, waits (at most 10 s) until their namespaces hold no process
        (kills what is left), and removes /run/sshd if Initialize-TcpLabSsh created it. Call before Remove-TcpLab.
    #>
    param([Parameter(Mandatory)] $Lab)
    if (-not $Lab.psobject.Properties['Ssh']) { return }
    $ssh = $Lab.Ssh
    foreach ($daemon in $ssh.Daemons) {
        # The timeout process and everything under it: sshd, and the sessions it forked.
        try { if (-not $daemon.Process.HasExited) { $daemon.Process.Kill($true) } } catch { }
        $null = $daemon.Process.WaitForExit(5000)
    }
    # Sessions left their parent's process group (setsid); whatever still runs in the namespace goes now.
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    foreach ($ns in @($ssh.Daemons | ForEach-Object Namespace | Select-Object -Unique)) {
        while ((Test-Path "/run/netns/$ns") -and [DateTime]::UtcNow -lt $deadline) {
            $pids = @(& ip netns pids $ns 2>$null | Where-Object { "$_" -match '^\d+$' })
            if ($pids.Count -eq 0) { break }
            & kill -KILL @pids 2>$null
            Start-Sleep -Milliseconds 100
        }
    }
    $ssh.Daemons.Clear()
    if ($ssh.CreatedRunSshd) {
        Remove-Item /run/sshd -Force -ErrorAction Ignore
        $ssh.CreatedRunSshd = $false
    }
}

Export-ModuleMember -Function Test-TcpLabSshSupported, Assert-TcpLabSshSupported, Initialize-TcpLabSsh, Start-TcpLabSshd, Wait-TcpLabListener, Stop-TcpLabSsh
