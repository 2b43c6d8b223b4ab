using System;

namespace TcpTools;

/// <summary>
/// The tunnels a segment or a connection came through, outermost first (<see cref="TcpSegment.Tunnels"/>,
/// <see cref="TcpConnectionState.Tunnels"/>): filtered on as an array (<c>$_.Tunnels.Type -contains 'Vxlan'</c>,
/// <c>$_.Tunnels.Count</c>), and text that reads as the chain in Export-Csv and strings
/// ("Vxlan 198.18.0.1:51000 > 198.18.0.2:4789 VNI 42; Gre 198.18.0.1 > 198.18.0.2").
/// </summary>
public sealed class TcpTunnelList : TextList<TcpTunnel>
{
    internal TcpTunnelList(TcpTunnel[] tunnels)
        : base(tunnels, "; ")
    {
    }

    /// <summary>No tunnel: the list of a plain segment or connection.</summary>
    public static TcpTunnelList Empty { get; } = new(Array.Empty<TcpTunnel>());
}
