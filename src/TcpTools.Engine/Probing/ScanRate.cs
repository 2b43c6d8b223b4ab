using System;
using System.Diagnostics;

namespace TcpTools.Engine.Probing;

/// <summary>
/// How fast a scan sends: a token bucket whose rate is fixed (-Rate alone) or adaptive, the default. Adaptive
/// starts at 20,000 SYNs/s and doubles every 20 ms while nothing says packets are lost and the sender keeps up (a
/// TCP slow start over the scan), up to the cap; on a sign of loss it halves (never below the floor) and from then
/// on grows by a tenth per 20 ms (congestion avoidance). Signs of loss, as nmap's scan engine reads them: a probe
/// answered only after it was sent again (its first SYN or its answer was lost), libpcap dropping answers, the
/// kernel refusing to queue a frame. One halving per 100 ms at most, since one overload shows up as many late
/// answers at once.
/// </summary>
internal sealed class ScanRate
{
    private const double StartRate = 20_000;
    private static readonly long Epoch = Stopwatch.Frequency / 50;         // 20 ms
    private static readonly long LossHoldOff = Stopwatch.Frequency / 10;   // 100 ms

    private readonly double _cap;
    private readonly double _floor;
    private double _credit;
    private long _last;
    private long _epochStart;
    private long _sentInEpoch;
    private bool _lossInEpoch;
    private long _lastLoss = long.MinValue / 2;
    private bool _slowStart = true;

    public ScanRate(double cap, double floor, bool adaptive)
    {
        _cap = Math.Max(1, cap);
        _floor = Math.Clamp(floor, 1, _cap);
        Adaptive = adaptive;
        Current = adaptive ? Math.Clamp(StartRate, _floor, _cap) : _cap;
        Peak = Current;
        _credit = 1;
    }

    public bool Adaptive { get; }

    /// <summary>SYNs per second now.</summary>
    public double Current { get; private set; }

    /// <summary>The highest rate reached.</summary>
    public double Peak { get; private set; }

    /// <summary>Times the rate was halved.</summary>
    public int Backoffs { get; private set; }

    /// <summary>Signs of loss seen (each late answer, drop burst or refused send).</summary>
    public long LossSigns { get; private set; }

    /// <summary>How many sends the bucket allows now (at most 10 ms worth at once, so no burst builds up while reading).</summary>
    public long Allowed(long now)
    {
        _credit = Math.Min(_credit + (now - _last) * Current / Stopwatch.Frequency, Math.Max(1, Current / 100));
        _last = now;
        if (Adaptive && now - _epochStart >= Epoch)
        {
            EndEpoch(now);
        }
        return (long)_credit;
    }

    public void Spend()
    {
        _credit -= 1;
        _sentInEpoch++;
    }

    /// <summary>Stopwatch ticks until the bucket allows one more send.</summary>
    public long TicksToNext() => _credit >= 1 ? 0 : (long)((1 - _credit) * Stopwatch.Frequency / Current) + 1;

    /// <summary>A sign that packets were lost at the current rate.</summary>
    public void Loss(long now)
    {
        LossSigns++;
        _lossInEpoch = true;
        if (!Adaptive || now - _lastLoss < LossHoldOff)
        {
            return;
        }
        _lastLoss = now;
        _slowStart = false;
        Backoffs++;
        Current = Math.Max(_floor, Current / 2);
    }

    private void EndEpoch(long now)
    {
        double elapsed = (double)(now - _epochStart) / Stopwatch.Frequency;
        // Grow only when nothing was lost and the sender used at least half of what it was allowed: a rate the
        // scan does not reach (no more probes ready, or the sender's own limit) says nothing about the path.
        if (!_lossInEpoch && _sentInEpoch >= Current * elapsed / 2 && now - _lastLoss >= LossHoldOff)
        {
            Current = Math.Min(_cap, Current * (_slowStart ? 2 : 1.1));
            Peak = Math.Max(Peak, Current);
        }
        _epochStart = now;
        _sentInEpoch = 0;
        _lossInEpoch = false;
    }
}
