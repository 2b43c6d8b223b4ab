namespace TcpTools;

/// <summary>An IP tunnel a TCP segment was decapsulated from (Zeek's tunnel types, finer where tshark is).</summary>
public enum TunnelType : byte
{
    None,

    /// <summary>IPv6 over UDP port 3544 (RFC 4380).</summary>
    Teredo,

    /// <summary>Generic Routing Encapsulation, IP protocol 47 or UDP port 4754 (RFC 2784, 2890, 8086; version 1 is PPTP's, RFC 2637).</summary>
    Gre,

    /// <summary>Cisco ERSPAN types I, II and III: mirrored Ethernet frames inside GRE.</summary>
    Erspan,

    /// <summary>VXLAN, UDP port 4789 (RFC 7348; also 8472, the Linux kernel's default).</summary>
    Vxlan,

    /// <summary>VXLAN with a next-protocol field, UDP port 4790 (VXLAN-GPE).</summary>
    VxlanGpe,

    /// <summary>Geneve, UDP port 6081 (RFC 8926).</summary>
    Geneve,

    /// <summary>GTP-U version 1, UDP port 2152 (3GPP TS 29.281): the user plane of mobile networks.</summary>
    GtpU,

    /// <summary>AYIYA ("anything in anything"), UDP port 5072.</summary>
    Ayiya,

    /// <summary>IP directly inside IP: IPv4 in IPv4 (protocol 4), 6in4 (41), 4in6 and IPv6 in IPv6.</summary>
    IPInIP,
}
