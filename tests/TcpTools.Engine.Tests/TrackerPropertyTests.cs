using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using TcpTools.Engine.Tracking;
using static TcpTools.Engine.Tests.Conversation;

namespace TcpTools.Engine.Tests;

/// <summary>
/// Random interleavings, drops, duplicates and reorderings of real conversations, and outright random segments,
/// never throw and never produce an impossible state.
/// </summary>
public class TrackerPropertyTests
{
    private sealed record Seg(bool FromClient, TcpFlags Flags, uint Seq, uint Ack, int Len);

    private static readonly HashSet<char> s_historyLetters = "^SHADFRCGTWIQshadfrcgtwiq".ToHashSet();

    /// <summary>A plausible connection: handshake, data both ways, then a close by either side or a reset.</summary>
    private static readonly Gen<List<Seg>> s_conversation =
        Gen.Select(Gen.UInt, Gen.UInt, Gen.Int[0, 6], Gen.Int[0, 3], Gen.Int[1, 1400]).Select((c, s, exchanges, ending, size) =>
        {
            var list = new List<Seg> { new(true, S, c, 0, 0), new(false, SA, s, c + 1, 0), new(true, A, c + 1, s + 1, 0) };
            uint cn = c + 1, sn = s + 1;
            for (int i = 0; i < exchanges; i++)
            {
                list.Add(new(true, PA, cn, sn, size));
                cn += (uint)size;
                list.Add(new(false, PA, sn, cn, size / 2 + 1));
                sn += (uint)(size / 2 + 1);
                list.Add(new(true, A, cn, sn, 0));
            }
            switch (ending)
            {
                case 0: // client closes first
                    list.AddRange(new Seg[] { new(true, FA, cn, sn, 0), new(false, A, sn, cn + 1, 0), new(false, FA, sn, cn + 1, 0), new(true, A, cn + 1, sn + 1, 0) });
                    break;
                case 1: // server closes first
                    list.AddRange(new Seg[] { new(false, FA, sn, cn, 0), new(true, A, cn, sn + 1, 0), new(true, FA, cn, sn + 1, 0), new(false, A, sn + 1, cn + 1, 0) });
                    break;
                case 2: // simultaneous close
                    list.AddRange(new Seg[] { new(true, FA, cn, sn, 0), new(false, FA, sn, cn, 0), new(true, A, cn + 1, sn + 1, 0), new(false, A, sn + 1, cn + 1, 0) });
                    break;
                default: // reset
                    list.Add(new(false, RA, sn, cn, 0));
                    break;
            }
            return list;
        });

    /// <summary>Each segment dropped, duplicated or swapped with the next at random.</summary>
    private static Gen<List<Seg>> Perturbed(Gen<List<Seg>> conversations) =>
        Gen.Select(conversations, Gen.Int[0, 3].Array[64]).Select((segs, ops) =>
        {
            var result = new List<Seg>(segs);
            for (int i = 0; i < result.Count && i < ops.Length; i++)
            {
                switch (ops[i])
                {
                    case 1:
                        result.RemoveAt(i);
                        break;
                    case 2:
                        result.Insert(i, result[i]);
                        i++;
                        break;
                    case 3 when i + 1 < result.Count:
                        (result[i], result[i + 1]) = (result[i + 1], result[i]);
                        break;
                }
            }
            return result;
        });

    private static readonly Gen<List<Seg>> s_noise =
        Gen.Select(Gen.Bool, Gen.Byte, Gen.UInt[0, 20], Gen.UInt[0, 20], Gen.Int[0, 3])
            .Select((fromClient, flags, seq, ack, len) => new Seg(fromClient, (TcpFlags)flags, 1000 + seq, 1000 + ack, len)).List[0, 60];

    [Theory]
    [InlineData(TcpStateEvidence.Receipt)]
    [InlineData(TcpStateEvidence.Answer)]
    public void Perturbed_conversations_never_throw_or_reach_an_impossible_state(TcpStateEvidence evidence)
    {
        Perturbed(s_conversation).Sample(segs => Run(segs, new TcpTrackerOptions { StateEvidence = evidence }), iter: 3000);
    }

    [Theory]
    [InlineData(TcpStateEvidence.Receipt)]
    [InlineData(TcpStateEvidence.Answer)]
    public void Perturbed_conversations_under_zeek_timers_and_a_tiny_table_stay_sound(TcpStateEvidence evidence)
    {
        Perturbed(s_conversation).Sample(segs => Run(segs, new TcpTrackerOptions { StateEvidence = evidence, TimeoutPolicy = TcpTimeoutPolicy.Zeek, MaxFlows = 1, Msl = TimeSpan.FromMilliseconds(3) }), iter: 2000);
    }

    [Theory]
    [InlineData(TcpStateEvidence.Receipt)]
    [InlineData(TcpStateEvidence.Answer)]
    public void Random_segments_with_any_flags_never_throw_or_reach_an_impossible_state(TcpStateEvidence evidence)
    {
        s_noise.Sample(segs => Run(segs, new TcpTrackerOptions { StateEvidence = evidence }), iter: 3000);
    }

    [Theory]
    [InlineData(TcpStateEvidence.Receipt)]
    [InlineData(TcpStateEvidence.Answer)]
    public void An_unperturbed_conversation_always_ends_where_the_rfc_says(TcpStateEvidence evidence)
    {
        s_conversation.Sample(segs =>
        {
            var c = Feed(segs, new TcpTrackerOptions { StateEvidence = evidence });
            var f = c.Current;
            var last = segs[^1];
            bool simultaneous = (segs[^3].Flags & TcpFlags.Fin) != 0 && (segs[^4].Flags & TcpFlags.Fin) != 0;
            var expected = (last.Flags & TcpFlags.Rst) != 0 ? (TcpState.Closed, TcpState.Closed)
                : simultaneous ? (TcpState.TimeWait, TcpState.TimeWait)
                : Fin(segs[^4].FromClient);
            Assert.Equal(expected, (f.ClientState, f.ServerState));
            Assert.Equal((last.Flags & TcpFlags.Rst) != 0 ? TcpCloseReason.Reset : TcpCloseReason.Fin, f.CloseReason);
            Assert.Equal(TcpAnomaly.None, f.Anomalies); // a correct exchange, whatever its numbers, shows none
        }, iter: 1000);

        static (TcpState, TcpState) Fin(bool clientFirst) => clientFirst ? (TcpState.TimeWait, TcpState.Closed) : (TcpState.Closed, TcpState.TimeWait);
    }

    private static void Run(List<Seg> segs, TcpTrackerOptions options)
    {
        var c = Feed(segs, options, check: true);
        var all = c.Complete();
        foreach (var f in all)
        {
            Sound(f, options.StateEvidence);
        }
        Assert.Equal(segs.Count, all.Sum(f => f.Packets));
        Assert.Equal(0, c.Tracker.FlowCount);
    }

    private static Conversation Feed(List<Seg> segs, TcpTrackerOptions options, bool check = false)
    {
        var c = new Conversation(options);
        foreach (var s in segs)
        {
            if (s.FromClient)
            {
                c.C(s.Flags, s.Seq, s.Ack, s.Len);
            }
            else
            {
                c.Sv(s.Flags, s.Seq, s.Ack, s.Len);
            }
            if (check)
            {
                foreach (var f in c.Tracker.Current())
                {
                    Sound(f, options.StateEvidence);
                }
            }
        }
        return c;
    }

    /// <summary>What no sequence of segments can produce.</summary>
    private static void Sound(TcpConnectionState f, TcpStateEvidence evidence)
    {
        Assert.True(Enum.IsDefined(f.ClientState) && Enum.IsDefined(f.ServerState) && Enum.IsDefined(f.ConnState));
        Assert.NotEqual(TcpState.Listen, f.ClientState);
        Assert.NotEqual(TcpState.Listen, f.ServerState);
        Assert.Equal(Rank(f.ClientState) >= Rank(f.ServerState) ? f.ClientState : f.ServerState, f.State);
        // TIME_WAIT means both FINs were exchanged and this side's was acknowledged. Its ACK of the peer's FIN is the
        // peer's evidence: on the answer, the peer has nothing left but TIME_WAIT or CLOSED; on receipt, the peer may
        // still wait for that ACK (LAST_ACK, or CLOSING after a simultaneous close).
        var afterTimeWait = evidence == TcpStateEvidence.Answer
            ? new[] { TcpState.TimeWait, TcpState.Closed }
            : new[] { TcpState.TimeWait, TcpState.Closed, TcpState.LastAck, TcpState.Closing };
        if (f.ClientState == TcpState.TimeWait)
        {
            Assert.Contains(f.ServerState, afterTimeWait);
        }
        if (f.ServerState == TcpState.TimeWait)
        {
            Assert.Contains(f.ClientState, afterTimeWait);
        }
        // ESTABLISHED means the peer acknowledged this side's SYN, so the peer is past SYN_SENT and not yet closed.
        if (f.ClientState == TcpState.Established)
        {
            Assert.Contains(f.ServerState, new[] { TcpState.SynReceived, TcpState.Established, TcpState.FinWait1 });
        }
        if (f.ServerState == TcpState.Established)
        {
            Assert.Contains(f.ClientState, new[] { TcpState.SynReceived, TcpState.Established, TcpState.FinWait1 });
        }
        Assert.All(f.History, ch => Assert.Contains(ch, s_historyLetters));
        Assert.True(f.LastSeenUnixNanoseconds >= f.FirstSeenUnixNanoseconds);
        Assert.True(f.Packets >= 1);
        if (f.CloseReason == TcpCloseReason.Reset)
        {
            Assert.Equal((TcpState.Closed, TcpState.Closed), (f.ClientState, f.ServerState));
        }
        // Anomalies: the counts name exactly the kinds shown, and no kind is counted more often than segments were seen.
        Assert.Equal(f.ClientAnomalies | f.ServerAnomalies, f.Anomalies);
        Assert.Equal(Enum.GetValues<TcpAnomaly>().Where(k => k != 0 && f.Anomalies.HasFlag(k)).Select(k => k.ToString()).Order(), f.AnomalyCounts.Keys.Order());
        Assert.All(f.AnomalyCounts.Values, n => Assert.InRange(n, 1u, (uint)f.Packets));
    }

    private static int Rank(TcpState s) => s switch
    {
        TcpState.TimeWait => 10, TcpState.Closing => 9, TcpState.LastAck => 8, TcpState.FinWait2 => 7, TcpState.FinWait1 => 6,
        TcpState.CloseWait => 5, TcpState.Established => 4, TcpState.SynReceived => 3, TcpState.SynSent => 2, TcpState.Listen => 1, _ => 0,
    };
}
