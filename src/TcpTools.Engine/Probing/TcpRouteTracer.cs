using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Probing;

/// <summary>How a TCP traceroute runs.</summary>
public sealed class TcpRouteOptions
{
    /// <summary>The largest TTL (hop limit) probed.</summary>
    public int MaxHops { get; init; } = 30;

    /// <summary>The first TTL probed (1: the first router).</summary>
    public int FirstHop { get; init; } = 1;

    /// <summary>Probes per hop, sent together.</summary>
    public int ProbesPerHop { get; init; } = 3;

    /// <summary>How long after the probes an answer still counts.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first of the source ports (one per probe); random when null.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>Send on this interface instead of the one the routing table picks.</summary>
    public string? Interface { get; init; }
}

/// <summary>One traced path: its hops in order, and whether the destination answered.</summary>
public sealed record TcpRouteTrace(IReadOnlyList<TcpRouteHop> Hops, bool Reached, int? SilentFrom);

/// <summary>
/// A TCP SYN traceroute, as `traceroute -T` and `hping3 --traceroute -S` do it: SYNs to the destination port with
/// TTL (IPv6 hop limit) 1, 2, … MaxHops, every probe of every hop sent at once, each from its own source port with
/// its own sequence number, so an answer names its probe: an ICMP time exceeded quoting it is the router at that hop,
/// a SYN-ACK or RST acknowledging it is the destination (then a RST ends the half-open connection), an ICMP
/// unreachable is the end of the path. A hop is written as soon as it and every hop before it are decided; silence
/// after the last hop that answered is where the path goes silent (a firewall dropping the probes, or routers that
/// send no ICMP).
/// </summary>
public sealed class TcpRouteTracer : IDisposable
{
    private readonly TcpRouteOptions _options;
    private readonly ushort _basePort;
    private readonly int _perHop;
    private readonly int _hops;
    private readonly ProbePaths _paths;
    private readonly byte[] _buffer = new byte[256];
    private readonly byte[] _synOptions;
    private readonly TcpSegmentSpec _spec;

    public TcpRouteTracer(TcpRouteOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.FirstHop < 1 || options.MaxHops < options.FirstHop || options.MaxHops > 255 || options.ProbesPerHop is < 1 or > 10 || options.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "FirstHop 1 to MaxHops, MaxHops at most 255, 1 to 10 probes per hop and a positive timeout.");
        }
        _perHop = options.ProbesPerHop;
        _hops = options.MaxHops - options.FirstHop + 1;
        int count = _hops * _perHop;
        _basePort = options.SourcePort is ushort p && p + count <= 65536 ? p : (ushort)Random.Shared.Next(33000, 60000 - count);
        _paths = new ProbePaths(options.Interface, $"(tcp dst portrange {_basePort}-{_basePort + count - 1}) or icmp or icmp6 or arp");
        _synOptions = PacketBuilder.SynOptions(1460, (uint)Environment.TickCount);
        _spec = new TcpSegmentSpec { Source = IPAddress.Any, Destination = IPAddress.Any };
    }

    /// <summary>The first source port; probe i of the trace uses this + i.</summary>
    public ushort SourcePort => _basePort;

    /// <summary>
    /// Traces the path to <paramref name="destination"/>:<paramref name="port"/>, calling <paramref name="onHop"/> for each
    /// hop in order as it is decided. Throws <see cref="NetworkUnreachableException"/> when there is no route or
    /// next hop, <see cref="CaptureDeviceException"/> when the interface cannot be opened.
    /// </summary>
    public TcpRouteTrace Trace(string target, IPAddress destination, ushort port, Action<TcpRouteHop> onHop, CancellationToken cancel)
    {
        var (channel, mac, source) = _paths.Resolved(destination);
        var sourceValue = IPAddressValue.FromIPAddress(source);
        var destinationValue = IPAddressValue.FromIPAddress(destination);
        int count = _hops * _perHop;
        var probes = new Probe[count];
        var clock = Stopwatch.StartNew();
        // Farthest hop first: the first send also pays for compiling the send path, and that probe's round trip
        // is the one least likely to be written (a hop beyond the destination).
        for (int i = count - 1; i >= 0; i--)
        {
            int ttl = _options.FirstHop + i / _perHop;
            // The clock before and after the send: the round trip counts from after it, unless the answer was
            // captured before the call returned (a veth's is).
            probes[i] = new Probe((uint)Random.Shared.NextInt64(0, 1L << 32)) { SentUnixNs = UnixNow() };
            Send(channel, mac, source, destination, port, (ushort)(_basePort + i), probes[i].Seq, TcpFlags.Syn, (byte)ttl);
            probes[i].SentAfterUnixNs = UnixNow();
        }
        long deadline = clock.ElapsedTicks + (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
        var written = new List<TcpRouteHop>();
        int end = -1; // index of the hop that ended the path (destination or unreachable), once known
        while (!cancel.IsCancellationRequested && clock.ElapsedTicks < deadline)
        {
            int waitMs = (int)Math.Clamp((deadline - clock.ElapsedTicks) * 1000 / Stopwatch.Frequency, 1, 20);
            if (channel.Capture.TryReadNextFrame(out CapturedFrame frame, out ReadOnlySpan<byte> data, waitMs))
            {
                int answered = Classify(channel, mac, source, frame, data, probes, sourceValue, destinationValue, destination, port);
                if (answered >= 0 && probes[answered].Ends && (end < 0 || answered / _perHop < end))
                {
                    end = answered / _perHop;
                }
            }
            // Write the hops that are decided, in order: every probe of the hop answered.
            while (written.Count < _hops && (end < 0 || written.Count <= end))
            {
                int h = written.Count;
                bool decided = Enumerable.Range(h * _perHop, _perHop).All(i => probes[i].Answered);
                if (!decided)
                {
                    break;
                }
                written.Add(Hop(target, destination, port, h, probes));
                onHop(written[^1]);
            }
            if (end >= 0 && written.Count > end)
            {
                break;
            }
        }
        // Deadline: the rest is decided by silence. Write up to the end of the path, or up to the last hop that
        // answered and one silent hop after it, which says where the path goes silent.
        int lastAnswered = -1;
        for (int h = 0; h < _hops; h++)
        {
            if (Enumerable.Range(h * _perHop, _perHop).Any(i => probes[i].Answered))
            {
                lastAnswered = h;
            }
        }
        int last = end >= 0 ? end : Math.Min(_hops - 1, lastAnswered + 1);
        while (!cancel.IsCancellationRequested && written.Count <= last)
        {
            written.Add(Hop(target, destination, port, written.Count, probes));
            onHop(written[^1]);
        }
        bool reached = end >= 0 && written.Count > end && written[end].IsDestination;
        int? silentFrom = end < 0 && lastAnswered < _hops - 1 ? _options.FirstHop + lastAnswered + 1 : null;
        return new TcpRouteTrace(written, reached, silentFrom);
    }

    public void Dispose() => _paths.Dispose();

    private TcpRouteHop Hop(string target, IPAddress destination, ushort port, int h, Probe[] probes)
    {
        var mine = probes.Skip(h * _perHop).Take(_perHop).ToArray();
        var answered = mine.Where(p => p.Answered).OrderBy(p => p.AnsweredUnixNs).ToArray();
        // The strongest answer names the hop: the destination's, then an unreachable, then time exceeded.
        var status = answered.Length == 0 ? TcpRouteHopStatus.NoReply
            : new[] { TcpRouteHopStatus.Open, TcpRouteHopStatus.Closed, TcpRouteHopStatus.Unreachable }.FirstOrDefault(s => answered.Any(p => p.Status == s), TcpRouteHopStatus.TimeExceeded);
        string reason = answered.FirstOrDefault(p => p.Status == status)?.Reason ?? "no-response";
        var responders = answered.Select(p => p.Responder!).Distinct().ToArray();
        var rtts = mine.Select(p => p.Answered
            ? TimeSpan.FromTicks(Math.Max(0, p.AnsweredUnixNs - (p.AnsweredUnixNs >= p.SentAfterUnixNs ? p.SentAfterUnixNs : p.SentUnixNs)) / 100)
            : (TimeSpan?)null).ToArray();
        return new TcpRouteHop(target, destination, port, _options.FirstHop + h, status, reason, responders, rtts, answered.FirstOrDefault()?.ReplyTtl);
    }

    private int Classify(ProbeChannel channel, byte[]? mac, IPAddress source, in CapturedFrame frame, ReadOnlySpan<byte> data, Probe[] probes,
        IPAddressValue sourceValue, IPAddressValue destinationValue, IPAddress destination, ushort port)
    {
        var status = PacketDecoder.TryDecode(frame.LinkType, data, frame.OriginalLength, out DecodedTcp tcp);
        if (status == DecodeStatus.Tcp)
        {
            int i = tcp.DestinationPort - _basePort;
            if (i < 0 || i >= probes.Length || tcp.SourcePort != port || !tcp.SourceAddress.Equals(destinationValue) || !tcp.DestinationAddress.Equals(sourceValue)
                || (tcp.Flags & TcpFlags.Ack) == 0 || tcp.AcknowledgmentNumber != probes[i].Seq + 1 || probes[i].Answered)
            {
                return -1;
            }
            bool synAck = (tcp.Flags & (TcpFlags.Syn | TcpFlags.Rst)) == TcpFlags.Syn;
            if (!synAck && (tcp.Flags & TcpFlags.Rst) == 0)
            {
                return -1;
            }
            probes[i].Answer(synAck ? TcpRouteHopStatus.Open : TcpRouteHopStatus.Closed, synAck ? "syn-ack" : "reset", destination, frame.UnixTimeNanoseconds, tcp.Ttl);
            if (synAck)
            {
                Send(channel, mac, source, destination, port, tcp.DestinationPort, probes[i].Seq + 1, TcpFlags.Rst, 64);
            }
            return i;
        }
        if (IcmpError.TryParse(frame.LinkType, data, out var icmp) && icmp.Reason != null && icmp.InnerDestinationPort == port
            && icmp.InnerDestination.Equals(destination) && icmp.InnerSource.Equals(source))
        {
            int i = icmp.InnerSourcePort - _basePort;
            if (i < 0 || i >= probes.Length || icmp.InnerSequence != probes[i].Seq || probes[i].Answered)
            {
                return -1;
            }
            bool exceeded = icmp.Reason.EndsWith("time-exceeded", StringComparison.Ordinal);
            probes[i].Answer(exceeded ? TcpRouteHopStatus.TimeExceeded : TcpRouteHopStatus.Unreachable, icmp.Reason, icmp.Sender, frame.UnixTimeNanoseconds, icmp.OuterTtl);
            return i;
        }
        return -1;
    }

    private void Send(ProbeChannel channel, byte[]? mac, IPAddress source, IPAddress destination, ushort port, ushort sourcePort, uint seq, TcpFlags flags, byte ttl)
    {
        var spec = _spec;
        spec.Source = source;
        spec.Destination = destination;
        spec.SourcePort = sourcePort;
        spec.DestinationPort = port;
        spec.SequenceNumber = seq;
        spec.Flags = flags;
        spec.Window = flags == TcpFlags.Syn ? (ushort)64240 : (ushort)0;
        spec.Options = flags == TcpFlags.Syn ? _synOptions : Array.Empty<byte>();
        spec.Ttl = ttl;
        channel.SendSegment(spec, mac, _buffer);
    }

    private static long UnixNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private sealed class Probe
    {
        public Probe(uint seq) => Seq = seq;

        public uint Seq { get; }

        public long SentUnixNs { get; set; }

        public long SentAfterUnixNs { get; set; }

        public bool Answered { get; private set; }

        public long AnsweredUnixNs { get; private set; }

        public TcpRouteHopStatus Status { get; private set; } = TcpRouteHopStatus.NoReply;

        public string? Reason { get; private set; }

        public IPAddress? Responder { get; private set; }

        public int ReplyTtl { get; private set; }

        /// <summary>The path ends at this probe's hop: the destination answered, or an unreachable came back.</summary>
        public bool Ends => Status is TcpRouteHopStatus.Open or TcpRouteHopStatus.Closed or TcpRouteHopStatus.Unreachable;

        public void Answer(TcpRouteHopStatus status, string reason, IPAddress responder, long unixNs, int ttl)
        {
            (Answered, Status, Reason, Responder, AnsweredUnixNs, ReplyTtl) = (true, status, reason, responder, unixNs, ttl);
        }
    }
}
