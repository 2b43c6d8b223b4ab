namespace TcpTools;

/// <summary>
/// Link-layer header types (LINKTYPE_* values from the tcpdump.org registry) that the decoder understands,
/// plus the others it can name in an error.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order (DLT_NULL).</summary>
    Null = 0,
    /// <summary>Ethernet II and 802.3 with LLC/SNAP, with optional 802.1Q / 802.1ad tags, MPLS labels and the tunnels and carrier headers the decoder opens.</summary>
    Ethernet = 1,
    /// <summary>PPP, optionally with HDLC-like address and control bytes (DLT_PPP).</summary>
    Ppp = 9,
    /// <summary>FDDI with LLC/SNAP (DLT_FDDI).</summary>
    Fddi = 10,
    /// <summary>Raw IP as some BSDs number it (DLT_RAW = 12).</summary>
    RawBsd = 12,
    /// <summary>Raw IP as OpenBSD numbers it (DLT_RAW = 14).</summary>
    RawOpenBsd = 14,
    /// <summary>PPP in HDLC-like framing, or Cisco HDLC (LINKTYPE_PPP_HDLC, DLT_PPP_SERIAL).</summary>
    PppSerial = 50,
    /// <summary>PPPoE session frames without the Ethernet header (DLT_PPP_ETHER).</summary>
    PppEther = 51,
    /// <summary>Raw IPv4 or IPv6, no link header (LINKTYPE_RAW).</summary>
    Raw = 101,
    /// <summary>Cisco HDLC (DLT_C_HDLC).</summary>
    CiscoHdlc = 104,
    /// <summary>OpenBSD loopback: like Null but the family is in network byte order.</summary>
    Loop = 108,
    /// <summary>Linux "cooked" capture v1 (the "any" device), 16-byte header.</summary>
    LinuxSll = 113,
    /// <summary>Raw IPv4 only.</summary>
    IPv4 = 228,
    /// <summary>Raw IPv6 only.</summary>
    IPv6 = 229,
    /// <summary>Linux "cooked" capture v2, 20-byte header with the interface index.</summary>
    LinuxSll2 = 276,
}
