namespace TcpTools;

/// <summary>
/// Link-layer header types (LINKTYPE_* values from the tcpdump.org registry) that the decoder understands,
/// plus the others it can name in an error.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order (DLT_NULL).</summary>
    Null = 0,
    /// <summary>Ethernet II, with optional 802.1Q / 802.1ad tags and MPLS labels.</summary>
    Ethernet = 1,
    /// <summary>Raw IP as some BSDs number it (DLT_RAW = 12).</summary>
    RawBsd = 12,
    /// <summary>Raw IP as OpenBSD numbers it (DLT_RAW = 14).</summary>
    RawOpenBsd = 14,
    /// <summary>Raw IPv4 or IPv6, no link header (LINKTYPE_RAW).</summary>
    Raw = 101,
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
