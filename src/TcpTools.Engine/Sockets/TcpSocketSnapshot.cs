using System.Collections.Generic;

namespace TcpTools.Engine.Sockets;

/// <summary>What one read of the socket table found, and what it could not know.</summary>
public sealed class TcpSocketSnapshot
{
    internal TcpSocketSnapshot(List<TcpSocket> sockets, string source, string? fallbackReason, int ownersDenied, bool ownersUnsupported)
    {
        Sockets = sockets;
        Source = source;
        FallbackReason = fallbackReason;
        OwnersDeniedProcesses = ownersDenied;
        OwnersUnsupported = ownersUnsupported;
    }

    /// <summary>The matching sockets, IPv4 then IPv6, each in the kernel's order (as ss lists them).</summary>
    public IReadOnlyList<TcpSocket> Sockets { get; }

    /// <summary>sock_diag, /proc/net/tcp or .NET.</summary>
    public string Source { get; }

    /// <summary>Why sock_diag was not used, when it was not (null when it was, or off Linux).</summary>
    public string? FallbackReason { get; }

    /// <summary>Processes whose descriptors could not be read (other users' without root): their sockets show no owner.</summary>
    public int OwnersDeniedProcesses { get; }

    /// <summary>Owners were asked for on a system where they cannot be found (not Linux).</summary>
    public bool OwnersUnsupported { get; }
}
