namespace TcpTools;

/// <summary>A tunnel a TCP segment was decapsulated from.</summary>
public enum TunnelType : byte
{
    None,

    /// <summary>IPv6 over UDP port 3544 (RFC 4380).</summary>
    Teredo,
}
