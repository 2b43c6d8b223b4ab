<#
.SYNOPSIS
    Builds TcpTools into ./out/TcpTools (the module) and ./out/host (tcptools), optionally runs the tests and packs
    the module as ./out/TcpTools.<version>.nupkg.
.DESCRIPTION
    Only dotnet CLI calls: the same build the README describes for machines without pwsh. -Package then runs
    `dotnet pack tools/Package/TcpTools.Package.csproj -c <Configuration> -o out`, which packs ./out/TcpTools as it is
    (no build of its own) and fails if the folder lacks a file the module needs, if the help does not describe every
    exported command, or if the psd1's version is not Directory.Build.props' TcpToolsVersion. ./out is then a folder
    repository for Register-PSResourceRepository -Uri or Register-PSRepository -SourceLocation.
.EXAMPLE
    ./build.ps1; Import-Module ./out/TcpTools
.EXAMPLE
    ./build.ps1 -Test
.EXAMPLE
    ./build.ps1 -Package; Register-PSResourceRepository -Name local -Uri ./out -Trusted; Install-PSResource TcpTools -Repository local
#>

# After the help block: a #Requires line above it hides the help from Get-Help.
#Requires -Version 7.4
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Run every test after building (tests/run.sh on Linux, dotnet test elsewhere).
    [switch] $Test,
    # Remove previous build output first.
    [switch] $Clean,
    # After building (and testing, with -Test), pack the module as ./out/TcpTools.<version>.nupkg for
    # Install-PSResource and Install-Module.
    [switch] $Package
)
$ErrorActionPreference = 'Stop'
Push-Location $PSScriptRoot
try {
    if ($Clean) {
        dotnet clean TcpTools.sln -c $Configuration -nologo -v q
        if ($LASTEXITCODE) { throw "dotnet clean failed ($LASTEXITCODE)" }
    }
    if ($Test -and $IsLinux) {
        # tests/run.sh builds (in this configuration) before it tests.
        $saved = $env:TCPTOOLS_CONFIGURATION
        $env:TCPTOOLS_CONFIGURATION = $Configuration
        try { bash tests/run.sh } finally { $env:TCPTOOLS_CONFIGURATION = $saved }
        if ($LASTEXITCODE) { throw "tests failed ($LASTEXITCODE)" }
    }
    else {
        dotnet build TcpTools.sln -c $Configuration -nologo
        if ($LASTEXITCODE) { throw "dotnet build failed ($LASTEXITCODE)" }
        if ($Test) {
            dotnet test TcpTools.sln -c $Configuration --no-build -nologo
            if ($LASTEXITCODE) { throw "tests failed ($LASTEXITCODE)" }
        }
    }
    if ($Package) {
        dotnet pack tools/Package/TcpTools.Package.csproj -c $Configuration -o out -nologo
        if ($LASTEXITCODE) { throw "dotnet pack failed ($LASTEXITCODE)" }
    }
    Write-Host "Module built: Import-Module $(Join-Path $PSScriptRoot 'out' 'TcpTools')"
}
finally {
    Pop-Location
}
