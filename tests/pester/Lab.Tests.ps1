# The test lab itself (tests/pester/lab/TcpLab.psm1): a run that was killed leaves its namespaces and processes
# behind, and the next lab must clear them rather than fail. CI once went red on exactly that, after a killed run.
# Needs root (skipped with the reason otherwise; a failure under CI=true).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'lab' 'TcpLab.psm1') -Force
}

Describe 'A lab left behind by a run that is gone' {
    It 'is deleted, namespace, processes and files, when the next lab is built' {
        if (-not (Assert-TcpLabSupported)) { return }
        # What a killed run leaves: a lab folder whose pid is no longer running, a namespace named in it, and a
        # process still running inside that namespace.
        $gone = [System.Diagnostics.Process]::Start('true')
        $gone.WaitForExit()
        $tag = 'tt{0}{1}' -f ($gone.Id % 10000), (Get-Random -Minimum 10 -Maximum 99)
        $dir = Join-Path ([IO.Path]::GetTempPath()) 'tcptools-lab' $tag
        $ns = "${tag}sw"
        $sleeper = $null
        $next = $null
        try {
            $null = New-Item -ItemType Directory -Force -Path $dir
            Set-Content -Path (Join-Path $dir 'pid') -Value $gone.Id
            Set-Content -Path (Join-Path $dir 'namespaces') -Value $ns
            & ip netns add $ns
            $LASTEXITCODE | Should -Be 0
            $sleeper = [System.Diagnostics.Process]::Start('ip', @('netns', 'exec', $ns, 'sleep', '60'))
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (-not (& ip netns pids $ns) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            @(& ip netns pids $ns).Count | Should -BeGreaterThan 0

            $next = New-TcpLab -Hosts 'a' -Net 43

            "/run/netns/$ns" | Should -Not -Exist
            $dir | Should -Not -Exist
            $sleeper.WaitForExit(10000) | Should -BeTrue -Because 'the process left in the namespace is killed'
            $next.Hosts['a'].Namespace | Should -BeLike "$($next.Tag)*"
            "/run/netns/$($next.Hosts['a'].Namespace)" | Should -Exist
        }
        finally {
            if ($next) { Remove-TcpLab -Lab $next }
            if ($sleeper -and -not $sleeper.HasExited) { $sleeper.Kill($true) }
            if (Test-Path "/run/netns/$ns") { & ip netns del $ns }
            Remove-Item -Recurse -Force $dir -ErrorAction Ignore
        }
    }
}
