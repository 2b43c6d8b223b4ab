# The docs as the user's view: every example in README.md and in the help (the cmdlet pages, and the code of the
# about_ topics) runs, in hosts, files and interfaces
# named as the docs name them (tests/pester/docs/DocExamples.psm1 says how), without an error, and prints what the
# docs show. Examples that need the network run in the docs lab (root); without root they are skipped with the
# reason, and under CI=true that is a failure.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'docs' 'DocExamples.psm1') -Force
    $examples = @(@(Get-DocExample) + @(Get-AboutExample) | ForEach-Object { $_ | Add-Member -NotePropertyName Live -NotePropertyValue (Test-DocExampleLive $_) -PassThru })
}

Describe 'Documentation examples' -Tag Docs, Once {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'docs' 'DocExamples.psm1') -Force
        Import-Module (Join-Path $PSScriptRoot 'lab' 'TcpLab.psm1') -Force
        $all = @(Get-DocExample) + @(Get-AboutExample)
        $pester = (Get-Module Pester).Path
        $script:skipReason = Test-TcpLabSupported
        $script:lab = $null
        if ($null -eq $script:skipReason) {
            $script:lab = Start-DocLab
            $script:results = Invoke-DocExample -Example $all -Lab $script:lab -PesterPath $pester
        }
        else {
            $script:results = Invoke-DocExample -Example @($all | Where-Object { -not (Test-DocExampleLive $_) }) -PesterPath $pester
        }
    }
    AfterAll {
        Stop-DocLab -Lab $script:lab
        $slow = @($script:results.Values | Sort-Object Seconds -Descending | Select-Object -First 5 | ForEach-Object { "$($_.Id) $($_.Seconds) s" })
        Write-Host "Slowest examples: $($slow -join ', ')"
    }

    It '<_.Id> (<_.Title>) runs and prints what the docs show' -ForEach $examples {
        $result = $script:results[$_.Id]
        if ($null -eq $result) {
            if ($env:CI -eq 'true') { throw "CI=true, but $script:skipReason." }
            Set-ItResult -Skipped -Because "it needs the docs lab: $script:skipReason"
            return
        }
        $result.Errors | Should -BeNullOrEmpty -Because "the example at $($_.File) line $($_.Line) must run without errors (it printed: $($result.Output))"
        if (-not $_.Live) {
            $result.Stopped | Should -BeFalse -Because "the example should finish by itself (took $($result.Seconds) s)"
        }
        Compare-DocOutput -Example $_ -Actual $result.Output | Should -BeNullOrEmpty
    }
}
