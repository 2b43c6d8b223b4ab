using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using TcpTools.Engine.Capture;
using TcpTools.Engine.Decoding;

namespace TcpTools.Engine.Tracking;

/// <summary>Why <see cref="TcpFlowPump"/> handed control back.</summary>
public enum TcpPumpResult
{
    /// <summary>The tracker has finished flows to take (<see cref="TcpFlowPump.TryTake"/>).</summary>
    Flows,

    /// <summary>Another <see cref="TcpFlowPump.ProgressInterval"/> segments of the file were read: time to report progress (flows may be waiting too).</summary>
    Progress,

    /// <summary>
    /// The first segment of a file began <see cref="TcpFlowPump.LastFileOverlapNs"/> before the end of the input before
    /// it (the same file twice, or captures of one time span at two points). The segment was tracked.
    /// </summary>
    FileOverlap,

    /// <summary>The source is over: the file ended, the live limits were reached, or the pump was cancelled.</summary>
    End,
}

/// <summary>
/// The one loop that feeds a <see cref="TcpTracker"/> from a capture source (capture files one after another, live
/// interfaces, decoded segments) and hands back the flows as they finish: read, Process, hand out. Every caller
/// (Get-TcpFlow, the tests, the benchmarks) tracks through it. The per-segment step allocates nothing.
/// <para>
/// Pump a source until it says <see cref="TcpPumpResult.End"/>, taking flows whenever it returns; then
/// <see cref="Complete"/> for the flows still open. Offline time is the packets' own; a live capture's clock also
/// runs between segments (timeouts and TIME_WAIT end on time while the wire is quiet) from the
/// <see cref="TimeProvider"/>. Cancellation is seen between segments and within a live read's wait.
/// </para>
/// </summary>
public sealed class TcpFlowPump
{
    /// <summary>Segments of a file between two <see cref="TcpPumpResult.Progress"/> results.</summary>
    public const int ProgressInterval = 4096;

    /// <summary>How far a file may begin before the end of the input before it without <see cref="TcpPumpResult.FileOverlap"/>: more than the jitter of timestamps taken on several CPUs.</summary>
    public const long FileOverlapToleranceNs = 1_000_000;

    /// <summary>How far a live capture's clock stays behind the wall clock between segments: libpcap may still hold segments that old (its read timeout is 100 ms).</summary>
    public static readonly TimeSpan LiveClockLag = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private object? _file;
    private long _clockBeforeFile = long.MinValue;
    private int _sinceProgress;
    private long _nextTick;

    public TcpFlowPump(TcpTrackerOptions? options = null, TimeProvider? time = null)
    {
        Tracker = new TcpTracker(options);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The tracker being fed (its statistics, its clock).</summary>
    public TcpTracker Tracker { get; }

    /// <summary>Segments fed through this pump.</summary>
    public long Segments { get; private set; }

    /// <summary>For <see cref="TcpPumpResult.FileOverlap"/>: how far (ns) the file began before the input before it ended.</summary>
    public long LastFileOverlapNs { get; private set; }

    /// <summary>Takes one finished flow, if the tracker has one.</summary>
    public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TcpConnectionState? flow) => Tracker.Output.TryDequeue(out flow);

    /// <summary>Reads <paramref name="reader"/> until there are flows to take, progress to report, an overlap to tell, or the file ends.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the per-segment loop: optimized at first call (see TcpTracker.Process)
    public TcpPumpResult Pump(CaptureFileSegmentReader reader, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var tracker = Tracker;
        if (!ReferenceEquals(reader, _file))
        {
            _file = reader;
            _clockBeforeFile = tracker.Statistics.Segments > 0 ? tracker.Clock : long.MinValue;
        }
        while (!cancellation.IsCancellationRequested && reader.TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data, out DecodedTcp tcp))
        {
            tracker.Process(frame.UnixTimeNanoseconds, tcp, data);
            Segments++;
            if (_clockBeforeFile != long.MinValue)
            {
                // The first segment of a file that is not the first.
                long overlap = _clockBeforeFile - frame.UnixTimeNanoseconds;
                _clockBeforeFile = long.MinValue;
                if (overlap > FileOverlapToleranceNs)
                {
                    LastFileOverlapNs = overlap;
                    return TcpPumpResult.FileOverlap;
                }
            }
            if (++_sinceProgress == ProgressInterval)
            {
                _sinceProgress = 0;
                return TcpPumpResult.Progress;
            }
            if (tracker.Output.Count > 0)
            {
                return TcpPumpResult.Flows;
            }
        }
        return TcpPumpResult.End;
    }

    /// <summary>
    /// Reads a live capture until there are flows to take or <paramref name="limits"/> or <paramref name="cancellation"/>
    /// end it. While nothing arrives, the tracker's clock follows the wall clock (<see cref="LiveClockLag"/> behind it),
    /// once a second, so connections time out and leave TIME_WAIT on time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TcpPumpResult Pump(LiveCapture capture, LiveLimits limits, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(limits);
        var tracker = Tracker;
        while (!cancellation.IsCancellationRequested && !limits.Done(Segments))
        {
            if (capture.TryReadNext(out CapturedFrame frame, out ReadOnlySpan<byte> data, out DecodedTcp tcp, limits.WaitMilliseconds))
            {
                tracker.Process(frame.UnixTimeNanoseconds, tcp, data);
                Segments++;
                if (tracker.Output.Count > 0)
                {
                    return TcpPumpResult.Flows;
                }
                continue;
            }
            if (Tick() && tracker.Output.Count > 0)
            {
                return TcpPumpResult.Flows;
            }
        }
        return TcpPumpResult.End;
    }

    /// <summary>
    /// Lets the live clock run without segments, at most once a second: true when it did. (Called by the live pump when
    /// a read found nothing; public for callers that feed live segments themselves.)
    /// </summary>
    public bool Tick()
    {
        long now = _time.GetTimestamp();
        if (now < _nextTick)
        {
            return false;
        }
        _nextTick = now + _time.TimestampFrequency;
        DateTimeOffset wall = _time.GetUtcNow() - LiveClockLag;
        Tracker.Advance((wall.UtcTicks - DateTime.UnixEpoch.Ticks) * 100);
        return true;
    }

    /// <summary>Feeds one decoded segment (from Get-TcpSegment or the pipeline); take the flows it finished with <see cref="TryTake"/>.</summary>
    public void Feed(TcpSegment segment)
    {
        Tracker.Process(segment);
        Segments++;
    }

    /// <summary>The end of the input: every flow still held becomes one to take, in the order of their first segments.</summary>
    public void Complete() => Tracker.Complete();

    /// <summary>
    /// Every flow of one capture file: those that finish as it is read, then (with <paramref name="complete"/>) those
    /// still open at its end. Stops early, without completing, when <paramref name="cancellation"/> is cancelled.
    /// </summary>
    public IEnumerable<TcpConnectionState> Track(string path, BpfFilter? filter = null, bool complete = true, CancellationToken cancellation = default)
    {
        using (var reader = CaptureFileSegmentReader.Open(path, filter))
        {
            while (Pump(reader, cancellation) != TcpPumpResult.End)
            {
                while (TryTake(out var flow))
                {
                    yield return flow;
                }
            }
        }
        if (complete && !cancellation.IsCancellationRequested)
        {
            Complete();
        }
        while (TryTake(out var flow))
        {
            yield return flow;
        }
    }

    /// <summary>Every flow of a sequence of segments, as they finish, then those still open at its end.</summary>
    public IEnumerable<TcpConnectionState> Track(IEnumerable<TcpSegment> segments, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(segments);
        foreach (var segment in segments)
        {
            if (cancellation.IsCancellationRequested)
            {
                yield break;
            }
            Feed(segment);
            while (TryTake(out var flow))
            {
                yield return flow;
            }
        }
        Complete();
        while (TryTake(out var flow))
        {
            yield return flow;
        }
    }
}
