@{
    RootModule           = 'TcpTools.psm1'
    NestedModules        = @('TcpTools.dll')
    # Loaded before TypesToProcess: the type data's code properties live in it.
    RequiredAssemblies   = @('TcpTools.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = 'b3bd3292-7645-45d2-adcc-409264b7fdee'
    Author               = 'TcpTools contributors'
    CompanyName          = 'TcpTools'
    Copyright            = '(c) 2026 TcpTools contributors.'
    Description          = 'TCP for the PowerShell pipeline: read segments from pcap/pcapng captures as objects, track connection state, probe ports.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('TcpTools.format.ps1xml')
    TypesToProcess       = @('TcpTools.types.ps1xml')
    CmdletsToExport      = @(
        'Export-TcpCapture'
        'Get-TcpCaptureDevice'
        'Get-TcpConnection'
        'Get-TcpFlow'
        'Get-TcpSegment'
        'New-TcpSegment'
        'Send-TcpReset'
        'Send-TcpSegment'
        'Send-TcpSyn'
        'Trace-TcpRoute'
        'Wait-TcpState'
    )
    FunctionsToExport    = @('Invoke-TcpCommand')
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            # Read by tools/Package (dotnet pack) as well: keep values single-quoted and arrays as @('a', 'b').
            Tags         = @('TCP', 'pcap', 'pcapng', 'network', 'packet', 'capture', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/license/mit'
            # No ProjectUri: the project has no public address yet.
            ReleaseNotes = '0.1.0, first release. Get-TcpSegment reads TCP segments from pcap and pcapng files or live interfaces as objects, with BPF filters; Get-TcpFlow tracks every connection with the RFC 9293 state of each endpoint, Zeek conn_state and history, timing, volume and loss analysis, from files, piped segments or live capture (-Watch for state changes); Send-TcpSyn probes and scans ports of hosts and networks; Trace-TcpRoute traces the path to a TCP port; New-TcpSegment, Send-TcpSegment and Send-TcpReset craft, send and reset segments; Export-TcpCapture writes pcap and pcapng; Get-TcpConnection lists the sockets of this host (states, owners, timers, tcp_info, as ss -tanpio) and Wait-TcpState waits for them to reach or leave a state; Invoke-TcpCommand runs a command on several hosts over SSH remoting; Pester assertions Should -BeListening and Should -HaveTcpState. Needs PowerShell 7.4+; filters, live capture and sending need libpcap, live capture and sending need root or CAP_NET_RAW and CAP_NET_ADMIN.'
        }
    }
}
