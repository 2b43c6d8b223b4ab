using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Probing;

/// <summary>How a packet to one target leaves this host.</summary>
public sealed record ProbeRoute(string Interface, IPAddress Source, IPAddress? Gateway, bool Loopback, byte[]? SourceMac)
{
    /// <summary>The address whose MAC the frame goes to: the gateway, or the target itself when on-link.</summary>
    public IPAddress NextHop(IPAddress target) => Gateway ?? target;
}

/// <summary>
/// The route the OS would choose for a target: source address (a connected UDP socket asks the kernel, sending
/// nothing), outgoing interface (the one holding that address), gateway (the longest matching route of
/// /proc/thread-self/net/route or ipv6_route, so the caller's network namespace counts), and next-hop MAC (the
/// kernel's neighbour table for IPv4, else an ARP request or an IPv6 neighbour solicitation of our own).
/// </summary>
public static class RouteResolver
{
    public static ProbeRoute Resolve(IPAddress target, string? interfaceName = null)
    {
        IPAddress source;
        using (var udp = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp))
        {
            try
            {
                udp.Connect(new IPEndPoint(target, 9));
            }
            catch (SocketException e)
            {
                throw new NetworkUnreachableException(target, $"No route to {target}: {e.Message}", e);
            }
            source = ((IPEndPoint)udp.LocalEndPoint!).Address;
        }
        var nics = NetworkInterface.GetAllNetworkInterfaces();
        NetworkInterface? nic = interfaceName != null
            ? nics.FirstOrDefault(n => n.Name == interfaceName)
            : nics.FirstOrDefault(n => n.GetIPProperties().UnicastAddresses.Any(a => SameAddress(a.Address, source)));
        if (nic is null)
        {
            throw new NetworkUnreachableException(target, interfaceName != null
                ? $"There is no interface '{interfaceName}'."
                : $"No interface holds {source}, the source address the kernel chose for {target}.");
        }
        // A target on this host (loopback, or one of its own addresses) is reached through raw sockets.
        bool local = IPAddress.IsLoopback(target) || nics.Any(n => n.GetIPProperties().UnicastAddresses.Any(a => SameAddress(a.Address, target)));
        if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback && !local)
        {
            throw new NetworkUnreachableException(target, $"'{nic.Name}' is a loopback interface: {target} is not on this host and cannot be reached through it.");
        }
        if (local || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
        {
            return new ProbeRoute(LoopbackName(nics), source, null, true, null);
        }
        byte[] mac = nic.GetPhysicalAddress().GetAddressBytes();
        IPAddress? gateway = target.AddressFamily == AddressFamily.InterNetwork ? GatewayV4(target, nic.Name) : GatewayV6(target, nic.Name);
        return new ProbeRoute(nic.Name, source, gateway, false, mac.Length == 6 ? mac : null);
    }

    /// <summary>The next hop's MAC: the neighbour table (IPv4), else our own ARP request / neighbour solicitation on <paramref name="capture"/>.</summary>
    public static byte[] ResolveNeighbor(LiveCapture capture, int deviceIndex, ProbeRoute route, IPAddress nextHop, TimeSpan timeout)
    {
        if (route.SourceMac is null)
        {
            throw new NetworkUnreachableException(nextHop, $"'{route.Interface}' has no Ethernet address: TcpTools sends on Ethernet and loopback interfaces.");
        }
        if (nextHop.AddressFamily == AddressFamily.InterNetwork && ArpTable(route.Interface).TryGetValue(nextHop, out byte[]? known))
        {
            return known;
        }
        Span<byte> frame = stackalloc byte[86];
        int length = nextHop.AddressFamily == AddressFamily.InterNetwork
            ? WriteArpRequest(frame, route.SourceMac, route.Source, nextHop)
            : WriteNeighborSolicitation(frame, route.SourceMac, route.Source, nextHop);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            capture.Send(deviceIndex, frame[..length]);
            long deadline = Environment.TickCount64 + (long)(timeout.TotalMilliseconds / 3);
            while (Environment.TickCount64 < deadline)
            {
                if (capture.TryReadNextFrame(out CapturedFrame meta, out ReadOnlySpan<byte> data, (int)Math.Max(1, deadline - Environment.TickCount64))
                    && meta.InterfaceId == deviceIndex && TryParseNeighborReply(data, nextHop, out byte[]? mac))
                {
                    return mac;
                }
            }
        }
        throw new NetworkUnreachableException(nextHop, $"{nextHop} did not answer {(nextHop.AddressFamily == AddressFamily.InterNetwork ? "ARP" : "neighbour solicitation")} on '{route.Interface}': the host is down or not on that link.");
    }

    private static bool SameAddress(IPAddress a, IPAddress b) =>
        a.AddressFamily == b.AddressFamily && a.GetAddressBytes().AsSpan().SequenceEqual(b.GetAddressBytes());

    private static string LoopbackName(NetworkInterface[] nics) =>
        nics.FirstOrDefault(n => n.NetworkInterfaceType == NetworkInterfaceType.Loopback)?.Name ?? "lo";

    internal static string ProcNet(string file)
    {
        string threadSelf = Path.Combine("/proc/thread-self/net", file);
        return File.Exists(threadSelf) ? threadSelf : Path.Combine("/proc/net", file);
    }

    /// <summary>The longest-prefix IPv4 route on the interface: its gateway, or null when the target is on-link.</summary>
    private static IPAddress? GatewayV4(IPAddress target, string nic)
    {
        string path = ProcNet("route");
        if (!File.Exists(path))
        {
            return null;
        }
        uint t = BinaryPrimitives.ReadUInt32LittleEndian(target.GetAddressBytes());
        int bestBits = -1;
        uint bestGateway = 0;
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (f.Length < 8 || f[0] != nic)
            {
                continue;
            }
            uint dest = uint.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            uint gateway = uint.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            uint mask = uint.Parse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int bits = BitOperationsPopCount(mask);
            if ((t & mask) == dest && bits > bestBits)
            {
                bestBits = bits;
                bestGateway = gateway;
            }
        }
        if (bestGateway == 0)
        {
            return null;
        }
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, bestGateway);
        return new IPAddress(b);
    }

    /// <summary>The longest-prefix IPv6 route on the interface: its next hop, or null when on-link.</summary>
    private static IPAddress? GatewayV6(IPAddress target, string nic)
    {
        string path = ProcNet("ipv6_route");
        if (!File.Exists(path))
        {
            return null;
        }
        byte[] t = target.GetAddressBytes();
        int bestBits = -1;
        byte[]? bestHop = null;
        foreach (string line in File.ReadLines(path))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[9] != nic)
            {
                continue;
            }
            byte[] dest = Convert.FromHexString(f[0]);
            int bits = int.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (bits > bestBits && PrefixMatches(t, dest, bits))
            {
                bestBits = bits;
                bestHop = Convert.FromHexString(f[4]);
            }
        }
        return bestHop is null || bestHop.All(b => b == 0) ? null : new IPAddress(bestHop);
    }

    private static bool PrefixMatches(byte[] a, byte[] b, int bits)
    {
        for (int i = 0; i < bits; i++)
        {
            int mask = 0x80 >> (i & 7);
            if ((a[i >> 3] & mask) != (b[i >> 3] & mask))
            {
                return false;
            }
        }
        return true;
    }

    private static int BitOperationsPopCount(uint v) => System.Numerics.BitOperations.PopCount(v);

    /// <summary>Complete entries of the kernel's IPv4 neighbour table for one interface.</summary>
    internal static Dictionary<IPAddress, byte[]> ArpTable(string nic)
    {
        var table = new Dictionary<IPAddress, byte[]>();
        string path = ProcNet("arp");
        if (!File.Exists(path))
        {
            return table;
        }
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // ATF_COM (0x2): complete, which permanent (static) entries (0x6) also are.
            if (f.Length >= 6 && f[5] == nic && int.TryParse(f[2].Replace("0x", "", StringComparison.Ordinal), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags)
                && (flags & 0x2) != 0 && IPAddress.TryParse(f[0], out var ip))
            {
                table[ip] = f[3].Split(':').Select(x => byte.Parse(x, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            }
        }
        return table;
    }

    internal static int WriteArpRequest(Span<byte> f, byte[] mac, IPAddress source, IPAddress target)
    {
        f[..42].Clear();
        f[..6].Fill(0xff);
        mac.CopyTo(f[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f[14..], 1);      // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f[16..], 0x0800); // IPv4
        f[18] = 6;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f[20..], 1);      // request
        mac.CopyTo(f[22..]);
        source.GetAddressBytes().CopyTo(f[28..]);
        target.GetAddressBytes().CopyTo(f[38..]);
        return 42;
    }

    internal static int WriteNeighborSolicitation(Span<byte> f, byte[] mac, IPAddress source, IPAddress target)
    {
        byte[] t = target.GetAddressBytes();
        // To the solicited-node multicast group ff02::1:ffXX:XXXX, at its multicast MAC 33:33:ff:XX:XX:XX.
        byte[] group = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15] };
        f[..86].Clear();
        byte[] dstMac = { 0x33, 0x33, 0xff, t[13], t[14], t[15] };
        PacketBuilder.WriteEthernet(f, dstMac, mac, 0x86DD);
        var ip = f[14..];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 32);
        ip[6] = 58;
        ip[7] = 255;
        source.GetAddressBytes().CopyTo(ip[8..]);
        group.CopyTo(ip[24..]);
        var icmp = ip[40..];
        icmp[0] = 135; // neighbour solicitation
        t.CopyTo(icmp[8..]);
        icmp[24] = 1;  // source link-layer address option
        icmp[25] = 1;
        mac.CopyTo(icmp[26..]);
        Span<byte> pseudo = stackalloc byte[40];
        source.GetAddressBytes().CopyTo(pseudo);
        group.CopyTo(pseudo[16..]);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], 32);
        pseudo[39] = 58;
        ulong sum = Decoding.InternetChecksum.Add(pseudo, 0);
        sum = Decoding.InternetChecksum.Add(icmp[..32], sum);
        System.Runtime.InteropServices.MemoryMarshal.Write(icmp[2..], (ushort)~Decoding.InternetChecksum.Fold(sum));
        return 14 + 40 + 32;
    }

    /// <summary>Any ARP reply or neighbour advertisement: whose it is and where its MAC sits in <paramref name="f"/>.</summary>
    internal static bool TryParseAnyNeighborReply(ReadOnlySpan<byte> f, out bool ipv6, out UInt128 sender, out int macOffset)
    {
        ipv6 = false;
        sender = 0;
        macOffset = 0;
        if (f.Length < 42)
        {
            return false;
        }
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(f[12..]);
        if (etherType == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f[20..]) == 2)
        {
            sender = BinaryPrimitives.ReadUInt32BigEndian(f[28..]);
            macOffset = 22;
            return true;
        }
        if (etherType == 0x86DD && f.Length >= 14 + 40 + 24 && f[14 + 6] == 58 && f[54] == 136)
        {
            ipv6 = true;
            sender = BinaryPrimitives.ReadUInt128BigEndian(f[(54 + 8)..]);
            macOffset = 6; // the frame's source, unless a target link-layer address option says otherwise
            int at = 54 + 24;
            while (f.Length >= at + 8 && f[at + 1] > 0)
            {
                if (f[at] == 2)
                {
                    macOffset = at + 2;
                    break;
                }
                at += f[at + 1] * 8;
            }
            return true;
        }
        return false;
    }

    /// <summary>An ARP reply or neighbour advertisement for <paramref name="nextHop"/>: its MAC.</summary>
    private static bool TryParseNeighborReply(ReadOnlySpan<byte> f, IPAddress nextHop, out byte[] mac)
    {
        mac = Array.Empty<byte>();
        if (f.Length < 42)
        {
            return false;
        }
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(f[12..]);
        byte[] hop = nextHop.GetAddressBytes();
        if (etherType == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f[20..]) == 2 && f.Slice(28, 4).SequenceEqual(hop))
        {
            mac = f.Slice(22, 6).ToArray();
            return true;
        }
        if (etherType == 0x86DD && f.Length >= 14 + 40 + 24 && f[14 + 6] == 58 && f[54] == 136 && f.Slice(54 + 8, 16).SequenceEqual(hop))
        {
            // Target link-layer address option, if present; else the frame's source MAC.
            var options = f[(54 + 24)..];
            while (options.Length >= 8 && options[1] > 0)
            {
                if (options[0] == 2)
                {
                    mac = options.Slice(2, 6).ToArray();
                    return true;
                }
                options = options[Math.Min(options.Length, options[1] * 8)..];
            }
            mac = f.Slice(6, 6).ToArray();
            return true;
        }
        return false;
    }
}

/// <summary>A target cannot be reached from here (no route, no interface, no answer to ARP/NDP).</summary>
public sealed class NetworkUnreachableException : Exception
{
    public NetworkUnreachableException(IPAddress target, string message, Exception? inner = null)
        : base(message, inner)
    {
        Target = target;
    }

    public IPAddress Target { get; }
}
