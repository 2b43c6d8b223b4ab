using System;

namespace TcpTools.Engine.Capture;

/// <summary>
/// When a live capture ends by itself: after <see cref="Count"/> segments or after a duration from now, whichever
/// comes first (zero: no limit of that kind). Time comes from a <see cref="TimeProvider"/>, so tests can run it.
/// </summary>
public sealed class LiveLimits
{
    /// <summary>The longest one read waits for a frame (ms): short enough to see Ctrl+C and the deadline in time.</summary>
    public const int MaxWaitMilliseconds = 100;

    private readonly TimeProvider _time;
    private readonly long _deadline;

    /// <summary>Limits starting now.</summary>
    public LiveLimits(long count, TimeSpan duration, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A capture duration must not be negative.");
        }
        _time = time ?? TimeProvider.System;
        Count = count;
        _deadline = duration > TimeSpan.Zero
            ? _time.GetTimestamp() + (long)Math.Min(duration.TotalSeconds * _time.TimestampFrequency, long.MaxValue / 2)
            : long.MaxValue;
    }

    /// <summary>No limit: the capture runs until it is cancelled.</summary>
    public static LiveLimits None { get; } = new(0, TimeSpan.Zero);

    /// <summary>Segments after which the capture ends (0: no limit).</summary>
    public long Count { get; }

    /// <summary>True when <paramref name="segments"/> reached the count or the time is over.</summary>
    public bool Done(long segments) => (Count > 0 && segments >= Count) || _time.GetTimestamp() >= _deadline;

    /// <summary>How long the next read may wait (ms): <see cref="MaxWaitMilliseconds"/>, or less when the deadline is nearer.</summary>
    public int WaitMilliseconds
    {
        get
        {
            long left = _deadline - _time.GetTimestamp();
            long max = _time.TimestampFrequency * MaxWaitMilliseconds / 1000;
            return left >= max ? MaxWaitMilliseconds : (int)Math.Max(0, left * 1000 / _time.TimestampFrequency);
        }
    }
}
