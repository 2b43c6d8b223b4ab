using System;
using System.Linq;
using TcpTools.Engine.Tracking;
using static TcpTools.Engine.Tests.Conversation;

namespace TcpTools.Engine.Tests;

/// <summary>
/// Issue 11's bad input: floods and storms against one connection, wraparound in the middle of a close, and a flood of
/// new 4-tuples against a small table. Each ends in states the RFC allows, with the anomalies named and counted.
/// </summary>
public class TrackerBadInputTests
{
    private static readonly TcpState[] s_synchronized = { TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait, TcpState.Closing, TcpState.LastAck, TcpState.TimeWait, TcpState.Closed };

    [Theory]
    [InlineData(TcpStateEvidence.Receipt)]
    [InlineData(TcpStateEvidence.Answer)]
    public void A_flood_of_random_segments_against_one_connection_leaves_it_in_a_state_the_rfc_allows(TcpStateEvidence evidence)
    {
        var random = new Random(11);
        var c = new Conversation(new TcpTrackerOptions { StateEvidence = evidence }).Handshake(1000, 5000);
        TcpFlags[] flags = { A, PA, R, RA, FA, S, SA, TcpFlags.Fin, TcpFlags.None, TcpFlags.Syn | TcpFlags.Fin };
        const int count = 20_000;
        for (int i = 0; i < count; i++)
        {
            uint seq = (uint)random.NextInt64(0, 1L << 32), ack = (uint)random.NextInt64(0, 1L << 32);
            var f = flags[random.Next(flags.Length)];
            if (random.Next(2) == 0)
            {
                c.C(f, seq, ack, random.Next(0, 3) * 100);
            }
            else
            {
                c.Sv(f, seq, ack, random.Next(0, 3) * 100);
            }
        }
        var all = c.Complete();
        Assert.Equal(count + 3, all.Sum(f => f.Packets));
        foreach (var flow in all)
        {
            Assert.True(Enum.IsDefined(flow.ClientState) && Enum.IsDefined(flow.ServerState));
            Assert.DoesNotContain(TcpState.Listen, new[] { flow.ClientState, flow.ServerState });
        }
        // The handshake's flow is synchronized; a random SYN on the 4-tuple starts a new flow (PortsReused), so the
        // flood is many flows on one 4-tuple, and what they took is named: ACKs beyond anything sent, RSTs outside
        // the window, the flag combinations no stack sends.
        var first = all.OrderBy(f => f.FirstSeenUnixNanoseconds).First();
        Assert.Contains(first.ClientState, s_synchronized);
        var seen = all.Aggregate(TcpAnomaly.None, (a, f) => a | f.Anomalies);
        foreach (var kind in new[] { TcpAnomaly.AckOfUnseenData, TcpAnomaly.RstOutsideWindow, TcpAnomaly.PortsReused, TcpAnomaly.NoAck, TcpAnomaly.SynAndFin })
        {
            Assert.True(seen.HasFlag(kind), $"{kind} not among {seen}");
        }
        Assert.All(all, f => Assert.All(f.AnomalyCounts.Values, n => Assert.InRange(n, 1u, (uint)f.Packets)));
    }

    [Fact]
    public void A_rst_storm_outside_the_window_leaves_the_connection_open_and_is_counted_then_the_exact_rst_closes_it()
    {
        var random = new Random(5);
        var c = new Conversation().Handshake(1000, 5000);
        const int storm = 5_000;
        int inWindow = 0;
        for (int i = 0; i < storm; i++)
        {
            // Server sequence space from its next byte (5001); window 64240 from the client: some land inside it.
            uint offset = (uint)random.Next(1, 200_000);
            inWindow += offset < 64240 ? 1 : 0;
            c.Sv(R, 5001 + offset);
        }
        var open = c.Current;
        Assert.Equal((TcpState.Established, TcpState.Established), (open.ClientState, open.ServerState));
        Assert.Equal((uint)(storm - inWindow), open.AnomalyCounts["RstOutsideWindow"]);
        Assert.Equal((uint)inWindow, open.AnomalyCounts["RstInWindow"]);
        Assert.Equal(storm, c.Tracker.Statistics.ResetsIgnored);
        c.Sv(R, 5001);
        var closed = c.Current;
        Assert.Equal((TcpState.Closed, TcpState.Closed, TcpCloseReason.Reset), (closed.ClientState, closed.ServerState, closed.CloseReason));
    }

    [Fact]
    public void An_ack_storm_of_unsent_data_moves_nothing_and_is_counted()
    {
        var c = new Conversation().Handshake(1000, 5000).C(FA, 1001, 5001);
        for (uint i = 0; i < 1_000; i++)
        {
            c.Sv(A, 5001, 1002 + 10 + i); // beyond the client's FIN: data it never sent
        }
        var f = c.Current;
        Assert.Equal((TcpState.FinWait1, TcpState.CloseWait), (f.ClientState, f.ServerState));
        Assert.Equal(1_000u, f.AnomalyCounts["AckOfUnseenData"]);
        c.Sv(A, 5001, 1002);
        Assert.Equal((TcpState.FinWait2, TcpState.CloseWait), (c.Current.ClientState, c.Current.ServerState));
    }

    [Theory]
    [InlineData(0xFFFF_FFFEu, 0, true)]  // the client's FIN occupies 2^32 - 1; its ACK is 0
    [InlineData(0xFFFF_FFF0u, 40, true)] // 40 bytes of data across the wrap, then the FIN at 25
    [InlineData(0xFFFF_FFFEu, 0, false)] // the server closes first, across the wrap
    public void A_close_across_the_sequence_wrap_ends_in_time_wait(uint closerIsn, int data, bool clientFirst)
    {
        const uint other = 0x7000_0000;
        var c = clientFirst ? new Conversation().Handshake(closerIsn, other) : new Conversation().Handshake(other, closerIsn);
        uint next = unchecked(closerIsn + 1), peerNext = other + 1;
        if (data > 0)
        {
            if (clientFirst)
            {
                c.C(PA, next, peerNext, data);
            }
            else
            {
                c.Sv(PA, next, peerNext, data);
            }
            next = unchecked(next + (uint)data);
        }
        uint afterFin = unchecked(next + 1);
        if (clientFirst)
        {
            c.C(FA, next, peerNext).Sv(A, peerNext, afterFin).Sv(FA, peerNext, afterFin).C(A, afterFin, peerNext + 1);
        }
        else
        {
            c.Sv(FA, next, peerNext).C(A, peerNext, afterFin).C(FA, peerNext, afterFin).Sv(A, afterFin, peerNext + 1);
        }
        var f = c.Current;
        var expected = clientFirst ? (TcpState.TimeWait, TcpState.Closed) : (TcpState.Closed, TcpState.TimeWait);
        Assert.Equal(expected, (f.ClientState, f.ServerState));
        Assert.Equal(TcpCloseReason.Fin, f.CloseReason);
        Assert.Equal(TcpAnomaly.None, f.Anomalies);
        Assert.True(afterFin < 0x1000, "the close crossed the wrap");
    }

    [Fact]
    public void A_flood_of_new_connections_stays_inside_max_flows()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { MaxFlows = 64 });
        long now = 1_700_000_000_000_000_000;
        var written = new System.Collections.Generic.List<TcpConnectionState>();
        for (int i = 0; i < 5_000; i++)
        {
            var c = new Conversation(tracker: tracker, clientPort: (ushort)(1024 + i)) { Now = now };
            c.C(S, (uint)i * 7919);
            now = c.Now;
            written.AddRange(c.Emitted); // the flows evicted to make room, written as they leave
            Assert.True(tracker.FlowCount <= 64);
        }
        Assert.Equal(5_000 - 64, tracker.Statistics.FlowsEvicted);
        tracker.Complete();
        written.AddRange(tracker.Output);
        Assert.Equal(5_000, written.Count);
        Assert.Equal(5_000, written.Select(f => f.ClientPort).Distinct().Count());
        Assert.Equal(5_000 - 64, written.Count(f => f.CloseReason == TcpCloseReason.Evicted));
        Assert.All(written, f => Assert.Equal(TcpState.SynSent, f.ClientState));
    }
}
