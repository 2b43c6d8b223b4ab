using System.Collections.Generic;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// The socket table as .NET gives it on every system (IPGlobalProperties): endpoints and states only. The source
/// off Linux (on Windows and macOS .NET asks the system's own table; on Linux it reads /proc/net/tcp).
/// </summary>
internal static class PortableSocketTable
{
    public static void Read(List<SocketEntry> into)
    {
        var properties = IPGlobalProperties.GetIPGlobalProperties();
        var seen = new HashSet<(IPEndPoint, IPEndPoint)>();
        foreach (TcpConnectionInformation c in properties.GetActiveTcpConnections())
        {
            if (TryMapState(c.State, out TcpState state) && seen.Add((c.LocalEndPoint, c.RemoteEndPoint)))
            {
                into.Add(Entry(c.LocalEndPoint, c.RemoteEndPoint, state));
            }
        }
        foreach (IPEndPoint listener in properties.GetActiveTcpListeners())
        {
            var any = new IPEndPoint(listener.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            if (seen.Add((listener, any)))
            {
                into.Add(Entry(listener, any, TcpState.Listen));
            }
        }
    }

    private static SocketEntry Entry(IPEndPoint local, IPEndPoint remote, TcpState state) => new()
    {
        Local = IPAddressValue.FromIPAddress(local.Address),
        LocalPort = (ushort)local.Port,
        Remote = IPAddressValue.FromIPAddress(remote.Address),
        RemotePort = (ushort)remote.Port,
        State = state,
    };

    private static bool TryMapState(System.Net.NetworkInformation.TcpState s, out TcpState state)
    {
        state = s switch
        {
            System.Net.NetworkInformation.TcpState.Closed or System.Net.NetworkInformation.TcpState.DeleteTcb => TcpState.Closed,
            System.Net.NetworkInformation.TcpState.Listen => TcpState.Listen,
            System.Net.NetworkInformation.TcpState.SynSent => TcpState.SynSent,
            System.Net.NetworkInformation.TcpState.SynReceived => TcpState.SynReceived,
            System.Net.NetworkInformation.TcpState.Established => TcpState.Established,
            System.Net.NetworkInformation.TcpState.FinWait1 => TcpState.FinWait1,
            System.Net.NetworkInformation.TcpState.FinWait2 => TcpState.FinWait2,
            System.Net.NetworkInformation.TcpState.CloseWait => TcpState.CloseWait,
            System.Net.NetworkInformation.TcpState.Closing => TcpState.Closing,
            System.Net.NetworkInformation.TcpState.LastAck => TcpState.LastAck,
            System.Net.NetworkInformation.TcpState.TimeWait => TcpState.TimeWait,
            _ => (TcpState)255,
        };
        return (byte)state != 255;
    }
}
