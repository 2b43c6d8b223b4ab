using System;
using System.Collections;
using System.Collections.Generic;

namespace TcpTools;

/// <summary>
/// The tunnels a segment or a connection came through, outermost first (<see cref="TcpSegment.Tunnels"/>,
/// <see cref="TcpConnectionState.Tunnels"/>): a read-only list, so the pipeline filters on it as on an array
/// (<c>$_.Tunnels.Type -contains 'Vxlan'</c>, <c>$_.Tunnels.Count</c>), and text that reads as the chain in
/// Export-Csv and strings ("Vxlan 198.18.0.1:51000 > 198.18.0.2:4789 VNI 42; Gre 198.18.0.1 > 198.18.0.2").
/// </summary>
public sealed class TcpTunnelList : IReadOnlyList<TcpTunnel>
{
    private readonly TcpTunnel[] _tunnels;

    internal TcpTunnelList(TcpTunnel[] tunnels) => _tunnels = tunnels;

    /// <summary>No tunnel: the list of a plain segment or connection.</summary>
    public static TcpTunnelList Empty { get; } = new(Array.Empty<TcpTunnel>());

    public int Count => _tunnels.Length;

    public TcpTunnel this[int index] => _tunnels[index];

    public IEnumerator<TcpTunnel> GetEnumerator() => ((IEnumerable<TcpTunnel>)_tunnels).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _tunnels.GetEnumerator();

    /// <summary>The tunnels as text, outermost first, separated by "; "; empty for none.</summary>
    public override string ToString() => string.Join("; ", (IEnumerable<TcpTunnel>)_tunnels);
}
