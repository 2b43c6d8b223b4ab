using System;
using System.Diagnostics;

namespace TcpTools.Engine.Probing;

/// <summary>
/// How fast a scan sends: a token bucket whose rate is fixed (-Rate alone) or adaptive, the default.
/// <para>
/// Adaptive reads the path through cohorts: the first SYNs of each 10 ms (at least 64 of them, unless that takes
/// 250 ms) are one cohort. Once a later cohort has been answered (answers come about in order) and a few smoothed
/// round trips have passed, the share of the cohort that answered at the first SYN is compared with the share the
/// host answers at all (whole earlier cohorts, retransmissions included: the host's mix of open, closed and silent
/// ports, the same in every cohort since pairs are visited in random order). A cohort that answered clearly short was
/// sent faster than the path carries: the rate drops at once to 90 % of what that cohort got through (its send rate ×
/// answered / expected; at most to a quarter per cut), one cut for a whole overload. If the first cohort sent after
/// such a cut still loses as much, slowing down did not help: the loss is the path's own (a lossy link), the cut is
/// taken back and that loss expected from then on. Before whole cohorts are known, or where the host answers too
/// little to judge a cohort, a probe answered only after a retransmission and first sent after the last cut halves
/// the rate; so do libpcap dropping answers and the kernel refusing frames (once per 100 ms).
/// </para>
/// <para>
/// Growth is earned: it starts at 20,000 SYNs/s and doubles (slow start) or, after the first cut, grows by 2 %, each
/// time a cohort sent wholly at the current rate is judged without loss (or, where the host answers too little to
/// judge a cohort, every cohort), and only while the sender uses what it is allowed; a tenth above the rate of the
/// last cut it slows to 0.5 %; never above the cap nor below the floor.
/// </para>
/// </summary>
internal sealed class ScanRate
{
    private const double StartRate = 20_000;
    private const int Ring = 128;             // cohorts kept: 128 × 10 ms, more than the longest wait for answers
    private const double MinExpected = 20;    // answers a cohort must be expected to give before it is judged
    private const int CohortSize = 64;        // first SYNs a cohort needs before it closes (unless it grows old)
    private const int MinJudged = 32;         // first SYNs a cohort needs to say anything (an old, short one says nothing)
    private static readonly long Epoch = Stopwatch.Frequency / 100;        // 10 ms: the shortest cohort
    private static readonly long LongestCohort = Stopwatch.Frequency / 4;  // 250 ms
    private static readonly long LossHoldOff = Stopwatch.Frequency / 10;   // 100 ms
    private static readonly long MaxWait = Stopwatch.Frequency;            // 1 s

    private readonly double _cap;
    private readonly double _floor;
    private readonly long[] _id = new long[Ring];
    private readonly int[] _first = new int[Ring];     // first SYNs sent in the cohort
    private readonly int[] _answered = new int[Ring];  // of those, answered before any retransmission
    private readonly int[] _sends = new int[Ring];     // every send in the cohort's time (retransmissions too)
    private readonly int[] _decided = new int[Ring];   // of the first SYNs, probes decided
    private readonly int[] _eventually = new int[Ring]; // of those, answered at any attempt
    private readonly long[] _start = new long[Ring];
    private readonly long[] _end = new long[Ring];
    private readonly double[] _rateOf = new double[Ring];
    private double _credit;
    private long _last;
    private long _cohort;          // the cohort being sent now
    private long _judged;          // the oldest cohort not judged yet
    private long _newestAnswered = -1; // answers arrive about in order: once a later cohort's come, an earlier one's are in
    private long _cutAt = -1;      // cohorts up to this one were sent before the last cut
    private long _lastLoss = long.MinValue / 2;
    private double _expected = -1; // answered share of a cohort without loss; -1 until one is judged
    private double _ceiling = double.MaxValue; // above the rate the last cut went to (+10 %), growth is slow
    private double _final = -1;    // share of a whole cohort answered at any attempt: what the host answers; -1 until known
    private double _steadyLoss;    // loss the path shows at any rate (taken as given, not as overload)
    private double _cutLoss = -1;  // the loss of the cohort behind the last cut, until a later cohort is judged
    private double _rateBeforeCut; // the rate before that cut, to take it back
    private bool _slowStart = true;

    public ScanRate(double cap, double floor, bool adaptive)
    {
        _cap = Math.Max(1, cap);
        _floor = Math.Clamp(floor, 1, _cap);
        Adaptive = adaptive;
        Current = adaptive ? Math.Clamp(StartRate, _floor, _cap) : _cap;
        Peak = Current;
        _credit = 1;
        _rateOf[0] = Current;
        MatureAfter = Stopwatch.Frequency / 500;
        GiveUpAfter = Stopwatch.Frequency;
    }

    public bool Adaptive { get; }

    /// <summary>SYNs per second now.</summary>
    public double Current { get; private set; }

    /// <summary>The highest rate reached.</summary>
    public double Peak { get; private set; }

    /// <summary>Times the rate was cut.</summary>
    public int Backoffs { get; private set; }

    /// <summary>Signs of loss seen (cohorts that answered short, late answers, drop bursts, refused sends).</summary>
    public long LossSigns { get; private set; }

    /// <summary>The cohort a first SYN sent now belongs to.</summary>
    public long Cohort => _cohort;

    /// <summary>
    /// How long after a cohort ends its answers are due, once answers to a later cohort have come (the scanner sets
    /// it from the smoothed round trip; 2 ms until the first answer).
    /// </summary>
    public long MatureAfter { get; set; }

    /// <summary>
    /// When no later cohort has been answered either, how long after a cohort ends it is judged all the same (the
    /// scan's retransmission timeout: by then its silent probes are being sent again). Capped at one second.
    /// </summary>
    public long GiveUpAfter { get; set; }

    /// <summary>How many sends the bucket allows now (at most 10 ms worth at once, so no burst builds up while reading).</summary>
    public long Allowed(long now)
    {
        _credit = Math.Min(_credit + (now - _last) * Current / Stopwatch.Frequency, Math.Max(1, Current / 100));
        _last = now;
        if (Adaptive)
        {
            int c = (int)(_cohort % Ring);
            long age = now - _start[c];
            if (age >= Epoch && (_first[c] >= CohortSize || age >= LongestCohort))
            {
                NextCohort(now);
            }
            Judge(now);
        }
        return (long)_credit;
    }

    /// <summary>One send (a first SYN when <paramref name="first"/>, else a retransmission or a neighbour request).</summary>
    public void Spend(bool first = false)
    {
        _credit -= 1;
        int i = (int)(_cohort % Ring);
        if (_cohort == 0 && _sends[0] == 0)
        {
            _start[0] = _last; // the scan's set-up (opening captures, asking for next hops) is no part of a cohort
        }
        _sends[i]++;
        if (first)
        {
            _first[i]++;
        }
    }

    /// <summary>Stopwatch ticks until the bucket allows one more send.</summary>
    public long TicksToNext() => _credit >= 1 ? 0 : (long)((1 - _credit) * Stopwatch.Frequency / Current) + 1;

    /// <summary>A probe first sent in <paramref name="cohort"/> was answered before any retransmission.</summary>
    public void Answered(long cohort)
    {
        int i = (int)(cohort % Ring);
        if (_id[i] == cohort && cohort >= _judged)
        {
            _answered[i]++;
        }
        _newestAnswered = Math.Max(_newestAnswered, cohort);
    }

    /// <summary>A probe first sent in <paramref name="cohort"/> was answered only after it was sent again.</summary>
    public void LateAnswer(long cohort, long now)
    {
        LossSigns++;
        // Once whole cohorts tell what the host answers, cohort verdicts decide (a late answer may be loss that
        // slowing down does not cure). Before that, or where the host answers too little to judge a cohort, a late
        // answer to a probe first sent after the last cut halves the rate.
        if (Adaptive && cohort > _cutAt && (_final < 0 || _expected * CohortSize < MinExpected))
        {
            Cut(Current / 2, now);
        }
    }

    /// <summary>
    /// A probe first sent in <paramref name="cohort"/> was decided, answered (at any attempt) or not. Once all of a
    /// cohort is decided, its share answered is what the host answers when nothing is lost for good: the share its
    /// first SYNs should have had.
    /// </summary>
    public void Decided(long cohort, bool answered)
    {
        int i = (int)(cohort % Ring);
        if (_id[i] != cohort)
        {
            return;
        }
        _decided[i]++;
        if (answered)
        {
            _eventually[i]++;
        }
        if (cohort < _cohort && _decided[i] == _first[i])
        {
            Finish(i);
        }
    }

    private void Finish(int i)
    {
        if (_first[i] < MinJudged)
        {
            return;
        }
        double share = (double)_eventually[i] / _first[i];
        _final = _final < 0 ? share : _final + (share - _final) * 0.3;
    }

    /// <summary>A sign that packets were lost at the current rate (answers libpcap dropped, frames the kernel refused).</summary>
    public void Loss(long now)
    {
        LossSigns++;
        if (Adaptive && now - _lastLoss >= LossHoldOff)
        {
            Cut(Current / 2, now);
        }
    }

    private void Cut(double to, long now)
    {
        _lastLoss = now;
        _cutAt = _cohort;
        _cutLoss = -1;
        _slowStart = false;
        Backoffs++;
        Current = Math.Clamp(to, _floor, Current);
        _ceiling = Current * 1.1;
        _rateOf[_cohort % Ring] = Math.Min(_rateOf[_cohort % Ring], Current);
    }

    private void NextCohort(long now)
    {
        int i = (int)(_cohort % Ring);
        _end[i] = now;
        if (_decided[i] == _first[i])
        {
            Finish(i);
        }
        // Where too little answers to judge a cohort, growth needs no verdict (there is nothing to lose).
        if (_expected >= 0 && _expected * _first[i] < MinExpected && KeptUp(i, now))
        {
            Grow();
        }
        _cohort++;
        if (_cohort - _judged >= Ring)
        {
            _judged = _cohort - Ring + 1; // too old to judge: its slot is reused
        }
        int j = (int)(_cohort % Ring);
        _id[j] = _cohort;
        _first[j] = _answered[j] = _sends[j] = _decided[j] = _eventually[j] = 0;
        _start[j] = now;
        _end[j] = long.MaxValue;
        _rateOf[j] = Current;
    }

    private void Judge(long now)
    {
        long wait = Math.Min(MatureAfter, MaxWait), giveUp = Math.Min(Math.Max(GiveUpAfter, wait), MaxWait);
        while (_judged < _cohort)
        {
            int i = (int)(_judged % Ring);
            if (_end[i] > now - (_newestAnswered > _judged ? wait : giveUp))
            {
                return;
            }
            long cohort = _judged++;
            int first = _first[i];
            if (first < MinJudged)
            {
                continue;
            }
            double share = (double)_answered[i] / first;
            if (_expected < 0)
            {
                _expected = share;
            }
            // Expected: what whole cohorts were answered at any attempt, once one is known; until then, what clean
            // cohorts' first SYNs were.
            double host = _final >= 0 ? Math.Max(_final, _expected) : _expected;
            // Loss the path has at any rate (a lossy link, not an overload) is expected too: the first SYNs of a
            // clean cohort are answered at host × (1 - that loss).
            double expected = host * (1 - _steadyLoss) * first;
            double shortfall = Math.Max(3 * Math.Sqrt(expected * Math.Max(0.01, 1 - host)), 0.1 * expected);
            double loss = host > 0 ? Math.Max(0, 1 - share / host) : 0;
            if (expected >= MinExpected && _answered[i] < expected - shortfall)
            {
                AnsweredShort(i, cohort, share, host, loss, now);
                continue;
            }
            if (cohort > _cutAt)
            {
                _cutLoss = -1; // the cut helped
            }
            if (loss < _steadyLoss)
            {
                _steadyLoss += (loss - _steadyLoss) * 0.1; // a path that heals is trusted again (only down: loss a clean cohort tolerated must not raise the bar)
            }
            // The expected share follows clean cohorts, quickly upwards (a start that was already lossy is forgotten).
            _expected += (share - _expected) * (share > _expected ? 0.5 : 0.2);
            GrowIfClean(i);
        }
    }

    /// <summary>A cohort answered clearly short: an overload (cut to what got through), or the path's own loss.</summary>
    private void AnsweredShort(int i, long cohort, double share, double host, double loss, long now)
    {
        LossSigns++;
        if (cohort > _cutAt && _cutLoss >= 0 && loss >= 0.7 * _cutLoss)
        {
            // Sent wholly after the last cut, and it lost as much as the cohort that caused it: slowing down
            // did not help, so this loss is the path's own. Expect it from now on and take the cut back.
            _steadyLoss = Math.Min(0.9, loss);
            Current = Math.Max(Current, _rateBeforeCut);
            _ceiling = Current * 1.1;
            _cutLoss = -1;
            _cutAt = _cohort;
            return;
        }
        if (cohort > _cutAt)
        {
            // What the path delivered while this cohort was sent: its send rate (all sends) × the share answered.
            double sent = _sends[i] / Math.Max(1e-3, (double)(_end[i] - _start[i]) / Stopwatch.Frequency);
            double before = Current, delivered = 0.9 * sent * share / host;
            Cut(Math.Max(Current / 4, delivered), now); // a quarter at most per cut: the next cohort judges again
            if (_final >= 0 && Current <= delivered)
            {
                // Down to what got through, with the host's share known: if the next cohort still loses
                // as much, the loss is not the rate's.
                (_rateBeforeCut, _cutLoss) = (before, loss);
            }
        }
    }

    /// <summary>A cohort sent wholly at the current rate answered as expected: the rate may grow.</summary>
    private void GrowIfClean(int i)
    {
        if (_id[i] > _cutAt && _rateOf[i] >= Current && KeptUp(i, _end[i]))
        {
            Grow();
        }
    }

    /// <summary>The sender used at least half of what it was allowed: a rate the scan does not reach says nothing about the path.</summary>
    private bool KeptUp(int i, long end) => _sends[i] >= Current * (end - _start[i]) / Stopwatch.Frequency / 2;

    private void Grow()
    {
        Current = Math.Min(_cap, Current * (_slowStart ? 2 : Current < _ceiling ? 1.02 : 1.005));
        Peak = Math.Max(Peak, Current);
    }
}
