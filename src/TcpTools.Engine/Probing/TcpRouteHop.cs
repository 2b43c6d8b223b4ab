using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace TcpTools;

/// <summary>What answered the probes of one hop of a TCP traceroute.</summary>
public enum TcpRouteHopStatus
{
    /// <summary>A router on the way: ICMP time exceeded (the probe's TTL or hop limit ran out there).</summary>
    TimeExceeded,

    /// <summary>The destination, with a SYN-ACK: the port is open.</summary>
    Open,

    /// <summary>The destination, with a RST: the host answers, the port is closed.</summary>
    Closed,

    /// <summary>An ICMP destination unreachable error (a firewall or a router without a route): the path ends here.</summary>
    Unreachable,

    /// <summary>No probe of this hop was answered.</summary>
    NoReply,
}

/// <summary>One hop of Trace-TcpRoute: who answered the probes sent with this TTL (hop limit), how, and how fast.</summary>
/// <remarks>Addresses are text and round trips are seconds, as in <see cref="TcpProbeResult"/>.</remarks>
public sealed class TcpRouteHop
{
    internal TcpRouteHop(string target, IPAddress destination, ushort port, int hop, TcpRouteHopStatus status, string? reason,
        IReadOnlyList<IPAddress> responders, IReadOnlyList<TimeSpan?> rtts, int? replyTtl)
    {
        Target = target;
        Destination = destination.ToString();
        Port = port;
        Hop = hop;
        Status = status;
        Reason = reason;
        Addresses = responders.Select(a => a.ToString()).ToArray();
        Address = Addresses.Length > 0 ? Addresses[0] : null;
        Rtts = rtts.Select(r => r is TimeSpan t ? t.Ticks / 10_000_000m : (decimal?)null).ToArray();
        var answered = Rtts.Where(r => r.HasValue).Select(r => r!.Value).ToArray();
        Rtt = answered.Length > 0 ? answered.Min() : null;
        ReplyTtl = replyTtl;
    }

    /// <summary>The target as given.</summary>
    public string Target { get; }

    /// <summary>The address traced to, as text.</summary>
    public string Destination { get; }

    public ushort Port { get; }

    /// <summary>The TTL (hop limit) the probes of this hop were sent with: 1 is the first router.</summary>
    public int Hop { get; }

    public TcpRouteHopStatus Status { get; }

    /// <summary>icmp-time-exceeded, syn-ack, reset, the ICMP unreachable error (icmp-admin-prohibited, …), or no-response.</summary>
    public string? Reason { get; }

    /// <summary>The first address that answered this hop; null when none did.</summary>
    public string? Address { get; }

    /// <summary>Every address that answered this hop, first answer first (more than one when the path splits: ECMP, load balancers).</summary>
    public string[] Addresses { get; }

    /// <summary>Seconds from each probe to its answer, in the order sent; null for an unanswered probe.</summary>
    public decimal?[] Rtts { get; }

    /// <summary>The fastest answer, in seconds; null when none came.</summary>
    public decimal? Rtt { get; }

    /// <summary>The TTL (hop limit) of the first answer as it arrived: how far back the answer travelled.</summary>
    public int? ReplyTtl { get; }

    /// <summary>The destination answered (Open or Closed).</summary>
    public bool IsDestination => Status is TcpRouteHopStatus.Open or TcpRouteHopStatus.Closed;

    public override string ToString() => $"{Hop} {Address ?? "*"} {Status}";
}
