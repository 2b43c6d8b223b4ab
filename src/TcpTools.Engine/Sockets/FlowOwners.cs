namespace TcpTools.Engine.Sockets;

/// <summary>The processes of this host that hold a flow's endpoints, as found while their sockets existed.</summary>
internal sealed class FlowOwners
{
    public int? ClientPid { get; init; }

    public string? ClientName { get; init; }

    public int? ServerPid { get; init; }

    public string? ServerName { get; init; }
}
