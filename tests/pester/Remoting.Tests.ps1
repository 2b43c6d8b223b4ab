#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Remoting fan-out (issue 10): real PowerShell remoting over SSH between lab hosts with real TCP stacks.
#
#   caller  198.18.21.2   runs tests/pester/remoting/Invoke-FanOut.ps1; lab-server on :80, lab-client.py to both hosts
#   web01   198.18.21.3   sshd on :22 and :2222, TcpTools on the sessions' PSModulePath on both; lab-server on :80
#   db01    198.18.21.4   sshd on :22 (no TcpTools) and :2222 (TcpTools); lab-server on :80
#
# The caller runs Invoke-Command -HostName and Invoke-TcpCommand -HostName web01, db01 -Port 2222: both hosts capture
# on eth0 at once while lab-client.py connects to them, then probe the caller with Send-TcpSyn. The caller judges the
# deserialized objects where they arrive and writes the facts; the tests below assert on them. Then
# Invoke-TcpCommand -HostName web01, db01 on port 22, where db01 has no TcpTools. Needs root (skips otherwise, fails
# under CI=true) and openssh-server, openssh-client, python3. Six SSH sessions in all: about 35 s on 2 busy cores.

BeforeAll {
    $root = (Resolve-Path "$PSScriptRoot/../..").Path
    Import-Module "$root/out/TcpTools/TcpTools.psd1" -Force
    Import-Module "$PSScriptRoot/lab/TcpLab.psm1" -Force
    Import-Module "$PSScriptRoot/remoting/SshLab.psm1" -Force

    $lab = $null
    $facts = $null
    $caller = $null
    if ($null -eq (Test-TcpLabSupported) -and $null -eq (Test-TcpLabSshSupported)) {
        try {
            $lab = New-TcpLab -Hosts caller, web01, db01 -Net 21
            $null = Initialize-TcpLabSsh -Lab $lab
            $modules = Join-Path $root 'out'
            Start-TcpLabSshd -Lab $lab -HostName web01 -ModulePath @{ 22 = $modules; 2222 = $modules }
            Start-TcpLabSshd -Lab $lab -HostName db01 -ModulePath @{ 22 = $null; 2222 = $modules }
            $server = Join-Path $PSScriptRoot 'lab' 'lab-server.py'
            foreach ($h in 'caller', 'web01', 'db01') {
                $null = Start-TcpLabProcess -Lab $lab -HostName $h -FilePath python3 -ArgumentList $server, '--max-seconds', '150', 'serve:80' -Seconds 160
            }
            foreach ($h in 'caller', 'web01', 'db01') { Wait-TcpLabListener -Lab $lab -HostName $h -Port 80 }
            # Connections all through the fan-outs (each closed by the client, which then sits in TIME_WAIT):
            # 2 every 0.1 s, at most 2000 connections or 150 s; stopped when the caller is done.
            $client = Start-TcpLabProcess -Lab $lab -HostName caller -FilePath python3 -Seconds 150 -ArgumentList (
                (Join-Path $PSScriptRoot 'lab' 'lab-client.py'), '--count', '1000', '--interval', '0.1', 'web01:80', 'db01:80')

            $barriers = Join-Path $lab.Directory 'barriers'
            $factFile = Join-Path $lab.Directory 'facts.xml'
            $null = New-Item -ItemType Directory -Force -Path $barriers
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $caller = Invoke-TcpLabPwsh -Lab $lab -HostName caller -ScriptPath (Join-Path $PSScriptRoot 'remoting' 'Invoke-FanOut.ps1') -Seconds 150 -ArgumentList @(
                '-KeyFile', $lab.Ssh.KeyFile, '-BarrierDirectory', $barriers, '-OutFile', $factFile,
                '-SamplePath', (Join-Path $root 'samples' 'tcp-states.pcap'), '-Duration', '3')
            $callerSeconds = $sw.Elapsed.TotalSeconds
            try { $client.Kill($true) } catch { }
            if ($caller.ExitCode -ne 0 -or -not (Test-Path $factFile)) {
                throw "Invoke-FanOut.ps1 in the caller failed ($($caller.ExitCode)):`n$($caller.Output)`n$($caller.Error)"
            }
            $facts = Import-Clixml $factFile
            Write-Host ("Remoting lab: caller {0:0.0} s (Invoke-Command {1} s, Invoke-TcpCommand {2} s, not installed {3} s)" -f
                $callerSeconds, $facts.InvokeCommand.Seconds, $facts.TcpCommand.Seconds, $facts.NotInstalled.Seconds)
        }
        catch {
            if ($lab) { Stop-TcpLabSsh -Lab $lab; Remove-TcpLab -Lab $lab; $lab = $null }
            throw
        }
    }

    function Get-Because($f) {
        # Shown with a failed assertion: what the caller ran into.
        if ($f.Errors.Count -gt 0) { "the caller got errors: $($f.Errors -join '; ')" } else { 'the caller got no errors' }
    }
}

AfterAll {
    # sshd and its sessions first (they left sshd's process group, and /run/sshd may be ours), then the hosts.
    if ($lab) {
        Stop-TcpLabSsh -Lab $lab
        Remove-TcpLab -Lab $lab
    }
}

Describe 'Remoting fan-out with <Command>' -Tag Once -ForEach @(
    @{ Command = 'Invoke-Command -HostName'; Run = 'InvokeCommand' }
    @{ Command = 'Invoke-TcpCommand -HostName'; Run = 'TcpCommand' }
) {
    BeforeAll {
        $f = if ($facts) { $facts.$Run } else { $null }
        if ($facts -and -not $f) { throw "The caller wrote no facts for $Run." }
    }

    It 'brings back flows and probe results from both hosts, as deserialized TcpTools objects' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $f.Errors | Should -BeNullOrEmpty
        $f.FlowTypeNames | Should -Be 'Deserialized.TcpTools.TcpConnectionState'
        $f.FlowCount | Should -BeGreaterThan 10
        @($f.Probes | Where-Object Host -eq web01).Count | Should -Be 2
        @($f.Probes | Where-Object Host -eq db01).Count | Should -Be 2
    }

    It 'ran TcpTools on port 2222 of each host' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $f.Windows | Should -HaveCount 2 -Because (Get-Because $f)
        $f.Windows.SshPort | Should -Be '2222', '2222'
        $f.Windows.TcpTools | Should -Not -Contain ''
    }

    It 'selects the connections in TIME_WAIT with Where-Object State -eq TimeWait, on both hosts' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        # lab-client.py closes first: its side ends in TIME_WAIT, seen on each server's eth0.
        ($f.TimeWaitHosts | Sort-Object Name).Name | Should -Be 'db01', 'web01' -Because (Get-Because $f)
        $f.TimeWaitHosts | ForEach-Object { $_.Count | Should -BeGreaterOrEqual 5 -Because "lab-client.py made about 10 connections a second to $($_.Name)" }
        $f.TimeWaitServers | Should -Be 'db01 198.18.21.4:80', 'web01 198.18.21.3:80'
    }

    It 'groups the flows by host with Group-Object PSComputerName' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $f.FlowHosts | Should -Be 'db01', 'web01' -Because (Get-Because $f)
    }

    It 'formats the deserialized flows with the TcpTools remote view, host name included, in 120 columns' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        foreach ($text in $f.FormatTable, $f.DefaultOutput) {
            $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
            $lines[0] | Should -Match '^State\s+Client\s+Server\s+Zeek\s+History\s+Pkts c/s\s+Duration\s+PSComputerName$'
            $lines[2] | Should -Match '^TimeWait\s+198\.18\.21\.2:\d+ > 198\.18\.21\.[34]:80\s+SF\s+.*\s(web01|db01)$'
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        }
    }

    It 'converts the deserialized flows to JSON with addresses as text' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $j = $f.FlowJson | ConvertFrom-Json
        $j.ClientAddress | Should -Be '198.18.21.2'
        $j.ServerAddress | Should -BeIn '198.18.21.3', '198.18.21.4'
        $j.Client | Should -Match '^198\.18\.21\.2:\d+$'
        $j.Server | Should -Match '^198\.18\.21\.[34]:80$'
        $j.State | Should -Be 'TimeWait'
    }

    It 'probes the caller from both hosts with Send-TcpSyn: port 80 Open, 81 Closed' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $f.Probes | Sort-Object Host, Port | ForEach-Object { "$($_.Host):$($_.Port) $($_.Status)" } |
            Should -Be 'db01:80 Open', 'db01:81 Closed', 'web01:80 Open', 'web01:81 Closed' -Because (Get-Because $f)
    }

    It 'ran both hosts at the same time (their capture windows overlap)' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $f.Windows | Should -HaveCount 2 -Because (Get-Because $f)
        $latestStart = ($f.Windows.Start | Measure-Object -Maximum).Maximum
        $earliestEnd = ($f.Windows.End | Measure-Object -Minimum).Minimum
        $overlap = ($earliestEnd - $latestStart).TotalSeconds
        $overlap | Should -BeGreaterThan 1 -Because "both captured for 3 s: $($f.Windows | ForEach-Object { "$($_.Host) $($_.Start.ToString('HH:mm:ss.fff'))-$($_.End.ToString('HH:mm:ss.fff'))" })"
    }
}

Describe 'Remoting fan-out: a host without TcpTools' -Tag Once {
    BeforeAll {
        $n = if ($facts) { $facts.NotInstalled } else { $null }
    }

    It 'gives a non-terminating TcpToolsNotInstalled error that names the host' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $n.Terminated | Should -BeNullOrEmpty
        $n.Errors | Should -HaveCount 1
        $e = $n.Errors[0]
        $e.FullyQualifiedErrorId | Should -Be 'TcpToolsNotInstalled,Invoke-TcpCommand'
        $e.Category | Should -Be 'NotInstalled'
        $e.TargetObject | Should -Be 'db01'
        $e.TargetType | Should -Be 'System.String'
        $e.Message | Should -Match '^db01: TcpTools is not installed there'
    }

    It 'still brings back the other host''s results' {
        if (-not (Assert-TcpLabSshSupported)) { return }
        $n.OutputHosts | Should -HaveCount 1
        $n.OutputHosts[0].Name | Should -Be 'web01'
        $n.OutputHosts[0].Count | Should -Be 10          # samples/tcp-states.pcap holds 10 connections
        $n.TimeWait | Should -Be 3                       # 5004, 5005, 5006 (-StateEvidence Receipt)
    }
}
