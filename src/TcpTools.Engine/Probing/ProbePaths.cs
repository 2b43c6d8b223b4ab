using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using TcpTools.Engine.Capture;

namespace TcpTools.Engine.Probing;

/// <summary>Where a next hop's link-layer address stands.</summary>
internal enum NeighborState
{
    /// <summary>Known (or not needed: loopback): probes go out.</summary>
    Ready,

    /// <summary>Not asked yet.</summary>
    Unknown,

    /// <summary>ARP request or neighbour solicitation sent, no answer yet: probes wait.</summary>
    Resolving,

    /// <summary>No answer after the attempts, or no route: probes to it are not sent.</summary>
    Down,
}

/// <summary>One next hop (the target itself when on-link, else its gateway), and what sends to it.</summary>
internal sealed class ProbePath
{
    public ProbePath(ProbeChannel? channel, IPAddress hop, IPAddress source, bool loopback)
    {
        Channel = channel;
        Hop = hop;
        Source = source;
        SourceValue = Decoding.IPAddressValue.FromIPAddress(source);
        State = loopback ? NeighborState.Ready : NeighborState.Unknown;
    }

    public ProbeChannel? Channel { get; }

    public IPAddress Hop { get; }

    public IPAddress Source { get; }

    public Decoding.IPAddressValue SourceValue { get; }

    public byte[]? Mac { get; set; }

    public NeighborState State { get; set; }

    /// <summary>Neighbour requests sent.</summary>
    public int Attempts { get; set; }

    /// <summary>Why it is down.</summary>
    public string? DownReason { get; set; }

    /// <summary>Probes waiting for the MAC (created on first use).</summary>
    public List<ScanProbe>? Waiting { get; set; }

    public static ProbePath Unreachable(IPAddress target, string reason) =>
        new(null, target, target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, true) { State = NeighborState.Down, DownReason = reason };
}

/// <summary>
/// Routes, channels and next hops for the destinations of one command. The kernel is asked once per route entry
/// (<see cref="RouteTable"/>), the neighbour table read once per interface; a next hop the table does not hold is
/// resolved by the caller without blocking (<see cref="For"/>, then <see cref="SendNeighborRequest"/> and
/// <see cref="TryTakeNeighborReply"/>), or here, blocking, by <see cref="Resolved"/>.
/// </summary>
internal sealed class ProbePaths : IDisposable
{
    private readonly Dictionary<string, ProbeChannel> _channels = new();
    private readonly Dictionary<(int, bool), ProbeRoute> _routes = new();
    private readonly Dictionary<(int, bool), ProbePath> _noRoute = new();
    private readonly Dictionary<(bool, UInt128), ProbePath> _hops = new();
    private readonly Dictionary<string, Dictionary<IPAddress, byte[]>> _kernelNeighbors = new();
    private readonly RouteTable _table = new();
    private readonly string? _interface;
    private readonly string _filter;
    private readonly byte[] _frame = new byte[86];

    public ProbePaths(string? interfaceName, string filter)
    {
        _interface = interfaceName;
        _filter = filter;
    }

    public IReadOnlyCollection<ProbeChannel> Channels => _channels.Values;

    /// <summary>Next hops known (on-link targets each have their own).</summary>
    public int HopCount => _hops.Count;

    /// <summary>
    /// The path to <paramref name="address"/>: ready, waiting for its neighbour to be resolved (<see cref="NeighborState.Unknown"/>
    /// when the kernel's table does not know it), or down (no route). Throws <see cref="CaptureDeviceException"/> when
    /// the interface cannot be opened.
    /// </summary>
    public ProbePath For(IPAddress address)
    {
        int key = _table.Lookup(address);
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var routeKey = (key, v6);
        if (key == RouteTable.Local)
        {
            if (_hops.TryGetValue((v6, AddressRange.ToNumber(address)), out var local))
            {
                return local;
            }
        }
        else if (_noRoute.TryGetValue(routeKey, out var down))
        {
            return down;
        }
        if (key == RouteTable.Local || !_routes.TryGetValue(routeKey, out var route))
        {
            try
            {
                route = RouteResolver.Resolve(address, _interface);
            }
            catch (NetworkUnreachableException e)
            {
                var unreachable = ProbePath.Unreachable(address, e.Message);
                if (key == RouteTable.Local)
                {
                    _hops[(v6, AddressRange.ToNumber(address))] = unreachable;
                }
                else
                {
                    _noRoute[routeKey] = unreachable;
                }
                return unreachable;
            }
            if (key != RouteTable.Local)
            {
                _routes[routeKey] = route;
            }
        }
        var hop = route.Loopback ? address : route.NextHop(address);
        var hopKey = (hop.AddressFamily == AddressFamily.InterNetworkV6, AddressRange.ToNumber(hop));
        if (_hops.TryGetValue(hopKey, out var path))
        {
            return path;
        }
        var channel = Channel(route);
        path = new ProbePath(channel, hop, route.Source, route.Loopback);
        if (!route.Loopback)
        {
            if (route.SourceMac is null)
            {
                path.State = NeighborState.Down;
                path.DownReason = $"'{route.Interface}' has no Ethernet address: TcpTools sends on Ethernet and loopback interfaces.";
            }
            else if (hop.AddressFamily == AddressFamily.InterNetwork && KernelNeighbors(route.Interface).TryGetValue(hop, out var mac))
            {
                path.Mac = mac;
                path.State = NeighborState.Ready;
            }
        }
        _hops[hopKey] = path;
        return path;
    }

    /// <summary>The path to <paramref name="address"/> with its MAC, resolving the neighbour here if need be (up to 3 s).</summary>
    public (ProbeChannel Channel, byte[]? Mac, IPAddress Source) Resolved(IPAddress address)
    {
        var path = For(address);
        if (path.State == NeighborState.Down)
        {
            throw new NetworkUnreachableException(address, path.DownReason!);
        }
        if (path.State != NeighborState.Ready)
        {
            var route = RouteResolver.Resolve(address, _interface);
            path.Mac = RouteResolver.ResolveNeighbor(path.Channel!.Capture, 0, route, path.Hop, TimeSpan.FromSeconds(3));
            path.State = NeighborState.Ready;
        }
        return (path.Channel!, path.Mac, path.Source);
    }

    /// <summary>Sends one ARP request (IPv4) or neighbour solicitation (IPv6) for the path's next hop.</summary>
    public void SendNeighborRequest(ProbePath path)
    {
        var channel = path.Channel!;
        int length = path.Hop.AddressFamily == AddressFamily.InterNetwork
            ? RouteResolver.WriteArpRequest(_frame, channel.Mac!, path.Source, path.Hop)
            : RouteResolver.WriteNeighborSolicitation(_frame, channel.Mac!, path.Source, path.Hop);
        channel.Capture.Send(0, _frame.AsSpan(0, length));
        path.Attempts++;
        path.State = NeighborState.Resolving;
    }

    /// <summary>When <paramref name="frame"/> is an ARP reply or neighbour advertisement for a next hop being resolved: that path, now ready.</summary>
    public ProbePath? TryTakeNeighborReply(ReadOnlySpan<byte> frame)
    {
        if (!RouteResolver.TryParseAnyNeighborReply(frame, out bool v6, out UInt128 sender, out int macOffset)
            || !_hops.TryGetValue((v6, sender), out var path) || path.State is not (NeighborState.Resolving or NeighborState.Unknown))
        {
            return null;
        }
        path.Mac = frame.Slice(macOffset, 6).ToArray();
        path.State = NeighborState.Ready;
        return path;
    }

    public void Dispose()
    {
        foreach (var c in _channels.Values)
        {
            c.Dispose();
        }
        _channels.Clear();
        _hops.Clear();
    }

    private ProbeChannel Channel(ProbeRoute route)
    {
        if (!_channels.TryGetValue(route.Interface, out var channel))
        {
            channel = ProbeChannel.Open(route, _filter);
            _channels[route.Interface] = channel;
        }
        return channel;
    }

    private Dictionary<IPAddress, byte[]> KernelNeighbors(string nic)
    {
        if (!_kernelNeighbors.TryGetValue(nic, out var table))
        {
            _kernelNeighbors[nic] = table = RouteResolver.ArpTable(nic);
        }
        return table;
    }
}
