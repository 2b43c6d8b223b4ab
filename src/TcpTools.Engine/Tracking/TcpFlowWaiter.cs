using System;
using System.Collections.Generic;
using TcpTools.Engine.Sockets;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Wait-TcpState's condition on what a capture sees: the latest snapshot of every matching connection (fed with the
/// tracker's state changes), and whether some has an endpoint in <see cref="States"/> and none in
/// <see cref="NotStates"/>. A capture vouches only for connections it has seen, so "none in" needs at least one
/// matching connection seen (a connection that finished counts, in its last state).
/// </summary>
public sealed class TcpFlowWaiter
{
    private readonly Dictionary<string, TcpConnectionState> _latest = new();
    private bool _seen;

    public IReadOnlyCollection<TcpState>? States { get; init; }

    public IReadOnlyCollection<TcpState>? NotStates { get; init; }

    /// <summary>Either port, client's or server's.</summary>
    public IReadOnlyCollection<ushort>? Ports { get; init; }

    /// <summary>The connection's server endpoint is one of these.</summary>
    public IReadOnlyCollection<TcpEndpointFilter>? Servers { get; init; }

    /// <summary>The connection's client endpoint is one of these.</summary>
    public IReadOnlyCollection<TcpEndpointFilter>? Clients { get; init; }

    /// <summary>The matching connections as last seen.</summary>
    public IReadOnlyCollection<TcpConnectionState> Latest => _latest.Values;

    /// <summary>Takes a snapshot from the tracker; true when it matches the filters.</summary>
    public bool Observe(TcpConnectionState flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (!Matches(flow))
        {
            return false;
        }
        _seen = true;
        _latest[flow.Id] = flow;
        return true;
    }

    /// <summary>Whether the condition holds now; when it does, the connections to write.</summary>
    public bool Holds(out List<TcpConnectionState> result)
    {
        result = new List<TcpConnectionState>();
        if (NotStates is { } not)
        {
            if (!_seen)
            {
                return false;
            }
            foreach (var f in _latest.Values)
            {
                if (In(not, f))
                {
                    return false;
                }
            }
        }
        foreach (var f in _latest.Values)
        {
            if (States is null || In(States, f))
            {
                result.Add(f);
            }
        }
        return States is null || result.Count > 0;
    }

    private bool Matches(TcpConnectionState f)
    {
        if (Ports is { } ports && !Filters.Contains(ports, f.ClientPort) && !Filters.Contains(ports, f.ServerPort))
        {
            return false;
        }
        if (Servers is { } servers && !Any(servers, f.ServerValue, f.ServerPort))
        {
            return false;
        }
        return Clients is not { } clients || Any(clients, f.ClientValue, f.ClientPort);
    }

    private static bool Any(IReadOnlyCollection<TcpEndpointFilter> filters, in Decoding.IPAddressValue address, ushort port)
    {
        foreach (var filter in filters)
        {
            if (filter.Matches(address, port))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>An endpoint's state, as Get-TcpFlow -State reads it: the client's or the server's.</summary>
    private static bool In(IReadOnlyCollection<TcpState> states, TcpConnectionState f)
    {
        foreach (var s in states)
        {
            if (f.ClientState == s || f.ServerState == s)
            {
                return true;
            }
        }
        return false;
    }
}
