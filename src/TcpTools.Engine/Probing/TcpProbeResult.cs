using System;
using System.Net;

namespace TcpTools;

/// <summary>What a half-open SYN probe found, as nmap -sS names it.</summary>
public enum TcpProbeStatus
{
    /// <summary>A SYN-ACK acknowledged the probe: something listens.</summary>
    Open,

    /// <summary>A RST acknowledged the probe: the host answered, nothing listens.</summary>
    Closed,

    /// <summary>No answer after the retries, or an ICMP error about the probe: something in the way.</summary>
    Filtered,
}

/// <summary>The result of one SYN probe: Send-TcpSyn writes one per target address and port.</summary>
public sealed class TcpProbeResult
{
    internal TcpProbeResult(string target, IPAddress address, ushort port, TcpProbeStatus status, string reason, IPAddress? reasonAddress,
        TimeSpan? rtt, int attempts, ushort sourcePort, TcpSegment? response)
    {
        Target = target;
        Address = address;
        Port = port;
        Status = status;
        Reason = reason;
        ReasonAddress = reasonAddress;
        Rtt = rtt;
        Attempts = attempts;
        SourcePort = sourcePort;
        Response = response;
    }

    /// <summary>The target as given (host name or address, with its ports).</summary>
    public string Target { get; }

    /// <summary>The address probed.</summary>
    public IPAddress Address { get; }

    public ushort Port { get; }

    public TcpProbeStatus Status { get; }

    /// <summary>syn-ack, reset, no-response, or the ICMP error (icmp-port-unreachable, icmp-admin-prohibited, icmp-time-exceeded, …).</summary>
    public string Reason { get; }

    /// <summary>Who sent the ICMP error (a router or firewall on the way, or the host itself); null otherwise.</summary>
    public IPAddress? ReasonAddress { get; }

    /// <summary>From the (last) SYN sent to its answer; null when nothing answered.</summary>
    public TimeSpan? Rtt { get; }

    /// <summary>How many SYNs were sent (1 + the retransmissions needed).</summary>
    public int Attempts { get; }

    public ushort SourcePort { get; }

    /// <summary>The answering segment (SYN-ACK or RST), with its TTL, window and options; null for ICMP or silence.</summary>
    public TcpSegment? Response { get; }

    /// <summary>The responder's TTL (IPv4) or hop limit (IPv6).</summary>
    public int? Ttl => Response?.Ttl;

    /// <summary>The responder's receive window.</summary>
    public int? Window => Response?.Window;

    /// <summary>The responder's TCP options (MSS, window scale, SACK permitted, timestamps).</summary>
    public TcpOptions? Options => Response?.Options;

    public bool IsOpen => Status == TcpProbeStatus.Open;

    public override string ToString() => $"{(Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port} {Status} ({Reason})";
}
