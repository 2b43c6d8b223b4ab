using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Probing;

/// <summary>How a SYN scan runs.</summary>
public sealed class SynScanOptions
{
    /// <summary>
    /// The longest wait for an answer to a SYN before sending it again (or giving up). Once answers come, the wait
    /// adapts to the measured round trip (smoothed RTT + 4 × its variation, as RFC 6298 computes a TCP
    /// retransmission timeout), never below <see cref="MinTimeout"/> nor above this.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest adaptive wait (100 ms, as nmap's --min-rtt-timeout).</summary>
    public TimeSpan MinTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>SYNs sent again after a timeout before a port counts as Filtered.</summary>
    public int Retries { get; init; } = 1;

    /// <summary>Most SYNs (first sends and retransmissions) per second.</summary>
    public int Rate { get; init; } = 10_000;

    /// <summary>The source port of every probe; random (40000-59999) when null.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>Send on this interface instead of the one the routing table picks.</summary>
    public string? Interface { get; init; }
}

/// <summary>One port of one address to probe; <see cref="Target"/> is the text the user gave.</summary>
public sealed record ProbeRequest(string Target, IPAddress Address, ushort Port);

/// <summary>
/// A half-open SYN scan, as nmap -sS does it, in one thread: one event loop sends SYNs at the rate asked
/// (token bucket), retransmits those unanswered after the timeout, reads every answer from libpcap on the
/// interfaces used, and classifies each probe: SYN-ACK acknowledging our SYN → Open (then a RST tears the
/// half-open connection down), RST acknowledging it → Closed, an ICMP error that quotes our probe (addresses,
/// ports, sequence number) → Filtered with the reason and the sender, silence after the retries → Filtered.
/// Ethernet interfaces get frames injected with pcap (next hop MAC from the neighbour table or ARP/NDP);
/// loopback gets raw IP sockets, because a frame injected on lo is captured but never delivered.
/// </summary>
public sealed class SynScanner : IDisposable
{
    private const int CaptureWaitMs = 5;
    private readonly SynScanOptions _options;
    private readonly ushort _sourcePort;
    private readonly ProbePaths _paths;
    private readonly byte[] _buffer = new byte[256];
    private readonly byte[] _synOptions;
    private readonly TcpSegmentSpec _spec; // reused for every SYN and RST: nothing allocated per packet

    public SynScanner(SynScanOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Rate < 1 || options.Retries < 0 || options.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Rate must be at least 1, Retries at least 0 and Timeout positive.");
        }
        _sourcePort = options.SourcePort ?? (ushort)Random.Shared.Next(40000, 60000);
        // Only what can be an answer: TCP to our source port, ICMP errors, and ARP/NDP for the next hops.
        _paths = new ProbePaths(options.Interface, $"(tcp dst port {_sourcePort}) or icmp or icmp6 or arp");
        _synOptions = PacketBuilder.SynOptions(1460, (uint)Environment.TickCount);
        _spec = new TcpSegmentSpec { Source = IPAddress.Any, Destination = IPAddress.Any, SourcePort = _sourcePort };
    }

    public ushort SourcePort => _sourcePort;

    /// <summary>SYNs sent so far (first sends and retransmissions).</summary>
    public long SynsSent { get; private set; }

    /// <summary>
    /// Finds the route and next-hop MAC for <paramref name="address"/> and opens what sends and receives on it.
    /// Throws <see cref="NetworkUnreachableException"/> or <see cref="CaptureDeviceException"/> (PermissionDenied when not privileged).
    /// </summary>
    public void Prepare(IPAddress address) => _paths.For(address);

    /// <summary>
    /// Probes every request (each address already <see cref="Prepare"/>d), calling <paramref name="onResult"/> as each
    /// is decided, on this thread. Returns early, leaving the rest undecided, when <paramref name="cancel"/> fires.
    /// </summary>
    public void Run(IReadOnlyList<ProbeRequest> requests, Action<TcpProbeResult> onResult, CancellationToken cancel, Action<int, int>? progress = null)
    {
        var probes = new Dictionary<(IPAddressValue, ushort), Probe>(requests.Count);
        var pending = new Queue<Probe>();
        foreach (var r in requests)
        {
            var key = (IPAddressValue.FromIPAddress(r.Address), r.Port); // without an IPv6 scope id, as answers carry it
            if (!probes.ContainsKey(key))
            {
                var p = new Probe(r, (uint)Random.Shared.NextInt64(0, 1L << 32));
                probes[key] = p;
                pending.Enqueue(p);
            }
        }
        var timeouts = new PriorityQueue<(Probe Probe, int Attempt), long>();
        long maxTimeoutTicks = (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
        long minTimeoutTicks = Math.Min(maxTimeoutTicks, (long)(_options.MinTimeout.TotalSeconds * Stopwatch.Frequency));
        long timeoutTicks = maxTimeoutTicks; // until the first answer: the maximum
        double srtt = 0, rttvar = 0;
        var clock = Stopwatch.StartNew();
        long sentInBucket = 0;
        long burst = Math.Max(1, _options.Rate / 100);
        int decided = 0, total = probes.Count;
        long nextProgress = 0;

        void Decide(Probe p, TcpProbeStatus status, string reason, IPAddress? reasonAddress, TcpSegment? response, long answeredUnixNs)
        {
            if (p.Done)
            {
                return;
            }
            p.Done = true;
            decided++;
            if (p.Attempts == 1 && answeredUnixNs > 0)
            {
                // Karn: only unambiguous samples (answers to a SYN sent once). RFC 6298's smoothing.
                double sample = (double)Math.Max(0, answeredUnixNs - p.SentUnixNs) * Stopwatch.Frequency / 1e9;
                if (srtt == 0)
                {
                    srtt = sample;
                    rttvar = sample / 2;
                }
                else
                {
                    rttvar = 0.75 * rttvar + 0.25 * Math.Abs(srtt - sample);
                    srtt = 0.875 * srtt + 0.125 * sample;
                }
                timeoutTicks = Math.Clamp((long)(srtt + 4 * rttvar), minTimeoutTicks, maxTimeoutTicks);
            }
            // The round trip on the wire: from the SYN's send to the answer's capture timestamp (same clock).
            TimeSpan? rtt = answeredUnixNs > 0 ? TimeSpan.FromTicks(Math.Max(0, answeredUnixNs - p.SentUnixNs) / 100) : null;
            onResult(new TcpProbeResult(p.Request.Target, p.Request.Address, p.Request.Port, status, reason, reasonAddress, rtt, p.Attempts, _sourcePort, response));
        }

        while (decided < total && !cancel.IsCancellationRequested)
        {
            bool busy = false;

            // Answers first: what waits in the capture buffer must be read before any timeout is judged.
            foreach (var channel in _paths.Channels)
            {
                while (channel.Capture.TryReadNextFrame(out CapturedFrame frame, out ReadOnlySpan<byte> data, 0))
                {
                    busy = true;
                    Classify(channel, frame, data, probes, Decide);
                }
            }
            long now = clock.ElapsedTicks;
            long allowed = now * _options.Rate / Stopwatch.Frequency + 1 - sentInBucket;
            if (allowed > burst)
            {
                // Credit unused while reading does not pile up into a burst: at most 10 ms worth at once.
                sentInBucket += allowed - burst;
                allowed = burst;
            }

            // Then timeouts: a retransmission, or the verdict "no answer".
            while (timeouts.TryPeek(out var head, out long due) && due <= now)
            {
                var (probe, attempt) = head;
                if (probe.Done || attempt != probe.Attempts)
                {
                    timeouts.Dequeue();
                    continue;
                }
                if (probe.Attempts > _options.Retries)
                {
                    timeouts.Dequeue();
                    Decide(probe, TcpProbeStatus.Filtered, "no-response", null, null, 0);
                    continue;
                }
                if (allowed <= 0)
                {
                    break;
                }
                timeouts.Dequeue();
                Send(probe, now);
                timeouts.Enqueue((probe, probe.Attempts), now + timeoutTicks);
                allowed--;
                sentInBucket++;
                busy = true;
            }
            // New probes, as the rate allows.
            while (allowed > 0 && pending.Count > 0)
            {
                var probe = pending.Dequeue();
                Send(probe, now);
                timeouts.Enqueue((probe, probe.Attempts), now + timeoutTicks);
                allowed--;
                sentInBucket++;
                busy = true;
            }
            if (progress != null && now >= nextProgress)
            {
                nextProgress = now + Stopwatch.Frequency / 4;
                progress(decided, total);
            }
            if (!busy && decided < total)
            {
                // Sleep in the capture until an answer, the next send slot or the next timeout, whichever is first.
                long next = timeouts.TryPeek(out _, out long firstDue) ? firstDue : long.MaxValue;
                if (pending.Count > 0)
                {
                    next = Math.Min(next, (sentInBucket * Stopwatch.Frequency) / _options.Rate);
                }
                int waitMs = (int)Math.Clamp((next - clock.ElapsedTicks) * 1000 / Stopwatch.Frequency, 0, _paths.Channels.Count == 1 ? 50 : CaptureWaitMs);
                var first = _paths.Channels.First();
                if (waitMs > 0 && first.Capture.TryReadNextFrame(out CapturedFrame f, out ReadOnlySpan<byte> d, waitMs))
                {
                    Classify(first, f, d, probes, Decide);
                }
            }
        }
        progress?.Invoke(decided, total);
    }

    public void Dispose() => _paths.Dispose();

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // per packet
    private void Send(Probe probe, long now)
    {
        var (channel, mac, source) = _paths.For(probe.Request.Address);
        probe.Attempts++;
        probe.LastSent = now;
        probe.SentUnixNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        probe.Source = IPAddressValue.FromIPAddress(source);
        var spec = _spec;
        spec.Source = source;
        spec.Destination = probe.Request.Address;
        spec.DestinationPort = probe.Request.Port;
        spec.SequenceNumber = probe.Seq;
        spec.Flags = TcpFlags.Syn;
        spec.Window = 64240;
        spec.Options = _synOptions;
        channel.SendSegment(spec, mac, _buffer);
        SynsSent++;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // per packet
    private void Classify(ProbeChannel channel, in CapturedFrame frame, ReadOnlySpan<byte> data, Dictionary<(IPAddressValue, ushort), Probe> probes,
        Action<Probe, TcpProbeStatus, string, IPAddress?, TcpSegment?, long> decide)
    {
        var status = PacketDecoder.TryDecode(frame.LinkType, data, frame.OriginalLength, out DecodedTcp tcp);
        if (status == DecodeStatus.Tcp)
        {
            if (tcp.DestinationPort != _sourcePort || (tcp.Flags & (TcpFlags.Rst | TcpFlags.Syn)) == 0)
            {
                return;
            }
            if (!probes.TryGetValue((tcp.SourceAddress, tcp.SourcePort), out var probe) || probe.Done || !tcp.DestinationAddress.Equals(probe.Source))
            {
                return;
            }
            bool acksOurSyn = (tcp.Flags & TcpFlags.Ack) != 0 && tcp.AcknowledgmentNumber == probe.Seq + 1;
            if ((tcp.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == (TcpFlags.Syn | TcpFlags.Ack) && acksOurSyn)
            {
                var response = TcpSegment.Create(frame, data, tcp, null, channel.Name);
                decide(probe, TcpProbeStatus.Open, "syn-ack", null, response, frame.UnixTimeNanoseconds);
                TearDown(channel, probe);
            }
            else if ((tcp.Flags & TcpFlags.Rst) != 0 && acksOurSyn)
            {
                decide(probe, TcpProbeStatus.Closed, "reset", null, TcpSegment.Create(frame, data, tcp, null, channel.Name), frame.UnixTimeNanoseconds);
            }
            return;
        }
        if (IcmpError.TryParse(frame.LinkType, data, out var icmp) && icmp.InnerSourcePort == _sourcePort
            && probes.TryGetValue((IPAddressValue.FromIPAddress(icmp.InnerDestination), icmp.InnerDestinationPort), out var quoted) && !quoted.Done
            && icmp.InnerSequence == quoted.Seq && quoted.Attempts > 0 && IPAddressValue.FromIPAddress(icmp.InnerSource).Equals(quoted.Source) && icmp.Reason != null)
        {
            decide(quoted, TcpProbeStatus.Filtered, icmp.Reason, icmp.Sender, null, frame.UnixTimeNanoseconds);
        }
    }

    /// <summary>After a SYN-ACK: a RST with our next sequence number, so the target drops its half-open connection.</summary>
    private void TearDown(ProbeChannel channel, Probe probe)
    {
        var (_, mac, source) = _paths.For(probe.Request.Address);
        var spec = _spec;
        spec.Source = source;
        spec.Destination = probe.Request.Address;
        spec.DestinationPort = probe.Request.Port;
        spec.SequenceNumber = probe.Seq + 1;
        spec.Flags = TcpFlags.Rst;
        spec.Window = 0;
        spec.Options = Array.Empty<byte>();
        channel.SendSegment(spec, mac, _buffer);
    }

    private sealed class Probe
    {
        public Probe(ProbeRequest request, uint seq)
        {
            Request = request;
            Seq = seq;
        }

        public ProbeRequest Request { get; }
        public uint Seq { get; }
        public int Attempts { get; set; }
        public long LastSent { get; set; }
        public long SentUnixNs { get; set; }
        public bool Done { get; set; }
        public IPAddressValue Source { get; set; }
    }
}

/// <summary>An ICMP or ICMPv6 error that quotes a TCP segment: who sent it, why, and the quoted addresses, ports and sequence number.</summary>
internal readonly record struct IcmpError(IPAddress Sender, string? Reason, IPAddress InnerSource, IPAddress InnerDestination, ushort InnerSourcePort, ushort InnerDestinationPort, uint InnerSequence)
{
    public static bool TryParse(LinkType linkType, ReadOnlySpan<byte> frame, out IcmpError error)
    {
        error = default;
        if (!TryFindIP(linkType, frame, out int ip) || frame.Length < ip + 20)
        {
            return false;
        }
        var p = frame[ip..];
        int version = p[0] >> 4;
        if (version == 4)
        {
            int ihl = (p[0] & 0xF) * 4;
            if (p[9] != 1 || p.Length < ihl + 8 + 20 + 8)
            {
                return false;
            }
            var icmp = p[ihl..];
            string? reason = (icmp[0], icmp[1]) switch
            {
                (3, 0) => "icmp-net-unreachable",
                (3, 1) => "icmp-host-unreachable",
                (3, 2) => "icmp-protocol-unreachable",
                (3, 3) => "icmp-port-unreachable",
                (3, 9) => "icmp-net-prohibited",
                (3, 10) => "icmp-host-prohibited",
                (3, 13) => "icmp-admin-prohibited",
                (11, _) => "icmp-time-exceeded",
                _ => null,
            };
            var inner = icmp[8..];
            int innerIhl = (inner[0] & 0xF) * 4;
            if (inner[0] >> 4 != 4 || inner[9] != 6 || inner.Length < innerIhl + 8)
            {
                return false;
            }
            var tcp = inner[innerIhl..];
            error = new IcmpError(new IPAddress(p.Slice(12, 4)), reason, new IPAddress(inner.Slice(12, 4)), new IPAddress(inner.Slice(16, 4)),
                BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            return true;
        }
        if (version == 6 && p.Length >= 40 + 8 + 40 + 8)
        {
            // Skip extension headers (hop-by-hop, routing, destination options, fragment) up to ICMPv6.
            int next = p[6], offset = 40;
            while (next is 0 or 43 or 60 or 44 && p.Length >= offset + 8)
            {
                int length = next == 44 ? 8 : (p[offset + 1] + 1) * 8;
                next = p[offset];
                offset += length;
            }
            if (next != 58 || p.Length < offset + 8 + 40 + 8)
            {
                return false;
            }
            var icmp = p[offset..];
            string? reason = (icmp[0], icmp[1]) switch
            {
                (1, 0) => "icmp6-no-route",
                (1, 1) => "icmp6-admin-prohibited",
                (1, 2) => "icmp6-beyond-scope",
                (1, 3) => "icmp6-address-unreachable",
                (1, 4) => "icmp6-port-unreachable",
                (1, 5) => "icmp6-source-policy-failed",
                (1, 6) => "icmp6-reject-route",
                (3, _) => "icmp6-time-exceeded",
                _ => null,
            };
            if (reason is null)
            {
                return false;
            }
            var inner = icmp[8..];
            if (inner[0] >> 4 != 6 || inner[6] != 6)
            {
                return false;
            }
            var tcp = inner[40..];
            error = new IcmpError(new IPAddress(p.Slice(8, 16)), reason, new IPAddress(inner.Slice(8, 16)), new IPAddress(inner.Slice(24, 16)),
                BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            return true;
        }
        return false;
    }

    private static bool TryFindIP(LinkType linkType, ReadOnlySpan<byte> f, out int offset)
    {
        offset = 0;
        switch (linkType)
        {
            case LinkType.Ethernet:
                offset = 12;
                while (f.Length >= offset + 2 && BinaryPrimitives.ReadUInt16BigEndian(f[offset..]) is 0x8100 or 0x88A8)
                {
                    offset += 4;
                }
                if (f.Length < offset + 2 || BinaryPrimitives.ReadUInt16BigEndian(f[offset..]) is not (0x0800 or 0x86DD))
                {
                    return false;
                }
                offset += 2;
                return true;
            case LinkType.LinuxSll:
                offset = 16;
                return f.Length > 16;
            case LinkType.LinuxSll2:
                offset = 20;
                return f.Length > 20;
            case LinkType.Null:
            case LinkType.Loop:
                offset = 4;
                return f.Length > 4;
            case LinkType.Raw:
            case LinkType.RawBsd:
            case LinkType.RawOpenBsd:
            case LinkType.IPv4:
            case LinkType.IPv6:
                return f.Length > 0;
            default:
                return false;
        }
    }
}
