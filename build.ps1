#Requires -Version 7.4
<#
.SYNOPSIS
    Builds TcpTools into ./out/TcpTools (the module) and ./out/host (tcptools), optionally runs the tests.
.DESCRIPTION
    Only dotnet CLI calls: the same build the README describes for machines without pwsh.
.EXAMPLE
    ./build.ps1; Import-Module ./out/TcpTools
.EXAMPLE
    ./build.ps1 -Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Run every test after building (tests/run.sh on Linux, dotnet test elsewhere).
    [switch] $Test,
    # Remove previous build output first.
    [switch] $Clean
)
$ErrorActionPreference = 'Stop'
Push-Location $PSScriptRoot
try {
    if ($Clean) {
        dotnet clean TcpTools.sln -c $Configuration -nologo -v q
        if ($LASTEXITCODE) { throw "dotnet clean failed ($LASTEXITCODE)" }
    }
    dotnet build TcpTools.sln -c $Configuration -nologo
    if ($LASTEXITCODE) { throw "dotnet build failed ($LASTEXITCODE)" }
    if ($Test) {
        if ($IsLinux) { bash tests/run.sh } else { dotnet test TcpTools.sln -c $Configuration --no-build -nologo }
        if ($LASTEXITCODE) { throw "tests failed ($LASTEXITCODE)" }
    }
    Write-Host "Module built: Import-Module $(Join-Path $PSScriptRoot 'out' 'TcpTools')"
}
finally {
    Pop-Location
}
