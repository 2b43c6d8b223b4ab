using System;
using System.Linq;
using TcpTools.Engine.Tracking;
using static TcpTools.Engine.Tests.Conversation;

namespace TcpTools.Engine.Tests;

/// <summary>Segments in, RFC 9293 endpoint states out: every transition the tracker makes from the wire.</summary>
public class TrackerStateTests
{
    private static void States(Conversation c, TcpState client, TcpState server)
    {
        var f = c.Current;
        Assert.Equal((client, server), (f.ClientState, f.ServerState));
    }

    private const TcpStateEvidence Receipt = TcpStateEvidence.Receipt;
    private const TcpStateEvidence Answer = TcpStateEvidence.Answer;

    private static TcpTrackerOptions With(TcpStateEvidence evidence) => new() { StateEvidence = evidence };

    /// <summary>The states expected on receipt (the default) or on the receiver's answer.</summary>
    private static void States(Conversation c, TcpStateEvidence evidence, (TcpState Client, TcpState Server) onReceipt, (TcpState Client, TcpState Server) onAnswer)
    {
        var (client, server) = evidence == Receipt ? onReceipt : onAnswer;
        States(c, client, server);
    }

    [Theory]
    [InlineData(false, Receipt)]
    [InlineData(true, Receipt)]
    [InlineData(false, Answer)]
    [InlineData(true, Answer)]
    public void Three_way_handshake_step_by_step(bool ipv6, TcpStateEvidence evidence)
    {
        var c = new Conversation(With(evidence), ipv6: ipv6);
        c.C(S, 1000);
        States(c, TcpState.SynSent, TcpState.Closed); // the server shows nothing until it answers (listening or not)
        Assert.Equal(TcpState.SynSent, c.Current.State);
        c.Sv(SA, 5000, 1001);
        // SYN_SENT + an acceptable SYN-ACK is ESTABLISHED on receipt; on the answer, once the client ACKs it.
        States(c, evidence, (TcpState.Established, TcpState.SynReceived), (TcpState.SynSent, TcpState.SynReceived));
        Assert.Equal(evidence == Receipt ? TcpState.Established : TcpState.SynReceived, c.Current.State);
        c.C(A, 1001, 5001);
        States(c, TcpState.Established, TcpState.Established);
        var f = c.Current;
        Assert.Equal(TcpState.Established, f.State);
        Assert.False(f.IsMidstream);
        Assert.Equal(0.002m, f.HandshakeRtt);
        Assert.Equal(ipv6 ? 6 : 4, f.IPVersion);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void A_server_whose_syn_ack_was_not_captured_is_shown_by_its_ack_of_the_syn(TcpStateEvidence evidence)
    {
        // The SYN-ACK (ISN 5000) is missing from the capture; the server's data acknowledges the client's SYN. Only a
        // listener that answered the SYN can acknowledge it: the server is SYN_RECEIVED (not CLOSED, as if it had
        // never spoken), and the client's ACK of the server's data completes the handshake for both.
        var c = new Conversation(With(evidence)).C(S, 1000);
        c.Sv(PA, 5001, 1001, len: 20);
        States(c, TcpState.SynSent, TcpState.SynReceived);
        c.C(A, 1001, 5021);
        States(c, TcpState.Established, TcpState.Established);
        c.C(FA, 1001, 5021).Sv(FA, 5021, 1002).C(A, 1002, 5022);
        Assert.Equal((TcpState.TimeWait, TcpState.Closed, TcpCloseReason.Fin), (c.Current.ClientState, c.Current.ServerState, c.Current.CloseReason));
    }

    [Fact]
    public void Syn_ack_that_acknowledges_the_wrong_number_does_not_move_the_server()
    {
        var c = new Conversation().C(S, 1000).Sv(SA, 5000, 1234);
        States(c, TcpState.SynSent, TcpState.Closed);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void Client_first_close_goes_through_every_state_to_time_wait_on_the_client(TcpStateEvidence evidence)
    {
        var c = new Conversation(With(evidence)).Handshake().C(PA, 1001, 5001, len: 100).Sv(A, 5001, 1101);
        c.C(FA, 1101, 5001);
        States(c, evidence, (TcpState.FinWait1, TcpState.CloseWait), (TcpState.FinWait1, TcpState.Established));
        c.Sv(A, 5001, 1102);
        States(c, TcpState.FinWait2, TcpState.CloseWait);
        c.Sv(FA, 5001, 1102);
        // FIN_WAIT_2 + FIN is TIME_WAIT (on receipt), the server waiting for the last ACK.
        States(c, evidence, (TcpState.TimeWait, TcpState.LastAck), (TcpState.FinWait2, TcpState.LastAck));
        c.C(A, 1102, 5002);
        States(c, TcpState.TimeWait, TcpState.Closed);
        var f = c.Current;
        Assert.Equal(TcpState.TimeWait, f.State);
        Assert.Equal(TcpCloseReason.Fin, f.CloseReason);
        Assert.Equal(ZeekConnState.SF, f.ConnState);
        Assert.Equal("ShADaFf", f.History); // A is once per direction
        Assert.Equal(f.LastSeen + TimeSpan.FromSeconds(60), f.TimeWaitEnds);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void Server_first_close_puts_the_server_in_time_wait(TcpStateEvidence evidence)
    {
        var c = new Conversation(With(evidence)).Handshake();
        c.Sv(FA, 5001, 1001);
        // ESTABLISHED + FIN is CLOSE_WAIT: on receipt at once, on the answer once the client acknowledges the FIN.
        States(c, evidence, (TcpState.CloseWait, TcpState.FinWait1), (TcpState.Established, TcpState.FinWait1));
        Assert.Equal(TcpState.FinWait1, c.Current.State);
        c.C(A, 1001, 5002);
        States(c, TcpState.CloseWait, TcpState.FinWait2);
        c.C(FA, 1001, 5002);
        States(c, evidence, (TcpState.LastAck, TcpState.TimeWait), (TcpState.LastAck, TcpState.FinWait2));
        c.Sv(A, 5002, 1002);
        States(c, TcpState.Closed, TcpState.TimeWait);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void Fin_ack_that_also_acknowledges_the_peers_fin_makes_the_sender_the_passive_closer(TcpStateEvidence evidence)
    {
        var c = new Conversation(With(evidence)).Handshake().C(FA, 1001, 5001).Sv(FA, 5001, 1002);
        // FIN_WAIT_1 + a FIN that acknowledges its own FIN is TIME_WAIT on receipt.
        States(c, evidence, (TcpState.TimeWait, TcpState.LastAck), (TcpState.FinWait2, TcpState.LastAck));
        Assert.Equal(evidence == Receipt ? TcpCloseReason.Fin : TcpCloseReason.Open, c.Current.CloseReason); // an endpoint in TIME_WAIT: closed
        c.C(A, 1002, 5002);
        States(c, TcpState.TimeWait, TcpState.Closed);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void A_fin_whose_ack_lags_an_earlier_ack_of_the_peers_fin_is_still_the_passive_close(TcpStateEvidence evidence)
    {
        // The server acknowledged the client's FIN (CLOSE_WAIT), then its FIN carries an older ack (reordered): it
        // had received the FIN, so it is LAST_ACK, not CLOSING.
        var c = new Conversation(With(evidence)).Handshake().C(FA, 1001, 5001).Sv(A, 5001, 1002).Sv(FA, 5001, 1001);
        States(c, evidence, (TcpState.TimeWait, TcpState.LastAck), (TcpState.FinWait2, TcpState.LastAck));
    }

    [Theory]
    [InlineData(Receipt, 1001u)] // stops short of the FIN (which occupies 1001)
    [InlineData(Answer, 1001u)]
    [InlineData(Receipt, 9999u)] // beyond anything the client sent
    [InlineData(Answer, 9999u)]
    public void An_ack_that_does_not_acknowledge_the_fin_exactly_is_not_taken(TcpStateEvidence evidence, uint ack)
    {
        // The client stays in FIN_WAIT_1 either way; the server received the FIN (on receipt), or has not shown it.
        var c = new Conversation(With(evidence)).Handshake().C(FA, 1001, 5001).Sv(A, 5001, ack);
        States(c, evidence, (TcpState.FinWait1, TcpState.CloseWait), (TcpState.FinWait1, TcpState.Established));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_receipt_a_fin_beyond_a_gap_in_its_senders_data_does_not_move_the_receiver(bool ipv6)
    {
        var inOrder = new Conversation(ipv6: ipv6).Handshake().C(PA, 1001, 5001, len: 100).C(FA, 1101, 5001);
        States(inOrder, TcpState.FinWait1, TcpState.CloseWait);
        // 1101..1200 never captured: the server holds the FIN until the gap is filled, and stays ESTABLISHED.
        var c = new Conversation(ipv6: ipv6).Handshake().C(PA, 1001, 5001, len: 100).C(FA, 1201, 5001);
        States(c, TcpState.FinWait1, TcpState.Established);
        // The gap filled late: the server's ACK of the FIN shows it received it.
        c.C(PA, 1101, 5001, len: 100).Sv(A, 5001, 1202);
        States(c, TcpState.FinWait2, TcpState.CloseWait);
    }

    [Fact]
    public void On_receipt_a_fin_after_a_hole_in_its_senders_data_does_not_move_the_receiver()
    {
        // 1101..1200 lost before the capture point, 1201..1300 seen: the FIN at 1301 is not beyond the highest
        // byte seen, but the server holds it (and keeps acknowledging 1101).
        var c = new Conversation().Handshake().C(PA, 1001, 5001, len: 100).C(PA, 1201, 5001, len: 100).C(FA, 1301, 5001);
        States(c, TcpState.FinWait1, TcpState.Established);
        c.Sv(A, 5001, 1101); // the duplicate ACK that shows the hole
        States(c, TcpState.FinWait1, TcpState.Established);
    }

    [Fact]
    public void On_receipt_a_fin_the_receiver_would_drop_does_not_move_it()
    {
        // RFC 9293 3.10.7, synchronized states: no ACK bit, or an ACK of something never sent: dropped.
        var bare = new Conversation().Handshake().C(TcpFlags.Fin, 1001);
        States(bare, TcpState.FinWait1, TcpState.Established);
        var beyond = new Conversation().Handshake().C(FA, 1001, 9000);
        States(beyond, TcpState.FinWait1, TcpState.Established);
        // A lone FIN (a FIN scan) is picked up mid-stream and moves no receiver either.
        var scan = new Conversation().C(TcpFlags.Fin, 77_000);
        Assert.Equal(TcpState.Established, scan.Current.ServerState);
    }

    [Fact]
    public void On_receipt_a_syn_ack_that_acknowledges_the_wrong_number_does_not_move_the_client()
    {
        var c = new Conversation().C(S, 1000).Sv(SA, 5000, 1005);
        States(c, TcpState.SynSent, TcpState.Closed);
    }

    [Fact]
    public void On_receipt_a_fin_to_an_endpoint_that_is_not_synchronized_does_not_move_it()
    {
        // A FIN with the SYN-ACK's ACK missing from the capture: the server is SYN_RECEIVED; the FIN's own ACK
        // acknowledges the server's SYN, so the server is ESTABLISHED first, then CLOSE_WAIT.
        var c = new Conversation().C(S, 1000).Sv(SA, 5000, 1001).C(FA, 1001, 5001);
        States(c, TcpState.FinWait1, TcpState.CloseWait);
        // A FIN without ACK to a server that never answered: nothing to move.
        var d = new Conversation().C(S, 1000).C(TcpFlags.Fin, 1001, 0);
        Assert.Equal(TcpState.Closed, d.Current.ServerState);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void Simultaneous_open_is_one_connection_through_syn_received(TcpStateEvidence evidence)
    {
        var c = new Conversation(With(evidence)).C(S, 1000).Sv(S, 5000);
        // Each SYN reaches an endpoint in SYN_SENT: SYN_RECEIVED both (RFC 9293 figure 7).
        States(c, evidence, (TcpState.SynReceived, TcpState.SynReceived), (TcpState.SynSent, TcpState.SynSent));
        c.C(SA, 1000, 5001);
        States(c, evidence, (TcpState.SynReceived, TcpState.Established), (TcpState.SynReceived, TcpState.SynSent));
        c.Sv(SA, 5000, 1001);
        States(c, TcpState.Established, TcpState.Established);
        Assert.Single(c.Tracker.Current());
        Assert.Equal(0, c.Tracker.Statistics.FlowsReused);
    }

    [Theory]
    [InlineData(Receipt)]
    [InlineData(Answer)]
    public void Simultaneous_close_passes_closing_and_ends_in_time_wait_on_both_sides(TcpStateEvidence evidence)
    {
        // The server's FIN does not acknowledge the client's: the FINs crossed, both are active closers.
        var c = new Conversation(With(evidence)).Handshake().C(FA, 1001, 5001).Sv(FA, 5001, 1001);
        States(c, evidence, (TcpState.Closing, TcpState.Closing), (TcpState.FinWait1, TcpState.FinWait1));
        c.C(A, 1002, 5002);
        States(c, evidence, (TcpState.Closing, TcpState.TimeWait), (TcpState.Closing, TcpState.FinWait2));
        c.Sv(A, 5002, 1002);
        States(c, TcpState.TimeWait, TcpState.TimeWait);
        Assert.Equal(TcpState.TimeWait, c.Current.State);
    }

    [Fact]
    public void Rst_at_the_expected_sequence_number_closes_both_sides()
    {
        var c = new Conversation().Handshake().C(PA, 1001, 5001, len: 10).Sv(RA, 5001, 1011);
        States(c, TcpState.Closed, TcpState.Closed);
        var f = c.Current;
        Assert.Equal(TcpCloseReason.Reset, f.CloseReason);
        Assert.Equal(ZeekConnState.RSTR, f.ConnState);
    }

    [Fact]
    public void Rst_outside_the_window_is_ignored()
    {
        var c = new Conversation().Handshake().Sv(R, 5001 + 1_000_000);
        States(c, TcpState.Established, TcpState.Established);
        Assert.Equal(1, c.Tracker.Statistics.ResetsIgnored);
        Assert.Equal(TcpCloseReason.Open, c.Current.CloseReason);
    }

    [Fact]
    public void Rst_inside_the_window_but_not_exact_is_challenged_not_obeyed()
    {
        // RFC 5961 3.2: the receiver answers with a challenge ACK; only an exact match resets.
        var c = new Conversation().Handshake().Sv(R, 5001 + 100).C(A, 1001, 5001);
        States(c, TcpState.Established, TcpState.Established);
        Assert.Equal(1, c.Tracker.Statistics.ResetsIgnored);
    }

    [Fact]
    public void Rst_answering_a_syn_must_acknowledge_it()
    {
        var wrong = new Conversation().C(S, 1000).Sv(RA, 0, 77);
        States(wrong, TcpState.SynSent, TcpState.Closed);
        var right = new Conversation().C(S, 1000).Sv(RA, 0, 1001);
        States(right, TcpState.Closed, TcpState.Closed);
        var f = right.Current;
        Assert.Equal((ZeekConnState.REJ, "Sr", TcpCloseReason.Reset), (f.ConnState, f.History, f.CloseReason));
    }

    [Fact]
    public void A_client_abandoning_its_unanswered_syn_with_a_rst_ends_the_connection()
    {
        // Zeek's RSTOS0: SYN, then a RST at the SYN's own sequence number, the server silent throughout.
        var c = new Conversation().C(S, 1000).C(R, 1000);
        States(c, TcpState.Closed, TcpState.Closed);
        var f = c.Current;
        Assert.Equal((ZeekConnState.RSTOS0, "SR", TcpCloseReason.Reset), (f.ConnState, f.History, f.CloseReason));
        // Once the server has answered, the same RST is one the server would not accept (it expects 1001), and the
        // capture cannot tell it from a forged one: it is ignored (the client took the SYN-ACK on receipt).
        var answered = new Conversation().C(S, 1000).Sv(SA, 5000, 1001).C(R, 1000);
        States(answered, TcpState.Established, TcpState.SynReceived);
        Assert.Equal(1, answered.Tracker.Statistics.ResetsIgnored);
    }

    [Fact]
    public void Port_scanner_rst_after_syn_ack_tears_down_the_half_open_connection()
    {
        var c = new Conversation().C(S, 1000).Sv(SA, 5000, 1001).C(R, 1001);
        States(c, TcpState.Closed, TcpState.Closed);
        Assert.Equal(ZeekConnState.RSTO, c.Current.ConnState);
    }

    [Fact]
    public void Lost_segments_before_the_capture_point_leave_states_alone_and_count_retransmissions()
    {
        var c = new Conversation().Handshake()
            .Sv(A, 5001, 1001, len: 100)
            .Sv(A, 5201, 1001, len: 100) // 5101..5200 never captured
            .C(A, 1001, 5101).C(A, 1001, 5101).C(A, 1001, 5101)
            .Sv(A, 5101, 1001, len: 100); // the gap filled late: a retransmission
        var f = c.Current;
        States(c, TcpState.Established, TcpState.Established);
        Assert.Equal(1u, f.ServerRetransmissions);
        Assert.Equal(2u, f.ClientDuplicateAcks);
    }

    [Fact]
    public void Duplicated_segments_are_retransmissions_not_new_data()
    {
        var c = new Conversation().Handshake().C(PA, 1001, 5001, len: 50).C(PA, 1001, 5001, len: 50).Sv(A, 5001, 1051);
        var f = c.Current;
        Assert.Equal(50ul, f.ClientBytes);
        Assert.True(f.ClientRetransmissions + f.ClientOutOfOrder == 1);
        Assert.Equal(3u + 1, f.ClientPackets);
    }

    [Fact]
    public void Sequence_numbers_wrap_modulo_2_to_the_32()
    {
        const uint c0 = 0xFFFF_FF00, s0 = 0xFFFF_FFF0;
        var c = new Conversation().Handshake(c0, s0)
            .C(PA, c0 + 1, s0 + 1, len: 1000)           // crosses 2^32
            .Sv(PA, s0 + 1, unchecked(c0 + 1001), len: 500) // crosses 2^32
            .C(FA, unchecked(c0 + 1001), unchecked(s0 + 501))
            .Sv(FA, unchecked(s0 + 501), unchecked(c0 + 1002))
            .C(A, unchecked(c0 + 1002), unchecked(s0 + 502));
        var f = c.Current;
        States(c, TcpState.TimeWait, TcpState.Closed);
        Assert.Equal((1000ul, 500ul), (f.ClientBytes, f.ServerBytes));
        Assert.Equal(0u, f.ClientRetransmissions + f.ServerRetransmissions + f.ClientOutOfOrder + f.ServerOutOfOrder);
        Assert.Equal(unchecked(c0 + 1002), f.ClientNextSequence);
    }

    [Fact]
    public void No_handshake_rtt_without_the_clients_syn()
    {
        // The capture begins at the SYN-ACK: only half the handshake is on the wire, so there is nothing to measure.
        var c = new Conversation().Sv(SA, 5000, 1001).C(A, 1001, 5001);
        States(c, TcpState.Established, TcpState.Established);
        Assert.Null(c.Current.HandshakeRtt);
        // An ACK stamped before its SYN (clock trouble across capture points) gives no figure either.
        var d = new Conversation().C(S, 1000).Sv(SA, 5000, 1001);
        d.Now -= 10_000_000;
        d.C(A, 1001, 5001);
        Assert.Null(d.Current.HandshakeRtt);
    }

    [Fact]
    public void A_flow_picked_up_mid_stream_is_established_and_marked()
    {
        var c = new Conversation().C(PA, 77_000, 99_000, len: 20).Sv(A, 99_000, 77_020);
        var f = c.Current;
        States(c, TcpState.Established, TcpState.Established);
        Assert.True(f.IsMidstream);
        Assert.Null(f.HandshakeRtt);
        c.Sv(FA, 99_000, 77_020).C(A, 77_020, 99_001).C(FA, 77_020, 99_001).Sv(A, 99_001, 77_021);
        States(c, TcpState.Closed, TcpState.TimeWait);
    }

    [Fact]
    public void Mid_stream_roles_follow_the_server_port()
    {
        // The first segment comes from the server (port 80): it is still the server.
        var c = new Conversation().Sv(PA, 99_000, 77_000, len: 20).C(A, 77_000, 99_020);
        var f = c.Current;
        Assert.Equal(80, f.ServerPort);
        Assert.Equal("^dA", f.History); // Zeek's flip at creation, then the responder's data and the originator's ACK
    }

    [Fact]
    public void A_syn_ack_first_infers_the_client_syn()
    {
        var c = new Conversation(serverPort: 5000).Sv(SA, 5000, 1001);
        States(c, TcpState.Established, TcpState.SynReceived); // the inferred SYN's client received the SYN-ACK
        Assert.Equal(5000, c.Current.ServerPort);
        c.C(A, 1001, 5001);
        States(c, TcpState.Established, TcpState.Established);
        Assert.Equal("^hA", c.Current.History);
    }

    [Theory]
    [InlineData(30, 59, TcpState.TimeWait)]
    [InlineData(30, 61, TcpState.Closed)]
    [InlineData(5, 9, TcpState.TimeWait)]
    [InlineData(5, 11, TcpState.Closed)]
    public void Time_wait_lasts_two_msl_of_capture_time(int mslSeconds, int waitSeconds, TcpState expected)
    {
        var c = new Conversation(new TcpTrackerOptions { Msl = TimeSpan.FromSeconds(mslSeconds) })
            .Handshake().C(FA, 1001, 5001).Sv(FA, 5001, 1002).C(A, 1002, 5002);
        // The end of the input is the last segment's time: another flow's segment carries the clock on.
        var later = new Conversation(tracker: c.Tracker, clientPort: 40001) { Now = c.Now - 1_000_000 + waitSeconds * 1_000_000_000L };
        later.C(S, 1);
        var f = Assert.Single(c.Complete().Concat(later.Emitted), e => e.ClientPort == 40000);
        Assert.Equal(expected, f.ClientState);
        Assert.Equal(TcpState.Closed, f.ServerState);
        Assert.Equal(TcpCloseReason.Fin, f.CloseReason);
    }

    [Fact]
    public void Time_wait_expiry_is_driven_by_other_traffic_in_the_capture()
    {
        var tracker = new TcpTracker();
        var a = new Conversation(tracker: tracker).Handshake().C(FA, 1001, 5001).Sv(FA, 5001, 1002).C(A, 1002, 5002);
        var b = new Conversation(tracker: tracker, clientPort: 40001) { Now = a.Now + 61_000_000_000L };
        for (int i = 0; i < 4; i++)
        {
            b.C(S, 7000); // any later segment moves the clock; sweeping finds the expired flow
        }
        var closed = Assert.Single(b.Emitted.Concat(a.Emitted));
        Assert.Equal((TcpState.Closed, TcpState.Closed, (ushort)40000), (closed.ClientState, closed.ServerState, closed.ClientPort));
    }

    [Fact]
    public void A_new_syn_on_a_4_tuple_in_time_wait_is_a_new_flow_and_the_old_one_is_untouched()
    {
        var c = new Conversation().Handshake().C(FA, 1001, 5001).Sv(FA, 5001, 1002).C(A, 1002, 5002)
            .Wait(TimeSpan.FromSeconds(2))
            .C(S, 900_000);
        var old = Assert.Single(c.Emitted);
        Assert.Equal((TcpState.TimeWait, TcpState.Closed, ZeekConnState.SF), (old.ClientState, old.ServerState, old.ConnState));
        var fresh = c.Current;
        Assert.Equal(TcpState.SynSent, fresh.ClientState);
        Assert.Equal("S", fresh.History);
        Assert.NotEqual(old.Id, fresh.Id);
        Assert.Equal(1, c.Tracker.Statistics.FlowsReused);
    }

    [Theory]
    [InlineData(TcpTimeoutPolicy.Conntrack, 119, TcpCloseReason.Open)]
    [InlineData(TcpTimeoutPolicy.Conntrack, 121, TcpCloseReason.Timeout)]
    [InlineData(TcpTimeoutPolicy.Zeek, 4, TcpCloseReason.Open)]
    [InlineData(TcpTimeoutPolicy.Zeek, 6, TcpCloseReason.Timeout)]
    public void An_unanswered_syn_times_out_as_conntrack_or_zeek_would(TcpTimeoutPolicy policy, int seconds, TcpCloseReason reason)
    {
        var c = new Conversation(new TcpTrackerOptions { TimeoutPolicy = policy }).C(S, 1000);
        // A segment of another flow later in the capture moves the clock past (or not past) the timeout.
        var other = new Conversation(tracker: c.Tracker, clientPort: 40001) { Now = c.Now + seconds * 1_000_000_000L };
        other.C(S, 1);
        var all = c.Complete().Concat(other.Emitted).Where(f => f.ClientPort == 40000).ToList();
        var f = Assert.Single(all);
        Assert.Equal(reason, f.CloseReason);
        Assert.Equal(ZeekConnState.S0, f.ConnState);
        Assert.Equal(reason == TcpCloseReason.Timeout ? TcpState.Closed : TcpState.SynSent, f.ClientState);
    }

    [Theory]
    [InlineData(false, 59, TcpCloseReason.Open)] // half-closed: conntrack's CLOSE_WAIT, 60 s
    [InlineData(false, 61, TcpCloseReason.Timeout)]
    [InlineData(true, 29, TcpCloseReason.Open)] // both FINs, the last one unacknowledged: LAST_ACK, 30 s
    [InlineData(true, 31, TcpCloseReason.Timeout)]
    public void A_closing_connection_times_out_after_conntracks_timeout_for_its_state(bool bothFins, int seconds, TcpCloseReason reason)
    {
        // On the answer, so that the client is FIN_WAIT_2 (on receipt it is TIME_WAIT, which lasts 2 MSL: below).
        var c = new Conversation(With(Answer)).Handshake().C(FA, 1001, 5001).Sv(A, 5001, 1002);
        if (bothFins)
        {
            c.Sv(FA, 5001, 1002); // the client's ACK of it never comes
        }
        var other = new Conversation(tracker: c.Tracker, clientPort: 40001) { Now = c.Now + seconds * 1_000_000_000L };
        other.C(S, 1);
        var f = Assert.Single(c.Complete().Concat(other.Emitted), f => f.ClientPort == 40000);
        Assert.Equal(reason, f.CloseReason);
        var expected = reason == TcpCloseReason.Timeout ? (TcpState.Closed, TcpState.Closed)
            : bothFins ? (TcpState.FinWait2, TcpState.LastAck) : (TcpState.FinWait2, TcpState.CloseWait);
        Assert.Equal(expected, (f.ClientState, f.ServerState));
    }

    [Theory]
    [InlineData(59, TcpState.TimeWait, TcpState.LastAck)]
    [InlineData(61, TcpState.Closed, TcpState.Closed)]
    public void On_receipt_a_client_in_time_wait_whose_last_ack_is_missing_stays_2_msl(int seconds, TcpState client, TcpState server)
    {
        var c = new Conversation().Handshake().C(FA, 1001, 5001).Sv(A, 5001, 1002).Sv(FA, 5001, 1002);
        var other = new Conversation(tracker: c.Tracker, clientPort: 40001) { Now = c.Now + seconds * 1_000_000_000L };
        other.C(S, 1);
        var f = Assert.Single(c.Complete().Concat(other.Emitted), f => f.ClientPort == 40000);
        Assert.Equal((client, server, TcpCloseReason.Fin), (f.ClientState, f.ServerState, f.CloseReason));
    }

    [Fact]
    public void Watch_mode_on_receipt_emits_every_state_change_in_order()
    {
        var c = new Conversation(new TcpTrackerOptions { EmitStateChanges = true })
            .Handshake().C(PA, 1001, 5001, len: 10).Sv(A, 5001, 1011)
            .C(FA, 1011, 5001).Sv(A, 5001, 1012).Sv(FA, 5001, 1012).C(A, 1012, 5002);
        // State is the endpoint further along: the client ESTABLISHED at the SYN-ACK, TIME_WAIT at the server's FIN.
        Assert.Equal(new[] { TcpState.SynSent, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait },
            c.Emitted.Select(e => e.State));
        Assert.Equal((TcpState.TimeWait, TcpState.LastAck, TcpCloseReason.Fin), (c.Emitted[4].ClientState, c.Emitted[4].ServerState, c.Emitted[4].CloseReason));
    }

    [Fact]
    public void Watch_mode_emits_every_state_change_in_order()
    {
        var c = new Conversation(new TcpTrackerOptions { EmitStateChanges = true, StateEvidence = Answer })
            .Handshake().C(PA, 1001, 5001, len: 10).Sv(A, 5001, 1011)
            .C(FA, 1011, 5001).Sv(A, 5001, 1012).Sv(FA, 5001, 1012).C(A, 1012, 5002);
        Assert.Equal(new[] { TcpState.SynSent, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.LastAck, TcpState.TimeWait },
            c.Emitted.Select(e => e.State));
        Assert.All(c.Emitted.Take(6), e => Assert.Equal(TcpCloseReason.Open, e.CloseReason));
        Assert.Equal(TcpCloseReason.Fin, c.Emitted[6].CloseReason); // both FINs exchanged: closed, TIME_WAIT running
        // TIME_WAIT ends 2 MSL later: one more change, to Closed.
        var other = new Conversation(tracker: c.Tracker, clientPort: 40001) { Now = c.Now + 61_000_000_000L };
        other.C(S, 1);
        var last = c.Emitted.Concat(other.Emitted).Last(e => e.ClientPort == 40000);
        Assert.Equal((TcpState.Closed, TcpCloseReason.Fin), (last.State, last.CloseReason));
    }

    [Fact]
    public void Watch_mode_reports_a_reset_as_a_reset()
    {
        var c = new Conversation(new TcpTrackerOptions { EmitStateChanges = true }).Handshake().C(R, 1001);
        var last = c.Emitted.Last();
        Assert.Equal((TcpState.Closed, TcpState.Closed, TcpCloseReason.Reset), (last.ClientState, last.ServerState, last.CloseReason));
    }

    [Fact]
    public void Watch_mode_reports_a_connection_picked_up_mid_stream_at_its_first_segment()
    {
        var c = new Conversation(new TcpTrackerOptions { EmitStateChanges = true }).C(PA, 1001, 5001, len: 10);
        var first = Assert.Single(c.Emitted);
        Assert.True(first.IsMidstream);
        Assert.Equal(TcpState.Established, first.State);
    }

    [Fact]
    public void Watch_mode_reports_evicted_connections()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { EmitStateChanges = true, MaxFlows = 1 });
        var a = new Conversation(tracker: tracker, clientPort: 1).C(S, 1);
        var b = new Conversation(tracker: tracker, clientPort: 2) { Now = a.Now + 1_000_000 }.C(S, 1);
        Assert.Contains(b.Emitted, e => e.ClientPort == 1 && e.CloseReason == TcpCloseReason.Evicted);
    }

    [Fact]
    public void Zeek_policy_splits_an_unanswered_syn_retried_after_five_seconds_into_two_rows()
    {
        var c = new Conversation(new TcpTrackerOptions { TimeoutPolicy = TcpTimeoutPolicy.Zeek })
            .C(S, 1000).Wait(TimeSpan.FromSeconds(6)).C(S, 1000);
        var rows = c.Complete();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((ZeekConnState.S0, "S"), (r.ConnState, r.History)));
    }

    [Fact]
    public void A_full_table_evicts_the_least_recently_active_flow()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { MaxFlows = 3 });
        long now = 1_700_000_000_000_000_000;
        var evicted = new System.Collections.Generic.List<TcpConnectionState>();
        for (ushort port = 1; port <= 10; port++)
        {
            var c = new Conversation(tracker: tracker, clientPort: port) { Now = now + port * 1_000_000_000L };
            c.C(S, 1000);
            evicted.AddRange(c.Emitted);
        }
        Assert.Equal(3, tracker.FlowCount);
        Assert.Equal(7, tracker.Statistics.FlowsEvicted);
        Assert.Equal(new ushort[] { 8, 9, 10 }, tracker.Current().Select(f => f.ClientPort).OrderBy(p => p));
        Assert.Equal(7, evicted.Count);
        Assert.All(evicted, f => Assert.Equal(TcpCloseReason.Evicted, f.CloseReason));
    }

    [Fact]
    public void A_full_table_makes_room_with_finished_flows_first_and_keeps_their_close_reason()
    {
        var tracker = new TcpTracker(new TcpTrackerOptions { MaxFlows = 2 });
        var closed = new Conversation(tracker: tracker, clientPort: 1).Handshake()
            .C(FA, 1001, 5001).Sv(FA, 5001, 1002).C(A, 1002, 5002); // client in TIME_WAIT
        var open = new Conversation(tracker: tracker, clientPort: 2) { Now = closed.Now + 1_000_000 }.Handshake();
        // The open flow is the more recently active, but the finished one goes first, and whatever is sampled.
        var third = new Conversation(tracker: tracker, clientPort: 3) { Now = open.Now + 1_000_000 }.C(S, 1000);
        var gone = Assert.Single(third.Emitted);
        Assert.Equal((1, TcpCloseReason.Fin, TcpState.TimeWait), (gone.ClientPort, gone.CloseReason, gone.State));
        Assert.Equal((0L, 1L), (tracker.Statistics.FlowsEvicted, tracker.Statistics.FinishedFlowsEvicted));
        // With only open flows left, the least recently active open one is evicted as such.
        var fourth = new Conversation(tracker: tracker, clientPort: 4) { Now = third.Now + 1_000_000 }.C(S, 1000);
        var evicted = Assert.Single(fourth.Emitted);
        Assert.Equal((2, TcpCloseReason.Evicted), (evicted.ClientPort, evicted.CloseReason));
        Assert.Equal(1L, tracker.Statistics.FlowsEvicted);
    }

    [Theory]
    [InlineData(3600L)] // an hour
    [InlineData(4000L * 86_400)] // eleven years: beyond a lag in milliseconds
    public void An_older_capture_read_after_a_newer_one_keeps_its_connections_whole(long lateSeconds)
    {
        // Files given newest first: the older file's segments are all late. Each connection keeps its own times, and
        // its timers run from the tracker's clock, so it does not time out between its own segments.
        var tracker = new TcpTracker();
        long older = 1_300_000_000_000_000_000, newer = older + lateSeconds * 1_000_000_000;
        new Conversation(tracker: tracker, clientPort: 1) { Now = newer }.Handshake();
        var late = new Conversation(tracker: tracker, clientPort: 2) { Now = older }.Handshake()
            .C(PA, 1001, 5001, len: 10).Wait(TimeSpan.FromMinutes(3)).Sv(A, 5001, 1011);
        Assert.Empty(late.Emitted);
        var rows = late.Complete().OrderBy(r => r.ClientPort).ToList();
        Assert.Equal(2, rows.Count);
        var row = rows[1];
        Assert.Equal((TcpState.Established, TcpCloseReason.Open, 3u, 2u), (row.State, row.CloseReason, row.ClientPackets, row.ServerPackets));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(older / 1_000_000).UtcDateTime, row.FirstSeen);
        Assert.Equal(180.004m, row.Duration);
        Assert.Equal(5L, tracker.Statistics.OutOfTimeOrder);
    }

    [Fact]
    public void Late_segments_still_run_out_on_their_own_flows_time()
    {
        // Zeek's 5 s attempt timer inside an older file read after a newer one: the retried SYN 6 s later (on the
        // older file's time) is a new row, as when the older file is read alone.
        var tracker = new TcpTracker(new TcpTrackerOptions { TimeoutPolicy = TcpTimeoutPolicy.Zeek });
        long older = 1_700_000_000_000_000_000;
        new Conversation(tracker: tracker, clientPort: 1) { Now = older + 3_600_000_000_000 }.Handshake();
        var late = new Conversation(tracker: tracker, clientPort: 2) { Now = older }.C(S, 1000).Wait(TimeSpan.FromSeconds(6)).C(S, 1000);
        var rows = late.Complete().Where(r => r.ClientPort == 2).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((ZeekConnState.S0, "S"), (r.ConnState, r.History)));
    }

    [Fact]
    public void Segments_out_of_time_order_are_counted_and_still_tracked()
    {
        var c = new Conversation().C(S, 1000);
        c.Now -= 10_000_000;
        c.Sv(SA, 5000, 1001);
        Assert.Equal(1, c.Tracker.Statistics.OutOfTimeOrder);
        States(c, TcpState.Established, TcpState.SynReceived);
    }

    [Fact]
    public void Options_of_the_handshake_are_kept()
    {
        byte[] options = { 2, 4, 0x05, 0xB4, 1, 3, 3, 7 }; // MSS 1460, NOP, WS 7
        var c = new Conversation().C(S, 1000, options: options).Sv(SA, 5000, 1001, options: new byte[] { 2, 4, 0x05, 0x8C, 0, 0, 0, 0 });
        var f = c.Current;
        Assert.Equal(((ushort?)1460, 7, (ushort?)1420, (int?)null), (f.ClientMss, f.ClientWindowScale, f.ServerMss, f.ServerWindowScale));
    }

    [Fact]
    public void Ids_are_stable_and_community_id_matches_the_spec()
    {
        var a = new Conversation().C(S, 1000).Current;
        var b = new Conversation().C(S, 1000).Current;
        Assert.Equal(a.Id, b.Id);
        Assert.NotEqual(a.Id, new Conversation(clientPort: 40001).C(S, 1000).Current.Id);
        // The Community ID spec's own examples (corelight/community-id-spec), whichever side speaks first.
        var v4 = new Conversation(clientAddress: "128.232.110.120", serverAddress: "66.35.250.204", clientPort: 34855, serverPort: 80);
        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", v4.C(S, 1000).Current.CommunityId);
        var v6 = new Conversation(ipv6: true, clientAddress: "2001:470:e5bf:dead:4957:2174:e82c:4887", serverAddress: "2607:f8b0:400c:c03::1a", clientPort: 63943, serverPort: 25);
        Assert.Equal("1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", v6.Sv(SA, 5000, 1001).Current.CommunityId);
    }
}
