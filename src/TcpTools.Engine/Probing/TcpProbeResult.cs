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
/// <remarks>Addresses are text and the round trip is in seconds, so ConvertTo-Json and Export-Csv carry them as they read.</remarks>
public sealed class TcpProbeResult
{
    internal TcpProbeResult(string target, IPAddress address, ushort port, TcpProbeStatus status, string reason, IPAddress? reasonAddress,
        TimeSpan? rtt, int attempts, ushort sourcePort, TcpSegment? response)
    {
        Target = target;
        IPAddress = address;
        Address = address.ToString();
        Port = port;
        Status = status;
        Reason = reason;
        ReasonAddress = reasonAddress?.ToString();
        Rtt = rtt is TimeSpan t ? t.Ticks / 10_000_000m : null;
        Attempts = attempts;
        SourcePort = sourcePort;
        Response = response;
    }

    /// <summary>The target as given (host name or address, with its ports).</summary>
    public string Target { get; }

    /// <summary>The address probed, as text.</summary>
    public string Address { get; }

    /// <summary>The address probed, for code that probes again.</summary>
    internal IPAddress IPAddress { get; }

    public ushort Port { get; }

    public TcpProbeStatus Status { get; }

    /// <summary>syn-ack, reset, no-response, or the ICMP error (icmp-port-unreachable, icmp-admin-prohibited, icmp-time-exceeded, …).</summary>
    public string Reason { get; }

    /// <summary>Who sent the ICMP error (a router or firewall on the way, or the host itself); null otherwise.</summary>
    public string? ReasonAddress { get; }

    /// <summary>Seconds from the (last) SYN sent to its answer; null when nothing answered.</summary>
    public decimal? Rtt { get; }

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

    /// <summary>
    /// What makes this answer doubtful, by name (empty when nothing does): ZeroWindow (a SYN-ACK offering no
    /// window: a tarpit), TtlDiffersFromResets (the host's SYN-ACKs and RSTs arrive with different TTLs: something
    /// in between answers for some ports), EveryPortOpen (every port of the host answered open: a tarpit or a
    /// middlebox answering for it). Set as soon as the scan knows, so the last two may come after the result was written.
    /// </summary>
    public string[] Warnings { get; private set; } = Array.Empty<string>();

    internal void AddWarning(string code)
    {
        if (Array.IndexOf(Warnings, code) < 0)
        {
            Warnings = [.. Warnings, code];
        }
    }

    /// <summary>The probed endpoint as people write it (198.18.0.10:443, [fd00:198:18::10]:443).</summary>
    internal string EndPoint => EndPointText.Format(Address, Port, IPAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 6 : 4);

    public override string ToString() => $"{EndPoint} {Status} ({Reason})";
}
