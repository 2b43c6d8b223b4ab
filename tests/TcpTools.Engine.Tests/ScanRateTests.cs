using System;
using System.Collections.Generic;
using System.Diagnostics;
using TcpTools.Engine.Probing;

namespace TcpTools.Engine.Tests;

/// <summary>
/// The adaptive rate against a simulated path: a policer that carries a fixed number of SYNs a second (the rest
/// dropped), a host that answers a share of its ports, a round trip; probes retried as the scanner retries them.
/// Time is simulated in Stopwatch ticks, so the runs are the same every time.
/// </summary>
public class ScanRateTests
{
    private sealed record Outcome(double Final, double Peak, int Backoffs, int Lost, int Decided, double Seconds, List<double> Rates);

    private static Outcome Simulate(double capacity, double hostShare, double rttMs, int probes, double cap = 1_000_000, bool adaptive = true, double randomLoss = 0)
    {
        long f = Stopwatch.Frequency;
        long step = f / 10_000; // 0.1 ms
        long rtt = (long)(rttMs * f / 1000);
        long timeout = Math.Max(f / 10, 4 * rtt);
        var rate = new ScanRate(cap, 100, adaptive) { GiveUpAfter = timeout, MatureAfter = Math.Max(f / 500, 3 * rtt) };
        var answers = new PriorityQueue<(int Probe, int Attempt), long>();
        var timeouts = new PriorityQueue<(int Probe, int Attempt), long>();
        var attempts = new int[probes];
        var cohort = new long[probes];
        var done = new bool[probes];
        var random = new Random(42);
        var answersPort = new bool[probes];
        for (int i = 0; i < probes; i++)
        {
            answersPort[i] = random.NextDouble() < hostShare;
        }
        double bucket = 100, bucketMax = 100;
        long last = 0;
        int next = 0, decided = 0, lost = 0;
        var rates = new List<double>();
        long now = 0;
        bool Policer()
        {
            bucket = Math.Min(bucketMax, bucket + (now - last) * capacity / f);
            last = now;
            if (bucket >= 1)
            {
                bucket -= 1;
                return true;
            }
            return false;
        }
        void Send(int p, bool first)
        {
            attempts[p]++;
            if (first)
            {
                cohort[p] = rate.Cohort;
            }
            rate.Spend(first);
            if (Policer() && answersPort[p] && random.NextDouble() >= randomLoss)
            {
                answers.Enqueue((p, attempts[p]), now + rtt);
            }
            timeouts.Enqueue((p, attempts[p]), now + timeout);
        }
        void Decide(int p, bool answered)
        {
            done[p] = true;
            decided++;
            rate.Decided(cohort[p], answered);
        }
        for (; decided < probes && now < 120 * f; now += step)
        {
            while (answers.TryPeek(out var a, out long due) && due <= now)
            {
                answers.Dequeue();
                if (done[a.Probe])
                {
                    continue;
                }
                if (attempts[a.Probe] == 1)
                {
                    rate.Answered(cohort[a.Probe]);
                }
                else
                {
                    rate.LateAnswer(cohort[a.Probe], now);
                }
                Decide(a.Probe, true);
            }
            long allowed = rate.Allowed(now);
            while (timeouts.TryPeek(out var t, out long due) && due <= now)
            {
                if (done[t.Probe] || t.Attempt != attempts[t.Probe])
                {
                    timeouts.Dequeue();
                    continue;
                }
                if (attempts[t.Probe] > (rate.LossSigns > 0 ? 3 : 1))
                {
                    timeouts.Dequeue();
                    if (answersPort[t.Probe])
                    {
                        lost++;
                    }
                    Decide(t.Probe, false);
                    continue;
                }
                if (allowed <= 0)
                {
                    break;
                }
                timeouts.Dequeue();
                Send(t.Probe, first: false);
                allowed--;
            }
            while (allowed > 0 && next < probes)
            {
                Send(next++, first: true);
                allowed--;
            }
            if (now % (f / 100) < step)
            {
                rates.Add(rate.Current);
            }
        }
        return new Outcome(rate.Current, rate.Peak, rate.Backoffs, lost, decided, (double)now / f, rates);
    }

    [Theory]
    [InlineData(3_000, 1.0, 0.1)]
    [InlineData(3_000, 0.5, 0.1)]
    [InlineData(30_000, 0.9, 1.0)]
    [InlineData(200_000, 1.0, 0.2)]
    [InlineData(10_000, 0.2, 20)]
    public void Behind_a_policer_the_rate_settles_near_what_the_path_carries_and_nothing_is_lost(double capacity, double share, double rttMs)
    {
        var o = Simulate(capacity, share, rttMs, probes: (int)Math.Min(60_000, capacity * 3));
        Assert.Equal(o.Decided, (int)Math.Min(60_000, capacity * 3));
        Assert.Equal(0, o.Lost);
        Assert.True(o.Backoffs >= 1, $"{o.Backoffs} back-offs");
        // Over the second half of the scan the rate stays near the policer's: not above a fifth over it for long,
        // nor far below it (a third at the least).
        var late = o.Rates.GetRange(o.Rates.Count / 2, o.Rates.Count - o.Rates.Count / 2);
        late.Sort();
        double median = late[late.Count / 2];
        Assert.InRange(median, capacity / 3, capacity * 1.2);
    }

    [Fact]
    public void Where_nothing_is_lost_slow_start_reaches_the_cap()
    {
        var o = Simulate(capacity: double.MaxValue / 4, hostShare: 0.98, rttMs: 0.1, probes: 60_000, cap: 1_000_000);
        Assert.Equal(0, o.Backoffs);
        Assert.Equal(1_000_000, o.Peak);
        Assert.Equal(0, o.Lost);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.2)]
    public void Random_loss_on_the_path_is_retried_not_taken_for_an_overload(double loss)
    {
        // A lossy link drops the same share at every rate: slowing down does not help, so the rate must not collapse
        // (halving on every late answer took a 600,000-probe scan down to 100 SYN/s, unfinished after 120 s).
        var o = Simulate(capacity: double.MaxValue / 4, hostShare: 0.9, rttMs: 1, probes: 600_000, cap: 1_000_000, randomLoss: loss);
        Assert.Equal(600_000, o.Decided);
        Assert.True(o.Seconds < 5, $"{o.Seconds} s, final rate {o.Final}, {o.Backoffs} back-offs");
        Assert.True(o.Final >= 200_000, $"final rate {o.Final}, {o.Backoffs} back-offs");
        // With two retries on loss, a port is lost only when all its SYNs are: loss³ of the answering ports.
        Assert.True(o.Lost <= 600_000 * 0.9 * loss * loss * loss * 3 + 5, $"{o.Lost} lost");
    }

    [Fact]
    public void A_host_that_answers_nothing_does_not_hold_the_rate_back()
    {
        var o = Simulate(capacity: double.MaxValue / 4, hostShare: 0, rttMs: 0.1, probes: 60_000, cap: 1_000_000);
        Assert.Equal(0, o.Backoffs);
        Assert.Equal(1_000_000, o.Peak);
    }

    [Fact]
    public void A_fixed_rate_never_changes_and_loses_what_the_path_drops()
    {
        var o = Simulate(capacity: 3_000, hostShare: 1, rttMs: 0.1, probes: 5_000, cap: 10_000, adaptive: false);
        Assert.Equal(10_000, o.Peak);
        Assert.Equal(10_000, o.Final);
        Assert.Equal(0, o.Backoffs);
        Assert.True(o.Lost > 1_000, $"{o.Lost} lost"); // what the adaptive rate saves: at 10,000 through 3,000, most need more than two SYNs
    }
}
