using System.Collections.Generic;
using System.Net;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// Which sockets to read, as Get-NetTCPConnection's filters: every list is "any of these", every given list must
/// match, a list left null matches everything. States are passed to the kernel (sock_diag's state mask); the rest
/// is matched on each socket as it is read. A record, so a variant is one <c>with</c> expression.
/// </summary>
public sealed record TcpSocketQuery
{
    public IReadOnlyCollection<TcpState>? States { get; init; }

    public IReadOnlyCollection<ushort>? LocalPorts { get; init; }

    public IReadOnlyCollection<ushort>? RemotePorts { get; init; }

    /// <summary>Either port: the local or the remote one.</summary>
    public IReadOnlyCollection<ushort>? Ports { get; init; }

    /// <summary>Addresses or prefixes (198.18.0.0/15); an IPv4 one also matches ::ffff:a.b.c.d on an IPv6 socket.</summary>
    public IReadOnlyCollection<IPNetwork>? LocalAddresses { get; init; }

    public IReadOnlyCollection<IPNetwork>? RemoteAddresses { get; init; }

    public IReadOnlyCollection<int>? OwningProcesses { get; init; }

    /// <summary>A server's endpoints: a socket matches when its local or its remote endpoint is one of them.</summary>
    public IReadOnlyCollection<TcpEndpointFilter>? Servers { get; init; }

    /// <summary>A client's endpoints, matched as <see cref="Servers"/>; both given, a socket must match both.</summary>
    public IReadOnlyCollection<TcpEndpointFilter>? Clients { get; init; }

    /// <summary>Find each socket's processes in /proc/PID/fd (as ss -p); off, OwningProcess and ProcessName are null.</summary>
    public bool IncludeOwners { get; init; } = true;

    /// <summary>Ask the kernel for tcp_info and the congestion control (as ss -i).</summary>
    public bool IncludeInfo { get; init; } = true;

    /// <summary>Which table to read; Auto is sock_diag, then /proc, on Linux, and .NET's elsewhere (tests force the others).</summary>
    internal TcpSocketSource Source { get; init; } = TcpSocketSource.Auto;

    /// <summary>Where /proc is (tests point it at a made-up tree).</summary>
    internal string ProcRoot { get; init; } = "/proc";

    internal bool NeedsOwners => IncludeOwners || OwningProcesses is not null;
}
