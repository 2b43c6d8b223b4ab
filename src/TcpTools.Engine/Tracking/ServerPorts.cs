using System;
using System.Collections.Generic;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Ports on which a server is likely to listen: when the first segment of a flow is not a SYN, the side using one
/// of these is taken as the server. The default is Zeek's likely_server_ports with its default scripts loaded, so
/// that roles (and with them conn_state and history) agree with Zeek's.
/// </summary>
public sealed class ServerPorts
{
    private readonly ulong[] _bits = new ulong[1024];

    public ServerPorts(IEnumerable<ushort> ports)
    {
        foreach (ushort p in ports)
        {
            _bits[p >> 6] |= 1UL << (p & 63);
        }
    }

    /// <summary>Zeek's likely_server_ports for TCP with its default (non-bare) scripts.</summary>
    public static ServerPorts Default { get; } = new(new ushort[]
    {
        21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614, 631, 636,
        989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379,
        6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
    });

    public bool Contains(ushort port) => (_bits[port >> 6] & (1UL << (port & 63))) != 0;

    public IEnumerable<ushort> Ports
    {
        get
        {
            for (int p = 0; p <= ushort.MaxValue; p++)
            {
                if (Contains((ushort)p))
                {
                    yield return (ushort)p;
                }
            }
        }
    }

    public override string ToString() => string.Join(",", Ports);
}
