# DocExamples: every example in README.md and in the help (en-US/*.md) as data, run, and compared with the output
# the docs show, so the docs cannot rot.
#
# An example is a ```powershell block (README: any; help: the first block of an '### Example' section), or in
# README a ```sh block of tcptools commands. The blocks that follow it before the next example are its output:
#   ```output        what it prints, compared line by line (trailing spaces and blank lines aside)
#   ```output live   what it printed once on live traffic: compared by shape (table headers, list labels), since
#                    times, ports and round trips differ from run to run
# Examples run in lab hosts whose names, files and interfaces are the ones the docs use (Docs.Tests.ps1).
# A block marked ```powershell skip is shown but not run: it changes the machine (installs a package), and the
# test that does that in a throw-away home is named beside it.

Set-StrictMode -Version 3.0

$script:Root = (Resolve-Path (Join-Path $PSScriptRoot '..' '..' '..')).Path

# README shell lines that are set-up, which CI runs itself before any test: building and testing again here
# would test nothing new and take minutes.
$script:SetupCommand = '^\s*(dotnet (build|test|tool|restore|pack)\b|\./build\.ps1|bash tests/run\.sh|sudo |apt(-get)? |git )'

function Get-DocExample {
    <#
    .SYNOPSIS
        The examples of README.md and en-US/*.md: File, Line, Title, Language (powershell|sh), Code, Output (the
        expected text or $null), OutputKind (exact|live|none), Id (file:line, stable while the docs do not move).
    #>
    param([string[]] $Path = @((Join-Path $script:Root 'README.md')) + @(Get-ChildItem (Join-Path $script:Root 'en-US') -Filter *.md | ForEach-Object FullName))
    foreach ($file in $Path) {
        $lines = Get-Content -LiteralPath $file
        $isHelp = (Split-Path $file -Parent | Split-Path -Leaf) -eq 'en-US'
        $name = Split-Path $file -Leaf
        $section = ''
        $title = ''
        $current = $null
        $takenInSection = $false
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $line = $lines[$i]
            if ($line -match '^## (.+)$') { $section = $Matches[1].Trim(); $title = $section; $takenInSection = $false; continue }
            if ($line -match '^#{3,} (.+)$') { $title = $Matches[1].Trim(); $takenInSection = $false; if (-not $isHelp) { $section = $title }; continue }
            if ($line -notmatch '^```(.*)$') { continue }
            $info = $Matches[1].Trim()
            $start = $i
            $body = [System.Collections.Generic.List[string]]::new()
            for ($i++; $i -lt $lines.Count -and $lines[$i] -notmatch '^```'; $i++) { $body.Add($lines[$i]) }
            $text = $body -join "`n"
            if ($info -match '^output(\s+live)?$') {
                if ($current) {
                    $current.Output = if ($null -eq $current.Output) { $text } else { $current.Output + "`n" + $text }
                    $current.OutputKind = if ($Matches[1]) { 'live' } else { 'exact' }
                    $current.OutputBlocks.Add([pscustomobject]@{ Start = $start; End = $i })
                }
                continue
            }
            if ($current) { $current; $current = $null }
            $isExample = switch ($info) {
                'powershell' { if ($isHelp) { $section -eq 'EXAMPLES' -and -not $takenInSection } else { $true } }
                'sh' { -not $isHelp -and $text -match '(^|\s|/)tcptools\s' }
                default { $false }
            }
            if (-not $isExample) { continue }
            $takenInSection = $true
            $current = [pscustomobject]@{
                Id         = "${name}:$($start + 1)"
                File       = $file
                Line       = $start + 1
                Title      = $title
                Language   = $info
                Code       = $text
                Output       = $null
                OutputKind   = 'none'
                OutputBlocks = [System.Collections.Generic.List[object]]::new()
            }
        }
        if ($current) { $current }
    }
}

function Get-AboutExample {
    <#
    .SYNOPSIS
        The code of the about_ topics (en-US/about_*.help.txt): blocks indented by eight spaces or more, after a blank
        line, that use a TcpTools command (or are a comment, a variable or a Describe that leads to one). They are
        run for errors only: the text around them shows output in prose and tables that are not compared.
    #>
    param([string[]] $Path = @(Get-ChildItem (Join-Path $script:Root 'en-US') -Filter 'about_*.help.txt' | ForEach-Object FullName))
    foreach ($file in $Path) {
        $lines = Get-Content -LiteralPath $file
        $name = Split-Path $file -Leaf
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i - 1].Trim().Length -ne 0 -or $lines[$i] -notmatch '^( {8,})(\S.*)$') { continue }
            $indent = $Matches[1].Length
            $first = $Matches[2]
            # Code, not the two-column tables of commands and parameters ('Get-TcpFlow      Tracks every ...').
            if ($first -notmatch '^(Get-Tcp|Send-Tcp|New-Tcp|Export-Tcp|Invoke-Tcp|Import-Module|Describe|\$\w+ *=|#)' -or $first -match '^\S+ {2,}[A-Z]') { continue }
            $start = $i
            $body = [System.Collections.Generic.List[string]]::new()
            while ($i -lt $lines.Count -and ($lines[$i] -match "^ {$indent}" -or ($lines[$i].Trim().Length -eq 0 -and $i + 1 -lt $lines.Count -and $lines[$i + 1] -match "^ {$($indent + 1),}"))) {
                $body.Add($(if ($lines[$i].Length -ge $indent) { $lines[$i].Substring($indent) } else { '' }))
                $i++
            }
            $code = $body -join "`n"
            if ($code -notmatch '\b(Get|Send|New|Export|Invoke)-Tcp\w+') { continue }
            [pscustomobject]@{
                Id           = "${name}:$($start + 1)"
                File         = $file
                Line         = $start + 1
                Title        = ($code -split "`n")[0]
                Language     = 'powershell'
                Code         = $code
                Output       = $null
                OutputKind   = 'none'
                OutputBlocks = [System.Collections.Generic.List[object]]::new()
            }
        }
    }
}

function Test-DocExampleLive {
    # Live examples touch the network or the machine (capture, probes, remoting): they may be stopped after the
    # time the runner gives them, and their output is compared by shape.
    param([Parameter(Mandatory)] $Example)
    # Anything that may send a packet counts: such examples only ever run inside the lab (Invoke-DocExamples.ps1).
    $Example.Code -match '-Interface\b|Get-TcpConnection|Wait-TcpState|Get-TcpCaptureDevice|Send-Tcp|New-TcpSegment|Invoke-TcpCommand|Invoke-Command|PSSession|HostName|BeListening|-Watch\b|\bssh\b'
}

function ConvertTo-DocLine {
    # Output as the docs compare it: lines without trailing spaces, no blank lines.
    param([AllowNull()][string] $Text)
    @("$Text" -split "`r?`n" | ForEach-Object { $_.TrimEnd() } | Where-Object { $_.Length -gt 0 })
}

function Get-DocShape {
    # What a live output must keep: the column headers of its tables (the line above a line of dashes) and the
    # labels of its lists ('Name : value'), in order, each once.
    param([AllowNull()][string] $Text)
    $lines = @(ConvertTo-DocLine $Text)
    $shape = [System.Collections.Generic.List[string]]::new()
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($i + 1 -lt $lines.Count -and $lines[$i + 1] -match '^[\s-]+$' -and $lines[$i + 1] -match '-') {
            $shape.Add('table: ' + (($lines[$i] -split '\s{2,}|\s(?=\S)' | Where-Object { $_ }) -join ' '))
        }
        elseif ($lines[$i] -match '^(\S[^:]*?)\s+: ') {
            $shape.Add('list: ' + $Matches[1])
        }
    }
    @($shape | Select-Object -Unique)
}

function Compare-DocOutput {
    <#
    .SYNOPSIS
        $null when the actual output matches what the example shows, else a description of the difference.
    #>
    param([Parameter(Mandatory)] $Example, [AllowNull()][string] $Actual)
    switch ($Example.OutputKind) {
        'none' { return $null }
        'exact' {
            $want = @(ConvertTo-DocLine $Example.Output)
            $got = @(ConvertTo-DocLine $Actual)
            for ($i = 0; $i -lt [Math]::Max($want.Count, $got.Count); $i++) {
                $w = if ($i -lt $want.Count) { $want[$i] } else { '<end>' }
                $g = if ($i -lt $got.Count) { $got[$i] } else { '<end>' }
                if ($w -cne $g) {
                    return "line $($i + 1) of the output differs:`n  docs:   $w`n  actual: $g`nactual output:`n$($got -join "`n")"
                }
            }
            return $null
        }
        'live' {
            $want = @(Get-DocShape $Example.Output)
            if ($want.Count -eq 0) {
                return "the docs show no table or list for this live example, so its output block checks nothing (fill it: tests/pester/docs/Update-DocOutput.ps1)"
            }
            $got = @(Get-DocShape $Actual)
            $missing = @($want | Where-Object { $_ -notin $got })
            if ($missing.Count -gt 0) {
                return "the output lacks $($missing -join '; ')`nactual output:`n$((ConvertTo-DocLine $Actual) -join "`n")"
            }
            return $null
        }
    }
}

function New-DocFixture {
    <#
    .SYNOPSIS
        The folder the examples run in: the files the docs name, made from the captures shipped in the repo, and
        'out' and 'samples' as in a checkout (so README's out/host/tcptools and samples/... work there).
    #>
    param([Parameter(Mandatory)][string] $Path)
    $null = New-Item -ItemType Directory -Force -Path $Path, (Join-Path $Path 'ring'), (Join-Path $Path 'captures')
    $samples = Join-Path $script:Root 'samples'
    $data = Join-Path $script:Root 'tests' 'data' 'captures'
    $null = New-Item -ItemType SymbolicLink -Path (Join-Path $Path 'out') -Target (Join-Path $script:Root 'out') -Force
    Copy-Item -Recurse $samples (Join-Path $Path 'samples')
    $copies = [ordered]@{
        'web.pcapng'        = Join-Path $samples 'web.pcapng'         # a client and a web server: the rich one
        'capture.pcap'      = Join-Path $samples 'tcp-states.pcap'
        'incident.pcapng'   = Join-Path $samples 'web.pcapng'
        'tcp-states.pcap'   = Join-Path $samples 'tcp-states.pcap'    # ten connections in ten end states
        'client.pcap'       = Join-Path $samples 'tcp-session.pcap'   # one request/response connection, then a refused one
        'loss.pcap'         = Join-Path $data 'sack-loss.pcap'        # loss, SACK and retransmissions
        'anomalies.pcap'    = Join-Path $samples 'anomalies.pcap'     # one connection per kind of anomaly
        'lo-and-eth.pcapng' = Join-Path $data 'multi-if.pcapng'       # two interfaces, loopback with offloaded checksums
    }
    foreach ($name in $copies.Keys) { Copy-Item $copies[$name] (Join-Path $Path $name) }
    # now.pcap: the same traffic as classic pcap, as tcpdump -w writes it.
    & editcap -F pcap (Join-Path $Path 'web.pcapng') (Join-Path $Path 'now.pcap') 2>&1 | Out-Null
    # A ring of rotated files, as tcpdump -C / dumpcap -b write them (60 packets each).
    & editcap -F pcap -c 60 (Join-Path $Path 'web.pcapng') (Join-Path $Path 'ring' 'web.pcap') 2>&1 | Out-Null
    # cut.pcap: client.pcap without its last 10 bytes, as a capture killed mid-write.
    $bytes = [IO.File]::ReadAllBytes((Join-Path $Path 'client.pcap'))
    [IO.File]::WriteAllBytes((Join-Path $Path 'cut.pcap'), $bytes[0..($bytes.Length - 11)])
    foreach ($name in 'client.pcap', 'tcp-states.pcap', 'web.pcapng') { Copy-Item (Join-Path $Path $name) (Join-Path $Path 'captures' $name) }
    Set-Content -Path (Join-Path $Path 'services.csv') -Value @('ComputerName,Port', 'web01,80', 'web01,443', 'db01,5432', 'db01,6379')
    Set-Content -Path (Join-Path $Path 'targets.csv') -Value @('Destination,DestinationPort', '198.18.0.10,80', '198.18.0.10,443', '198.18.0.20,5432')
    $Path
}

function Start-DocLab {
    <#
    .SYNOPSIS
        The hosts the docs name, with real Linux TCP stacks: client (198.18.0.1, where the examples run: its eth0 and
        lo), web01 (198.18.0.10), db01 (198.18.0.20, also called cache01), web02 and web03 (.11, .12), their IPv6
        twins fd00:198:18::1, ::10, ::20 ..., servers on the ports the docs probe (db01 drops 3306 and rejects 5433), and a steady trickle of connections for the live examples to see (TIME_WAIT,
        CLOSE_WAIT from a server that leaks, resets, held SSH-like connections to reset). Stop-DocLab removes it.
    #>
    param([int] $Seconds = 900)
    Import-Module (Join-Path $script:Root 'tests' 'pester' 'lab' 'TcpLab.psm1')
    $lab = New-TcpLab -Hosts 'client=1', 'web01=10', 'db01=20', 'web02=11', 'web03=12' -Net 0 -Aliases @{ db01 = 'cache01' } -DualStackNames
    try {
        $server = Join-Path $script:Root 'tests' 'pester' 'lab' 'lab-server.py'
        $client = Join-Path $script:Root 'tests' 'pester' 'lab' 'lab-client.py'
        $limit = "$($Seconds - 10)"
        # db01 drops SYNs to 3306 (a firewall's DROP) and rejects 5433 with an ICMP error (its REJECT).
        $rules = Join-Path $lab.Directory 'db01.nft'
        Set-Content -Path $rules -Value "table inet docs {`n chain in {`n  type filter hook input priority 0;`n  tcp dport 3306 drop`n  tcp dport 5433 reject`n }`n}"
        Invoke-TcpLabCommand -Lab $lab -HostName db01 -FilePath nft -ArgumentList '-f', $rules | Out-Null
        $servers = @(
            Start-TcpLabProcess -Lab $lab -HostName web01 -FilePath python3 -Seconds $Seconds -ArgumentList $server, '--max-seconds', $limit, 'serve:80', 'serve:443', 'serve:8080', 'leak:8081', 'reset:8082'
            Start-TcpLabProcess -Lab $lab -HostName db01 -FilePath python3 -Seconds $Seconds -ArgumentList $server, '--max-seconds', $limit, 'serve:5432', 'serve:6379'
            Start-TcpLabProcess -Lab $lab -HostName web02 -FilePath python3 -Seconds $Seconds -ArgumentList $server, '--max-seconds', $limit, 'serve:80', 'serve:443'
            Start-TcpLabProcess -Lab $lab -HostName web03 -FilePath python3 -Seconds $Seconds -ArgumentList $server, '--max-seconds', $limit, 'serve:80', 'serve:443'
            # A local service on the client itself, for the loopback examples ([::1]:18080).
            Start-TcpLabProcess -Lab $lab -HostName client -FilePath python3 -Seconds $Seconds -ArgumentList $server, '--max-seconds', $limit, 'serve:18080'
        )
        foreach ($s in $servers) {
            if ($s.StandardOutput.ReadLine() -ne 'ready') { throw "a lab server did not start: $(Get-Content $s.ErrorLog -Raw -ErrorAction Ignore)" }
        }
        # web01 and db01 are also SSH hosts with a PowerShell subsystem and TcpTools, for the remoting examples;
        # their sshd is what answers on port 22.
        Import-Module (Join-Path $script:Root 'tests' 'pester' 'remoting' 'SshLab.psm1')
        $null = Initialize-TcpLabSsh -Lab $lab
        foreach ($h in 'web01', 'db01') {
            Start-TcpLabSshd -Lab $lab -HostName $h -ModulePath @{ 22 = (Join-Path $script:Root 'out') } -Seconds $Seconds
        }
        $count = [int]($Seconds / 0.25)
        $null = Start-TcpLabProcess -Lab $lab -HostName client -FilePath python3 -Seconds $Seconds -ArgumentList $client, '--count', "$count", '--interval', '0.25', 'web01:80', 'web01:443', 'db01:5432'
        $null = Start-TcpLabProcess -Lab $lab -HostName client -FilePath python3 -Seconds $Seconds -ArgumentList $client, '--count', "$([int]($Seconds / 2))", '--interval', '2', 'web01:8081', 'web01:8082'
        $null = Start-TcpLabProcess -Lab $lab -HostName client -FilePath python3 -Seconds $Seconds -ArgumentList $client, '--count', "$([int]($Seconds / 4))", '--interval', '0.5', '--hold', '4', 'web01:22', 'db01:5432'
        $lab
    }
    catch {
        # As a finished run ends: sshd and its sessions first (and /run/sshd if the lab made it), then the hosts.
        Stop-DocLab -Lab $lab
        throw
    }
}

function Invoke-DocExample {
    <#
    .SYNOPSIS
        Runs examples with Invoke-DocExamples.ps1, in the lab's client host when a lab is given, else on this
        machine; returns a hashtable of results by example Id.
    #>
    param([Parameter(Mandatory)][object[]] $Example, $Lab, [string] $PesterPath, [int] $Seconds = 900)
    $dir = Join-Path ([IO.Path]::GetTempPath()) "tcptools-docs-$PID-$(Get-Random)"
    try {
        $fixture = New-DocFixture -Path (Join-Path $dir 'fixture')
        $examples = Join-Path $dir 'examples.xml'
        $results = Join-Path $dir 'results.xml'
        $Example | Export-Clixml -Path $examples
        $runner = Join-Path $PSScriptRoot 'Invoke-DocExamples.ps1'
        $arguments = @('-ExampleFile', $examples, '-FixtureDirectory', $fixture, '-ResultFile', $results)
        if ($PesterPath) { $arguments += '-PesterPath', $PesterPath }
        if ($Lab) {
            # The lab's SSH key, for the examples that fan out over remoting (the runner makes it their default).
            $environment = if ($Lab.psobject.Properties['Ssh']) { @{ TCPTOOLS_DOC_SSH_KEY = $Lab.Ssh.KeyFile } } else { @{} }
            $run = Invoke-TcpLabPwsh -Lab $Lab -HostName client -ScriptPath $runner -ArgumentList $arguments -Seconds $Seconds -WorkingDirectory $dir -Environment $environment
            if ($run.ExitCode -ne 0) { throw "the example runner failed ($($run.ExitCode)): $($run.Error)$($run.Output)" }
        }
        else {
            $named = @{ ExampleFile = $examples; FixtureDirectory = $fixture; ResultFile = $results }
            if ($PesterPath) { $named.PesterPath = $PesterPath }
            & $runner @named
        }
        $byId = @{}
        foreach ($r in Import-Clixml $results) { $byId[$r.Id] = $r }
        $byId
    }
    finally {
        Remove-Item -Recurse -Force $dir -ErrorAction Ignore
    }
}

function Stop-DocLab {
    param($Lab)
    if ($Lab) {
        if ($Lab.psobject.Properties['Ssh']) { Stop-TcpLabSsh -Lab $Lab }
        Remove-TcpLab -Lab $Lab
    }
}

Export-ModuleMember -Function Get-DocExample, Get-AboutExample, Test-DocExampleLive, ConvertTo-DocLine, Get-DocShape, Compare-DocOutput, New-DocFixture, Start-DocLab, Invoke-DocExample, Stop-DocLab
