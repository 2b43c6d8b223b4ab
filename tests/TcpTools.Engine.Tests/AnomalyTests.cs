using System;
using System.Linq;
using TcpTools.Engine.Tracking;
using static TcpTools.Engine.Tests.Conversation;

namespace TcpTools.Engine.Tests;

/// <summary>Segments in, named anomalies out: each kind of <see cref="TcpAnomaly"/> from the segments that show it, and nothing from a clean exchange.</summary>
public class AnomalyTests
{
    // Window scale 7, padded with a NOP.
    private static readonly byte[] s_scale7 = { 1, 3, 3, 7 };

    private static void Shows(Conversation c, TcpAnomaly client, TcpAnomaly server)
    {
        var f = c.Current;
        Assert.Equal((client, server), (f.ClientAnomalies, f.ServerAnomalies));
        Assert.Equal(client | server, f.Anomalies);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_clean_exchange_shows_none(bool ipv6)
    {
        var c = new Conversation(ipv6: ipv6).Handshake().C(PA, 1001, 5001, len: 100).Sv(PA, 5001, 1101, len: 200)
            .C(A, 1101, 5201).Sv(FA, 5201, 1101).C(FA, 1101, 5202).Sv(A, 5202, 1102);
        var f = c.Complete().Single();
        Assert.Equal(TcpAnomaly.None, f.Anomalies);
        Assert.Empty(f.AnomalyCounts);
        Assert.Equal(0, c.Tracker.Statistics.Anomalies);
    }

    [Fact]
    public void Syn_with_data() => Shows(new Conversation().C(S, 1000, len: 20), TcpAnomaly.SynWithData, 0);

    [Fact]
    public void Syn_and_fin_together() => Shows(new Conversation().C(S | TcpFlags.Fin, 1000), TcpAnomaly.SynAndFin, 0);

    [Fact]
    public void Syn_and_rst_together() => Shows(new Conversation().C(S | TcpFlags.Rst, 1000), TcpAnomaly.SynAndRst, 0);

    [Theory]
    [InlineData(TcpFlags.Fin)] // FIN scan
    [InlineData(TcpFlags.None)] // null scan
    [InlineData(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg)] // Xmas scan
    public void Segments_without_ack(TcpFlags flags) => Shows(new Conversation().Handshake().C(flags, 1001), TcpAnomaly.NoAck, 0);

    [Fact]
    public void Syn_ack_that_acknowledges_another_number() =>
        Shows(new Conversation().C(S, 1000).Sv(SA, 5000, 900), 0, TcpAnomaly.BadSynAck);

    [Fact]
    public void Simultaneous_open()
    {
        var c = new Conversation(new TcpTrackerOptions { TimeoutPolicy = TcpTimeoutPolicy.Conntrack }).C(S, 1000).Sv(S, 5000);
        Shows(c, 0, TcpAnomaly.SimultaneousOpen);
    }

    [Fact]
    public void Data_before_the_handshake() =>
        Shows(new Conversation().C(S, 1000).C(PA, 1001, 0, len: 10), TcpAnomaly.DataBeforeHandshake, 0);

    [Fact]
    public void Data_after_reset_from_the_side_that_reset()
    {
        // A RST in the server's name, then the server's own data goes on: someone else sent that RST.
        var c = new Conversation().Handshake().Sv(R, 5001).Sv(PA, 5001, 1001, len: 100);
        Shows(c, 0, TcpAnomaly.DataAfterReset);
    }

    [Fact]
    public void Fin_after_reset() => Shows(new Conversation().Handshake().Sv(R, 5001).Sv(FA, 5001, 1001), 0, TcpAnomaly.FinAfterReset);

    [Fact]
    public void Syn_after_reset()
    {
        // The server resets, then repeats its SYN-ACK (not a new connection: the client's SYN stands).
        var c = new Conversation().C(S, 1000).Sv(SA, 5000, 1001).Sv(R, 5001).Sv(SA, 5000, 1001);
        Shows(c, 0, TcpAnomaly.SynAfterReset);
    }

    [Fact]
    public void Syn_after_close() =>
        Shows(new Conversation().Handshake().Sv(FA, 5001, 1001).Sv(SA, 5000, 1001), 0, TcpAnomaly.SynAfterClose);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ack_of_data_the_capture_did_not_see(bool ipv6) =>
        Shows(new Conversation(ipv6: ipv6).Handshake().C(A, 1001, 9001), TcpAnomaly.AckOfUnseenData, 0);

    [Fact]
    public void Rst_outside_the_window_is_ignored_and_named()
    {
        var c = new Conversation().Handshake().Sv(R, 5001 + 1_000_000);
        Shows(c, 0, TcpAnomaly.RstOutsideWindow);
        Assert.Equal((TcpState.Established, TcpState.Established), (c.Current.ClientState, c.Current.ServerState));
        Assert.Equal(1, c.Tracker.Statistics.ResetsIgnored);
    }

    [Fact]
    public void Rst_inside_the_window_but_not_exact_earns_a_challenge_ack()
    {
        var c = new Conversation().Handshake().Sv(R, 5001 + 100);
        Shows(c, 0, TcpAnomaly.RstInWindow);
        Assert.Equal(TcpState.Established, c.Current.State);
    }

    [Fact]
    public void Rst_to_syn_sent_that_does_not_acknowledge_the_syn() =>
        Shows(new Conversation().C(S, 1000).Sv(RA, 0, 4242), 0, TcpAnomaly.RstOutsideWindow);

    [Fact]
    public void Data_beyond_the_advertised_window()
    {
        // No window scale: the server's last window is 1000 bytes from its ACK.
        var c = new Conversation().Handshake().Sv(A, 5001, 1001, window: 1000);
        c.C(PA, 1001, 5001, len: 1000);
        Shows(c, 0, 0); // exactly up to the edge
        c.C(PA, 2001, 5001, len: 1);
        Shows(c, TcpAnomaly.WindowExceeded, 0);
    }

    [Fact]
    public void The_window_is_scaled_when_both_syns_announced_a_scale()
    {
        // 1000 << 7 = 128,000 bytes: 1,400 fit.
        var c = new Conversation().C(S, 1000, options: s_scale7).Sv(SA, 5000, 1001, options: s_scale7).C(A, 1001, 5001)
            .Sv(A, 5001, 1001, window: 1000).C(PA, 1001, 5001, len: 1400);
        Shows(c, 0, 0);
    }

    [Fact]
    public void The_window_is_not_judged_without_the_handshake()
    {
        // Picked up mid-stream: the scale is unknown, so a 10-byte window says nothing.
        var c = new Conversation().Sv(A, 5001, 1001, window: 10).C(PA, 1001, 5001, len: 1400);
        Shows(c, 0, 0);
    }

    [Fact]
    public void Zero_window_probe()
    {
        var c = new Conversation().Handshake().Sv(A, 5001, 1001, window: 0).C(PA, 1001, 5001, len: 1);
        Shows(c, TcpAnomaly.ZeroWindowProbe, 0);
    }

    [Fact]
    public void Bad_tcp_checksum_is_dropped_with_history_c()
    {
        var c = new Conversation(new TcpTrackerOptions { ValidateChecksums = true }).Handshake();
        c.MangleNext = frame => frame[14 + 20 + 16] ^= 0xFF; // TCP checksum
        c.C(PA, 1001, 5001, len: 10);
        Shows(c, TcpAnomaly.BadChecksum, 0);
        Assert.Equal("ShAC", c.Current.History);
        Assert.Equal(0ul, c.Current.ClientBytes);
    }

    [Fact]
    public void Bad_ip_header_checksum_is_dropped_at_the_ip_layer()
    {
        var c = new Conversation(new TcpTrackerOptions { ValidateChecksums = true }).Handshake();
        c.MangleNext = frame => frame[14 + 10] ^= 0xFF; // IPv4 header checksum
        c.C(PA, 1001, 5001, len: 10);
        var f = c.Current;
        Assert.Equal((TcpAnomaly.BadIPChecksum, TcpAnomaly.None), (f.ClientAnomalies, f.ServerAnomalies));
        Assert.Equal("ShA", f.History); // no letter
        Assert.Equal(2u, f.ClientPackets); // not counted as the flow's
        Assert.Equal(1, c.Tracker.Statistics.BadIPChecksums);
    }

    [Fact]
    public void Bad_ip_header_checksum_of_a_first_packet_creates_no_flow()
    {
        var c = new Conversation(new TcpTrackerOptions { ValidateChecksums = true });
        c.MangleNext = frame => frame[14 + 10] ^= 0xFF;
        c.C(S, 1000);
        Assert.Empty(c.Tracker.Current());
        Assert.Equal(1, c.Tracker.Statistics.BadIPChecksums);
    }

    [Fact]
    public void Checksums_are_not_judged_unless_asked()
    {
        var c = new Conversation().Handshake();
        c.MangleNext = frame => frame[14 + 10] ^= 0xFF;
        c.C(PA, 1001, 5001, len: 10);
        Shows(c, 0, 0);
    }

    [Fact]
    public void A_new_syn_on_a_4_tuple_in_time_wait_is_a_new_flow_that_reused_the_ports()
    {
        var c = new Conversation().Handshake().Sv(FA, 5001, 1001).C(FA, 1001, 5002).Sv(A, 5002, 1002);
        c.C(S, 90_000);
        var flows = c.Complete();
        Assert.Equal(2, flows.Count);
        Assert.Equal((TcpAnomaly.None, "ShAfFa"), (flows[0].Anomalies, flows[0].History)); // the old one keeps its history
        Assert.Equal(TcpAnomaly.PortsReused, flows[1].ClientAnomalies);
    }

    [Fact]
    public void Every_segment_is_counted_by_kind_and_names_are_case_insensitive()
    {
        var c = new Conversation().Handshake();
        for (uint i = 0; i < 5; i++)
        {
            c.Sv(R, 5001 + 1_000_000 + i);
        }
        c.C(A, 1001, 5001 + 5_000_000); // beyond anything the server sent, its ignored RSTs included
        var f = c.Current;
        Assert.Equal(5u, f.AnomalyCounts["RstOutsideWindow"]);
        Assert.Equal(5u, f.AnomalyCounts["rstoutsidewindow"]);
        Assert.Equal(1u, f.AnomalyCounts[nameof(TcpAnomaly.AckOfUnseenData)]);
        Assert.Equal(2, f.AnomalyCounts.Count);
        Assert.Equal(6, c.Tracker.Statistics.Anomalies);
        Assert.Matches("RstOutsideWindow", f.Anomalies.ToString());
    }

    [Fact]
    public void Watching_writes_a_flow_when_it_first_shows_a_kind()
    {
        var c = new Conversation(new TcpTrackerOptions { EmitStateChanges = true }).Handshake();
        int before = c.Emitted.Count;
        c.Sv(R, 5001 + 1_000_000); // no state change, a new kind: written
        Assert.Equal(before + 1, c.Emitted.Count);
        Assert.Equal(TcpAnomaly.RstOutsideWindow, c.Emitted[^1].Anomalies);
        c.Sv(R, 5001 + 2_000_000); // the same kind again: not written
        Assert.Equal(before + 1, c.Emitted.Count);
        c.C(A, 1001, 5001 + 5_000_000); // another kind
        Assert.Equal(before + 2, c.Emitted.Count);
        Assert.Equal(TcpAnomaly.RstOutsideWindow | TcpAnomaly.AckOfUnseenData, c.Emitted[^1].Anomalies);
    }

    [Fact]
    public void Anomalies_live_beside_the_flow_record_and_leave_with_it()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { MaxFlows = 4 });
        var conversations = Enumerable.Range(1, 100).Select(port => new Conversation(tracker: tracker, clientPort: (ushort)(20000 + port)).C(S, 1000, len: 10)).ToList();
        conversations[^1].Complete();
        var flows = conversations.SelectMany(c => c.Emitted).ToList(); // each conversation holds the flow evicted to make room for it
        Assert.Equal(100, flows.Count);
        Assert.All(flows, f => Assert.Equal(TcpAnomaly.SynWithData, f.Anomalies));
        Assert.All(flows, f => Assert.Equal(1u, f.AnomalyCounts["SynWithData"]));
    }

    [Fact]
    public void The_record_has_a_count_for_every_kind()
    {
        var kinds = Enum.GetValues<TcpAnomaly>().Where(k => k != TcpAnomaly.None).ToArray();
        Assert.Equal(AnomalyRecord.Kinds, kinds.Length);
        Assert.All(kinds, k => Assert.True(System.Numerics.BitOperations.IsPow2((uint)k) && (uint)k < 1u << AnomalyRecord.Kinds, k.ToString()));
    }
}
