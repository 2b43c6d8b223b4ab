using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace TcpTools.Engine.Probing;

/// <summary>
/// The main routing table and this host's own addresses read once, so a scan of thousands of addresses asks the
/// kernel (<see cref="RouteResolver.Resolve"/>) once per route rather than once per address: every address the same
/// route entry matches leaves by the same interface, source and gateway.
/// </summary>
internal sealed class RouteTable
{
    /// <summary>The key of this host's own addresses (loopback and local), each resolved on its own.</summary>
    public const int Local = -1;

    /// <summary>The key of addresses no route entry matches (the kernel is asked, and says why).</summary>
    public const int NoEntry = -2;

    private readonly List<(bool V6, UInt128 Prefix, int Bits, int Metric)> _entries = new();
    private readonly HashSet<(bool, UInt128)> _local = new();

    public RouteTable()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
            {
                _local.Add((a.Address.AddressFamily == AddressFamily.InterNetworkV6, AddressRange.ToNumber(a.Address)));
            }
        }
        ReadV4();
        ReadV6();
    }

    /// <summary>The longest matching entry for <paramref name="address"/> (lowest metric among equals), or <see cref="Local"/> / <see cref="NoEntry"/>.</summary>
    public int Lookup(IPAddress address)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        UInt128 n = AddressRange.ToNumber(address);
        if (IPAddress.IsLoopback(address) || _local.Contains((v6, n)))
        {
            return Local;
        }
        int best = NoEntry, bestBits = -1, bestMetric = int.MaxValue;
        int width = v6 ? 128 : 32;
        for (int i = 0; i < _entries.Count; i++)
        {
            var (ev6, prefix, bits, metric) = _entries[i];
            if (ev6 != v6 || bits < bestBits || (bits == bestBits && metric >= bestMetric))
            {
                continue;
            }
            UInt128 mask = bits == 0 ? UInt128.Zero : UInt128.MaxValue << (width - bits);
            if (!v6)
            {
                mask &= uint.MaxValue;
            }
            if ((n & mask) == prefix)
            {
                (best, bestBits, bestMetric) = (i, bits, metric);
            }
        }
        return best;
    }

    private void ReadV4()
    {
        string path = RouteResolver.ProcNet("route");
        if (!File.Exists(path))
        {
            return;
        }
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (f.Length < 8)
            {
                continue;
            }
            // /proc/net/route writes addresses in host (little-endian) order.
            uint dest = BinaryPrimitives.ReverseEndianness(uint.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            uint mask = BinaryPrimitives.ReverseEndianness(uint.Parse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            int metric = int.Parse(f[6], CultureInfo.InvariantCulture);
            _entries.Add((false, dest & mask, System.Numerics.BitOperations.PopCount(mask), metric));
        }
    }

    private void ReadV6()
    {
        string path = RouteResolver.ProcNet("ipv6_route");
        if (!File.Exists(path))
        {
            return;
        }
        foreach (string line in File.ReadLines(path))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[9] == "lo")
            {
                continue; // lo's entries are the local table's copies (and unreachable routes)
            }
            UInt128 dest = BinaryPrimitives.ReadUInt128BigEndian(Convert.FromHexString(f[0]));
            int bits = int.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int metric = int.Parse(f[5], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            _entries.Add((true, dest, bits, metric));
        }
    }
}
