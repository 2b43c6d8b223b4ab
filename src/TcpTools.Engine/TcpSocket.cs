using System;
using System.Collections.Generic;
using TcpTools.Engine.Decoding;
using TcpTools.Engine.Sockets;

namespace TcpTools;

/// <summary>
/// One TCP socket of this host (of the current network namespace on Linux), as the kernel's socket table holds
/// it at the moment it was read: Get-NetTCPConnection's vocabulary, plus what ss -tanpio knows beyond it (timers,
/// queues, uid, inode and tcp_info). A snapshot: it does not change after it is written.
/// </summary>
/// <remarks>
/// Properties that the source could not give are null: tcp_info fields for TIME_WAIT and SYN_RECV sockets (the
/// kernel keeps no full socket for them) and whenever sock_diag is unavailable; owners when not asked for or not
/// readable; everything beyond endpoints and state on systems other than Linux. Durations are decimal seconds.
/// </remarks>
public sealed class TcpSocket
{
    // The entry as read, and the properties computed from it: 100,000 sockets cost one small object each, not
    // forty boxed-size fields (most are TIME_WAIT, without tcp_info).
    private readonly SocketEntry _entry;

    internal TcpSocket(in SocketEntry entry, AddressTextCache addresses, IReadOnlyList<int>? owners, string? processName, string? interfaceName, string source)
    {
        _entry = entry;
        LocalAddress = addresses.Get(entry.Local);
        RemoteAddress = addresses.Get(entry.Remote);
        Source = source;
        if (owners is { Count: > 0 })
        {
            OwningProcesses = owners;
            ProcessName = processName;
        }
        Interface = interfaceName;
    }

    /// <summary>4 or 6 (an IPv6 socket that talks IPv4 shows ::ffff:a.b.c.d addresses and 6, as ss shows it).</summary>
    public int IPVersion => _entry.Local.Version;

    /// <summary>The local address (0.0.0.0 or :: for a listener on every address).</summary>
    public string LocalAddress { get; }

    public ushort LocalPort => _entry.LocalPort;

    /// <summary>The peer's address (0.0.0.0 or :: for a listener).</summary>
    public string RemoteAddress { get; }

    /// <summary>The peer's port (0 for a listener).</summary>
    public ushort RemotePort => _entry.RemotePort;

    /// <summary>The local endpoint as people write it: 198.18.0.1:443, [fd00:198:18::1]:443.</summary>
    public string Local => EndPointText.Format(LocalAddress, LocalPort, IPVersion);

    /// <summary>The peer's endpoint as people write it (*:* style 0.0.0.0:0 for a listener).</summary>
    public string Remote => EndPointText.Format(RemoteAddress, RemotePort, IPVersion);

    /// <summary>The socket's state, in the values Get-TcpFlow uses (SYN_RECV request sockets are SynReceived).</summary>
    public TcpState State => _entry.State;

    /// <summary>The lowest PID among the processes that hold the socket (null: none, not asked, or not readable).</summary>
    public int? OwningProcess => OwningProcesses?[0];

    /// <summary>Every process that holds the socket (a listener shared by forked workers has several), lowest first.</summary>
    public IReadOnlyList<int>? OwningProcesses { get; }

    /// <summary>The name of <see cref="OwningProcess"/> as ps shows it (/proc/PID/comm).</summary>
    public string? ProcessName { get; }

    /// <summary>Recv-Q: bytes received and not yet read (on a listener: connections waiting for accept).</summary>
    public uint? ReceiveQueue => _entry.HasKernelFields ? _entry.ReceiveQueue : null;

    /// <summary>Send-Q: bytes sent and not yet acknowledged (on a listener: the accept backlog).</summary>
    public uint? SendQueue => _entry.HasKernelFields ? _entry.SendQueue : null;

    /// <summary>The owner's user id as the kernel records it (the socket's creator).</summary>
    public uint? Uid => _entry.HasKernelFields ? _entry.Uid : null;

    /// <summary>The socket's inode (null for TIME_WAIT and SYN_RECV sockets, which no process holds).</summary>
    public ulong? Inode => _entry.Inode == 0 ? null : _entry.Inode;

    /// <summary>The device the socket is bound to (SO_BINDTODEVICE), as ss shows %eth0; null when unbound.</summary>
    public string? Interface { get; }

    /// <summary>The kernel timer running on the socket.</summary>
    public TcpSocketTimer? Timer => _entry.HasKernelFields ? _entry.Timer : null;

    /// <summary>Seconds until <see cref="Timer"/> fires (a TIME_WAIT socket's remaining time); null without a timer.</summary>
    public decimal? TimerRemaining => _entry.HasTimerExpiry ? _entry.TimerExpiresMs / 1_000m : null;

    /// <summary>Retransmissions (or keepalive/zero-window probes) the timer has done so far (ss -o's third number).</summary>
    public byte? TimerRetransmits => _entry.HasKernelFields ? _entry.TimerRetransmits : null;

    /// <summary>Smoothed round-trip time in seconds (tcp_info; ss -i's rtt).</summary>
    public decimal? Rtt => Info?.RttUs / 1_000_000m;

    /// <summary>Round-trip time variance in seconds.</summary>
    public decimal? RttVariance => Info?.RttVarUs / 1_000_000m;

    /// <summary>The smallest round-trip time seen, in seconds.</summary>
    public decimal? MinRtt => Info?.MinRttUs is uint min && min != uint.MaxValue ? min / 1_000_000m : null;

    /// <summary>Retransmission timeout in seconds.</summary>
    public decimal? Rto => Info?.RtoUs / 1_000_000m;

    /// <summary>Send MSS in bytes.</summary>
    public uint? Mss => Info?.SendMss;

    /// <summary>The MSS the peer's segments are estimated to use.</summary>
    public uint? ReceiveMss => Info?.ReceiveMss;

    /// <summary>Path MTU in bytes.</summary>
    public uint? Pmtu => Info?.Pmtu;

    /// <summary>The peer's window scale shift (null without window scaling).</summary>
    public int? SendWindowScale => Info?.SendWindowScale;

    /// <summary>Our window scale shift (null without window scaling).</summary>
    public int? ReceiveWindowScale => Info?.ReceiveWindowScale;

    /// <summary>Congestion window in segments.</summary>
    public uint? CongestionWindow => _entry.Info?.SendCwnd;

    /// <summary>Slow start threshold in segments; null while still in initial slow start.</summary>
    public uint? SlowStartThreshold => Info?.SendSsthresh;

    /// <summary>The congestion control algorithm (cubic, bbr, …).</summary>
    public string? CongestionControl => _entry.CongestionControl;

    /// <summary>Segments sent and not yet acknowledged.</summary>
    public uint? Unacknowledged => Info?.Unacked;

    /// <summary>Segments the sender thinks were lost.</summary>
    public uint? Lost => Info?.Lost;

    /// <summary>Segments retransmitted over the connection's life (tcp_info total_retrans).</summary>
    public uint? Retransmissions => Info?.TotalRetrans;

    public ulong? BytesSent => Info?.BytesSent;

    public ulong? BytesAcked => Info?.BytesAcked;

    public ulong? BytesReceived => Info?.BytesReceived;

    public ulong? BytesRetransmitted => Info?.BytesRetransmitted;

    public uint? SegmentsOut => Info?.SegmentsOut;

    public uint? SegmentsIn => Info?.SegmentsIn;

    /// <summary>Bytes written by the application and not yet sent.</summary>
    public uint? NotSentBytes => Info?.NotSentBytes;

    /// <summary>The peer's advertised window in bytes (kernel 5.4 and later).</summary>
    public uint? SendWindow => Info?.SendWindow;

    /// <summary>The receive buffer space the kernel grants (tcp_info rcv_space).</summary>
    public uint? ReceiveSpace => Info?.ReceiveSpace;

    /// <summary>Delivery rate in bits per second (ss -i prints it as delivery_rate).</summary>
    public ulong? DeliveryRate => Info?.DeliveryRate * 8;

    /// <summary>Pacing rate in bits per second (null when unlimited).</summary>
    public ulong? PacingRate => Info?.PacingRate is ulong p && p != ulong.MaxValue ? p * 8 : null;

    /// <summary>Seconds since data was last sent.</summary>
    public decimal? LastSend => Info?.LastDataSentMs / 1_000m;

    /// <summary>Seconds since data was last received.</summary>
    public decimal? LastReceive => Info?.LastDataReceivedMs / 1_000m;

    /// <summary>Seconds since an acknowledgment was last received.</summary>
    public decimal? LastAckReceived => Info?.LastAckReceivedMs / 1_000m;

    /// <summary>Where the socket came from: sock_diag (netlink, as ss), /proc/net/tcp, or .NET (systems other than Linux).</summary>
    public string Source { get; }

    internal IPAddressValue LocalValue => _entry.Local;

    internal IPAddressValue RemoteValue => _entry.Remote;

    // A listener's tcp_info is zeros but for its congestion window (all ss shows of it): no round trip to tell.
    private TcpInfoValues? Info => _entry.State == TcpState.Listen ? null : _entry.Info;

    public override string ToString() => $"{Local} > {Remote} {State}";
}
