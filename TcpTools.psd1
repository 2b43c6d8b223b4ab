@{
    RootModule           = 'TcpTools.psm1'
    NestedModules        = @('TcpTools.dll')
    # Loaded before TypesToProcess: the type data's code properties live in it.
    RequiredAssemblies   = @('TcpTools.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = 'b3bd3292-7645-45d2-adcc-409264b7fdee'
    Author               = 'TcpTools contributors'
    CompanyName          = 'TcpTools'
    Copyright            = '(c) TcpTools contributors.'
    Description          = 'TCP for the PowerShell pipeline: read segments from pcap/pcapng captures as objects, track connection state, probe ports.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('TcpTools.format.ps1xml')
    TypesToProcess       = @('TcpTools.types.ps1xml')
    CmdletsToExport      = @(
        'Export-TcpCapture'
        'Get-TcpCaptureDevice'
        'Get-TcpFlow'
        'Get-TcpSegment'
        'New-TcpSegment'
        'Send-TcpReset'
        'Send-TcpSegment'
        'Send-TcpSyn'
    )
    FunctionsToExport    = @('Invoke-TcpCommand')
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('TCP', 'pcap', 'pcapng', 'network', 'packet', 'capture', 'Linux', 'PSEdition_Core')
        }
    }
}
