using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
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

    /// <summary>
    /// Retries added once the scan has seen signs of loss (adaptive rate only), so a port whose SYN was lost twice
    /// in an overload is not called Filtered: nmap raises its retry count the same way. Where answers show a loss
    /// rate L (answers that came only after a retransmission, of all answers), more are added, up to 10 retries in
    /// all (nmap's default most): enough that a port answering at all is lost with a chance below one in a million
    /// (L^attempts), 6 attempts at one loss in ten. 0 adds none.
    /// </summary>
    public int RetriesOnLoss { get; init; } = 2;

    /// <summary>The most retries the loss rate may raise a scan to (nmap's --max-retries default).</summary>
    internal const int MaxRetriesOnLoss = 10;

    /// <summary>Most SYNs (first sends and retransmissions) per second: the rate when fixed, the cap when adaptive.</summary>
    public int Rate { get; init; } = DefaultMaxRate;

    /// <summary>The least SYNs per second an adaptive scan backs off to.</summary>
    public int MinRate { get; init; } = 100;

    /// <summary>Find the rate the path carries (the default), or send at <see cref="Rate"/> throughout.</summary>
    public bool AdaptiveRate { get; init; } = true;

    /// <summary>The source port of every probe; random (40000-59999) when null.</summary>
    public ushort? SourcePort { get; init; }

    /// <summary>Send on this interface instead of the one the routing table picks.</summary>
    public string? Interface { get; init; }

    /// <summary>
    /// The outcomes written as <see cref="TcpProbeResult"/> objects (null: all); the others are only counted
    /// (<see cref="ProbeOutcome"/>), so a full-port scan that lists its open ports builds no object for 65,000 closed ones.
    /// </summary>
    public IReadOnlyList<TcpProbeStatus>? Report { get; init; }

    /// <summary>The key of the order pairs are visited in; random when null.</summary>
    public ulong? Seed { get; init; }

    /// <summary>The adaptive rate's cap when none is given: 1,000,000 SYNs/s, about a gigabit of SYNs.</summary>
    public const int DefaultMaxRate = 1_000_000;
}

/// <summary>What a scan did, for -Verbose and the benchmarks.</summary>
public sealed record SynScanSummary(long SynsSent, long Decided, long Unreachable, double PeakRate, double FinalRate, int Backoffs, long LossSigns, long CaptureDrops, int NextHops, TimeSpan Elapsed,
    IReadOnlyList<ScanWarning> Warnings)
{
    /// <summary>Retries a silent probe got by the end (raised from the options' by the loss the scan saw).</summary>
    public int Retries { get; init; }
}

/// <summary>One port of one address to probe; <see cref="Target"/> is the text the user gave.</summary>
public readonly record struct ProbeRequest(string Target, IPAddress Address, ushort Port);

/// <summary>A decided probe whose outcome is not reported as an object (see <see cref="SynScanOptions.Report"/>).</summary>
public readonly record struct ProbeOutcome(string Target, IPAddress Address, ushort Port, TcpProbeStatus Status);

/// <summary>
/// A half-open SYN scan, as nmap -sS does it, in one thread: one event loop takes address × port pairs from a
/// <see cref="ScanPlan"/> in its random order, sends SYNs as the rate allows (<see cref="ScanRate"/>: adaptive by
/// default), retransmits those unanswered after the timeout, reads every answer from libpcap on the interfaces
/// used, and classifies each probe: SYN-ACK acknowledging our SYN → Open (then a RST tears the half-open connection
/// down), RST acknowledging it → Closed, an ICMP error that quotes our probe (addresses, ports, sequence number) →
/// Filtered with the reason and the sender, silence after the retries → Filtered. Only the probes in flight are held
/// (reused once decided), so memory follows the rate, not the size of the plan.
/// Ethernet interfaces get frames injected with pcap; next-hop MACs come from the neighbour table or from ARP/NDP
/// asked without blocking (probes to a next hop wait for its answer; a next hop that never answers is reported once
/// and its probes are not sent). Loopback gets raw IP sockets, because a frame injected on lo is captured but never
/// delivered.
/// </summary>
public sealed class SynScanner : IDisposable
{
    private const int CaptureWaitMs = 5;
    private const int NeighborAttempts = 3;
    private readonly SynScanOptions _options;
    private readonly ushort _sourcePort;
    private readonly ProbePaths _paths;
    private readonly ProbeSender _sender;
    /// <summary>
    /// The most probes held at once (sent and not decided, or waiting for their next hop): about 200 bytes each, so
    /// ~50 MB at most. Only targets that do not answer fill it (at 1,000,000 SYNs/s and a 1 s timeout, silence holds
    /// 2 million); then new pairs wait for decisions, and the rate cannot grow meanwhile.
    /// </summary>
    internal const int MaxInFlight = 1 << 18;

    private readonly Dictionary<(IPAddressValue, ushort), ScanProbe> _inFlight = new();
    private readonly Stack<ScanProbe> _free = new();
    private readonly PriorityQueue<(ScanProbe Probe, long Id, int Attempt), long> _timeouts = new();
    private readonly PriorityQueue<(ProbePath Path, int Attempt), long> _neighborTimeouts = new();
    private readonly Queue<ScanProbe> _ready = new();
    private long _nextId;
    private ScanPlan? _plan;
    private ScanSanity _sanity = new();
    private readonly bool[] _report = { true, true, true };

    public SynScanner(SynScanOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Rate < 1 || options.Retries < 0 || options.Timeout <= TimeSpan.Zero || options.MinRate < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Rate and MinRate must be at least 1, Retries at least 0 and Timeout positive.");
        }
        _sourcePort = options.SourcePort ?? (ushort)Random.Shared.Next(40000, 60000);
        // Only what can be an answer: TCP to our source port, ICMP errors, and ARP/NDP for the next hops.
        _paths = new ProbePaths(options.Interface, $"(tcp dst port {_sourcePort}) or icmp or icmp6 or arp");
        _sender = new ProbeSender(_sourcePort, PacketBuilder.SynOptions(1460, (uint)Environment.TickCount));
        if (options.Report is { } report)
        {
            _report = new bool[3];
            foreach (var status in report)
            {
                _report[(int)status] = true;
            }
        }
    }

    public ushort SourcePort => _sourcePort;

    /// <summary>SYNs sent so far (first sends and retransmissions).</summary>
    public long SynsSent => _sender.Sent;

    /// <summary>
    /// Finds the route (and the next-hop MAC, waiting for it up to 3 s) for <paramref name="address"/> and opens what
    /// sends and receives on it, before <see cref="Run"/>, so set-up costs and faults show before the scan. Throws
    /// <see cref="NetworkUnreachableException"/> or <see cref="CaptureDeviceException"/> (PermissionDenied when not privileged).
    /// </summary>
    public void Prepare(IPAddress address) => _paths.Resolved(address);

    /// <summary>
    /// Probes every pair of <paramref name="plan"/>, calling <paramref name="onResult"/> as each is decided and
    /// <paramref name="onUnreachable"/> once per next hop that cannot be reached (no route, no ARP/NDP answer: the
    /// probes behind it are counted as decided without a result), on this thread. Returns early, leaving the rest
    /// undecided, when <paramref name="cancel"/> fires.
    /// </summary>
    public SynScanSummary Run(ScanPlan plan, Action<TcpProbeResult> onResult, Action<ProbeRequest, IPAddress, string> onUnreachable, CancellationToken cancel,
        Action<long, long>? progress = null, Action<ProbeOutcome>? onUnreported = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _sanity = new ScanSanity();
        using var requests = plan.Requests(_options.Seed ?? (ulong)Random.Shared.NextInt64()).GetEnumerator();
        long total = (long)plan.Count, decided = 0, unreachable = 0;
        bool more = true;
        long maxTimeoutTicks = (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
        long minTimeoutTicks = Math.Min(maxTimeoutTicks, (long)(_options.MinTimeout.TotalSeconds * Stopwatch.Frequency));
        long timeoutTicks = maxTimeoutTicks; // until the first answer: the maximum
        long neighborWait = Math.Clamp(maxTimeoutTicks / 2, Stopwatch.Frequency / 10, Stopwatch.Frequency);
        double srtt = 0, rttvar = 0;
        var rate = new ScanRate(_options.Rate, _options.MinRate, _options.AdaptiveRate) { GiveUpAfter = timeoutTicks };
        var clock = Stopwatch.StartNew();
        long nextProgress = 0, nextDropCheck = 0, drops = CaptureDrops(), dropsAtStart = drops, sendFailures = 0;

        long answers = 0, answersLate = 0;
        int retryLimit = _options.Retries; // raised by CountAnswer as loss shows
        void CountAnswer(bool late)
        {
            answers++;
            if (late)
            {
                answersLate++;
            }
            if (!rate.Adaptive || _options.RetriesOnLoss == 0 || answersLate == 0 || (answers & 63) != 0 && !late)
            {
                return;
            }
            retryLimit = _options.Retries + _options.RetriesOnLoss;
            if (answers >= 200)
            {
                // Attempts so that a port that answers is lost with a chance below 1e-6: L^attempts < 1e-6.
                double loss = Math.Clamp((double)answersLate / answers, 1e-3, 0.9);
                int attempts = (int)Math.Ceiling(Math.Log(1e-6) / Math.Log(loss));
                retryLimit = Math.Max(retryLimit, Math.Min(Math.Max(_options.Retries, SynScanOptions.MaxRetriesOnLoss), attempts - 1));
            }
        }

        void Decide(ScanProbe p, TcpProbeStatus status, string reason, IPAddress? reasonAddress, TcpSegment? response, long answeredUnixNs, int ttl, int window)
        {
            _inFlight.Remove((p.AddressValue, p.Port));
            decided++;
            bool answered = answeredUnixNs > 0;
            if (p.Attempts > 0)
            {
                rate.Decided(p.Cohort, answered);
            }
            if (answered)
            {
                CountAnswer(late: p.Attempts > 1);
            }
            if (answered && p.Attempts > 1)
            {
                rate.LateAnswer(p.Cohort, clock.ElapsedTicks); // answered only after a retransmission: the first SYN or its answer was lost
            }
            else if (answered)
            {
                rate.Answered(p.Cohort);
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
                rate.MatureAfter = Math.Clamp((long)(2 * (srtt + 4 * rttvar)), Stopwatch.Frequency / 500, timeoutTicks); // a cohort's answers are in
                rate.GiveUpAfter = timeoutTicks;
            }
            // The round trip on the wire: from the SYN's send to the answer's capture timestamp (same clock).
            TimeSpan? rtt = answeredUnixNs > 0 ? TimeSpan.FromTicks(Math.Max(0, answeredUnixNs - p.SentUnixNs) / 100) : null;
            if (!_report[(int)status])
            {
                _sanity.Add(p.AddressValue, p.Address, p.Port, status, ttl, window, null);
                var outcome = new ProbeOutcome(p.Target, p.Address, p.Port, status);
                Release(p);
                onUnreported?.Invoke(outcome);
                return;
            }
            var result = new TcpProbeResult(p.Target, p.Address, p.Port, status, reason, reasonAddress, rtt, p.Attempts, _sourcePort, response);
            var key = p.AddressValue;
            Release(p);
            _sanity.Add(key, result.IPAddress, result.Port, status, ttl, window, result);
            onResult(result);
        }

        Action<ScanProbe, TcpProbeStatus, string, IPAddress?, TcpSegment?, long, int, int> decide = Decide; // one delegate, not one per frame

        void HopDown(ProbePath path, ProbeRequest first)
        {
            unreachable++;
            onUnreachable(first, path.Hop, path.DownReason ?? "unreachable");
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
                    Classify(channel, frame, data, decide);
                }
            }
            long now = clock.ElapsedTicks;
            if (now >= nextDropCheck)
            {
                // libpcap's drop counter: answers the kernel had no room for are losses the scan would read as silence.
                nextDropCheck = now + Stopwatch.Frequency / 50;
                long d = CaptureDrops(), f = _sender.Failures;
                if (d > drops || f > sendFailures)
                {
                    rate.Loss(now); // answers dropped, or sends refused (ENOBUFS): the queue to the NIC is full
                    (drops, sendFailures) = (d, f);
                }
            }
            long allowed = rate.Allowed(now);

            // Next hops that did not answer: ask again, or give them up with every probe waiting for them.
            while (_neighborTimeouts.TryPeek(out var nh, out long nhDue) && nhDue <= now)
            {
                _neighborTimeouts.Dequeue();
                var (path, attempt) = nh;
                if (path.State != NeighborState.Resolving || attempt != path.Attempts)
                {
                    continue;
                }
                if (path.Attempts < NeighborAttempts)
                {
                    _paths.SendNeighborRequest(path);
                    _neighborTimeouts.Enqueue((path, path.Attempts), now + neighborWait);
                    continue;
                }
                path.State = NeighborState.Down;
                path.DownReason = $"{path.Hop} did not answer {(path.Hop.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "ARP" : "neighbour solicitation")} on '{path.Channel!.Name}': the host is down or not on that link.";
                var waiting = path.Waiting!;
                HopDown(path, new ProbeRequest(waiting[0].Target, waiting[0].Address, waiting[0].Port));
                foreach (var p in waiting)
                {
                    _inFlight.Remove((p.AddressValue, p.Port));
                    decided++;
                    Release(p);
                }
                path.Waiting = null;
                path.Attempts = -1; // reported
            }

            // Then timeouts: a retransmission, or the verdict "no answer".
            while (_timeouts.TryPeek(out var head, out long due) && due <= now)
            {
                var (probe, id, attempt) = head;
                if (probe.Id != id || attempt != probe.Attempts)
                {
                    _timeouts.Dequeue();
                    continue;
                }
                if (probe.Attempts > retryLimit)
                {
                    _timeouts.Dequeue();
                    Decide(probe, TcpProbeStatus.Filtered, "no-response", null, null, 0, -1, -1);
                    continue;
                }
                if (allowed <= 0 || _sender.Free <= 1)
                {
                    break;
                }
                _timeouts.Dequeue();
                Send(probe, rate);
                allowed--;
                _timeouts.Enqueue((probe, probe.Id, probe.Attempts), now + timeoutTicks);
                busy = true;
            }
            // New probes, as the rate allows: first those whose next hop just answered, then the plan's next pairs.
            while (allowed > 0 && _sender.Free > 1 && (_ready.Count > 0 || (more && _inFlight.Count < MaxInFlight)))
            {
                ScanProbe probe;
                if (_ready.Count > 0)
                {
                    probe = _ready.Dequeue();
                }
                else
                {
                    if (!(more = requests.MoveNext()))
                    {
                        break;
                    }
                    var request = requests.Current;
                    var path = _paths.For(request.Address);
                    if (path.State == NeighborState.Down)
                    {
                        if (path.Waiting is null && path.Attempts >= 0)
                        {
                            HopDown(path, request);
                            path.Attempts = -1; // reported
                        }
                        decided++;
                        continue;
                    }
                    probe = Rent(request, path);
                    if (path.State != NeighborState.Ready)
                    {
                        (path.Waiting ??= new List<ScanProbe>()).Add(probe);
                        if (path.State == NeighborState.Unknown)
                        {
                            _paths.SendNeighborRequest(path);
                            _neighborTimeouts.Enqueue((path, path.Attempts), now + neighborWait);
                            rate.Spend();
                            allowed--;
                        }
                        continue;
                    }
                }
                Send(probe, rate);
                allowed--;
                _timeouts.Enqueue((probe, probe.Id, probe.Attempts), now + timeoutTicks);
                busy = true;
            }
            _sender.Flush();
            if (progress != null && now >= nextProgress)
            {
                nextProgress = now + Stopwatch.Frequency / 4;
                progress(decided, total);
            }
            if (!busy && decided < total)
            {
                // Sleep in the capture until an answer, the next send slot or the next timeout, whichever is first.
                long next = _timeouts.TryPeek(out _, out long firstDue) ? firstDue : long.MaxValue;
                if (_neighborTimeouts.TryPeek(out _, out long nhFirst))
                {
                    next = Math.Min(next, nhFirst);
                }
                if (_ready.Count > 0 || (more && _inFlight.Count < MaxInFlight))
                {
                    next = Math.Min(next, now + rate.TicksToNext());
                }
                int waitMs = (int)Math.Clamp((next - clock.ElapsedTicks) * 1000 / Stopwatch.Frequency, 0, _paths.Channels.Count == 1 ? 50 : CaptureWaitMs);
                if (waitMs > 0 && _paths.Channels.Count > 0)
                {
                    foreach (var first in _paths.Channels)
                    {
                        if (first.Capture.TryReadNextFrame(out CapturedFrame f, out ReadOnlySpan<byte> d, waitMs))
                        {
                            Classify(first, f, d, decide);
                        }
                        break;
                    }
                }
                else if (waitMs > 0)
                {
                    Thread.Sleep(waitMs);
                }
            }
        }
        progress?.Invoke(decided, total);
        for (int i = 0; i < 1000 && _sender.Free < 2048; i++)
        {
            _sender.Flush();
            Thread.Sleep(1); // the last teardown RSTs
        }
        _sanity.Finish();
        return new SynScanSummary(SynsSent, decided, unreachable, rate.Peak, rate.Current, rate.Backoffs, rate.LossSigns, CaptureDrops() - dropsAtStart, _paths.HopCount, clock.Elapsed,
            _sanity.Warnings) { Retries = retryLimit };
    }

    public void Dispose()
    {
        _sender.Dispose();
        _paths.Dispose();
    }

    private ScanProbe Rent(ProbeRequest request, ProbePath path)
    {
        var p = _free.Count > 0 ? _free.Pop() : new ScanProbe();
        p.Id = ++_nextId;
        p.Target = request.Target;
        p.Address = request.Address;
        p.AddressValue = IPAddressValue.FromIPAddress(request.Address); // without an IPv6 scope id, as answers carry it
        p.Port = request.Port;
        p.Seq = (uint)Random.Shared.NextInt64(0, 1L << 32);
        p.Attempts = 0;
        p.Path = path;
        _inFlight[(p.AddressValue, p.Port)] = p;
        return p;
    }

    private void Release(ScanProbe p)
    {
        p.Id = 0; // stale timeouts no longer match
        p.Path = null!;
        p.Address = IPAddress.None;
        _free.Push(p);
    }

    private long CaptureDrops()
    {
        long sum = 0;
        foreach (var c in _paths.Channels)
        {
            if (c.Loopback)
            {
                continue;
            }
            foreach (var s in c.Capture.GetStatistics())
            {
                sum += Math.Max(0, s.Dropped);
            }
        }
        return sum;
    }

    /// <summary>Queues the probe's SYN for the sending thread (the caller made sure there is room).</summary>
    private void Send(ScanProbe probe, ScanRate rate)
    {
        probe.Attempts++;
        probe.SentUnixNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100; // the sender sets it again as it sends
        _sender.TryQueue(probe, reset: false);
        if (probe.Attempts == 1)
        {
            probe.Cohort = rate.Cohort;
        }
        rate.Spend(first: probe.Attempts == 1);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // per packet
    private void Classify(ProbeChannel channel, in CapturedFrame frame, ReadOnlySpan<byte> data, Action<ScanProbe, TcpProbeStatus, string, IPAddress?, TcpSegment?, long, int, int> decide)
    {
        var status = PacketDecoder.TryDecode(frame.LinkType, data, frame.OriginalLength, out DecodedTcp tcp);
        if (status == DecodeStatus.Tcp)
        {
            if (tcp.DestinationPort != _sourcePort || (tcp.Flags & (TcpFlags.Rst | TcpFlags.Syn)) == 0)
            {
                return;
            }
            if (!_inFlight.TryGetValue((tcp.SourceAddress, tcp.SourcePort), out var probe) || probe.Attempts == 0 || !tcp.DestinationAddress.Equals(probe.Path.SourceValue))
            {
                if (probe is null && (tcp.Flags & TcpFlags.Ack) != 0 && _plan is { } plan && !plan.ContainsAddress(tcp.SourceAddress))
                {
                    _sanity.Stray(tcp.SourceAddress.ToIPAddress());
                }
                return;
            }
            bool acksOurSyn = (tcp.Flags & TcpFlags.Ack) != 0 && tcp.AcknowledgmentNumber == probe.Seq + 1;
            if ((tcp.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == (TcpFlags.Syn | TcpFlags.Ack) && acksOurSyn)
            {
                var response = _report[(int)TcpProbeStatus.Open] ? TcpSegment.Create(frame, data, tcp, null, channel.Name) : null;
                TearDown(probe);
                decide(probe, TcpProbeStatus.Open, "syn-ack", null, response, frame.UnixTimeNanoseconds, tcp.Ttl, tcp.Window);
            }
            else if ((tcp.Flags & TcpFlags.Rst) != 0 && acksOurSyn)
            {
                var response = _report[(int)TcpProbeStatus.Closed] ? TcpSegment.Create(frame, data, tcp, null, channel.Name) : null;
                decide(probe, TcpProbeStatus.Closed, "reset", null, response, frame.UnixTimeNanoseconds, tcp.Ttl, tcp.Window);
            }
            return;
        }
        if (frame.LinkType == LinkType.Ethernet && _paths.TryTakeNeighborReply(data) is { } ready)
        {
            foreach (var p in ready.Waiting ?? (IEnumerable<ScanProbe>)Array.Empty<ScanProbe>())
            {
                _ready.Enqueue(p);
            }
            ready.Waiting = null;
            return;
        }
        if (IcmpError.TryParse(frame.LinkType, data, out var icmp) && icmp.InnerSourcePort == _sourcePort
            && _inFlight.TryGetValue((IPAddressValue.FromIPAddress(icmp.InnerDestination), icmp.InnerDestinationPort), out var quoted)
            && icmp.InnerSequence == quoted.Seq && quoted.Attempts > 0 && IPAddressValue.FromIPAddress(icmp.InnerSource).Equals(quoted.Path.SourceValue) && icmp.Reason != null)
        {
            decide(quoted, TcpProbeStatus.Filtered, icmp.Reason, icmp.Sender, null, frame.UnixTimeNanoseconds, -1, -1);
        }
    }

    /// <summary>After a SYN-ACK: a RST with our next sequence number, so the target drops its half-open connection.</summary>
    private void TearDown(ScanProbe probe)
    {
        while (!_sender.TryQueue(probe, reset: true))
        {
            _sender.Flush();
            Thread.Yield();
        }
    }
}
