<#
ServiceListening: every service port answers a TCP handshake.

Checks  each target with a half-open SYN probe (Send-TcpSyn, through Should -BeListening): a SYN-ACK passes; a RST
        (Closed: the host is up, nothing listens) or silence or an ICMP error (Filtered) fails, and the message
        says which answer came back, from which address, after how long. One test per target.
Run     Invoke-Pester -Container (New-PesterContainer -Path ./ServiceListening.Tests.ps1 -Data @{
            Target = 'web01:443', 'db01:5432', 'cache01:6379' })
Needs   Pester 5+, TcpTools (its import adds Should -BeListening to Pester), libpcap, and root or
        CAP_NET_RAW + CAP_NET_ADMIN (the probe sends raw packets). The application never sees a connection.
#>
param(
    # host:port targets as Send-TcpSyn takes them: 'web01:443', 'web01:80,443', '[fd00::5]:22'.
    [string[]] $Target = @('web01:80', 'web01:443')
)

BeforeAll {
    # Importing TcpTools adds Should -BeListening to a loaded Pester: -Force if it was imported before Pester was.
    Import-Module TcpTools -Force:('BeListening' -notin (Get-ShouldOperator).Name)
}

Describe 'Service ports' -Tag Example {
    It '<_> answers a SYN with a SYN-ACK' -ForEach $Target {
        $_ | Should -BeListening
    }
}
