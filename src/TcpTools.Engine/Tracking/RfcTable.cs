using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>What one segment shows about one endpoint (<see cref="RfcTransitions"/> classifies it).</summary>
internal enum RfcSegment : byte
{
    /// <summary>A SYN without ACK.</summary>
    Syn,

    /// <summary>A SYN whose ACK acknowledges the receiver's SYN.</summary>
    SynAck,

    /// <summary>An ACK that acknowledges the receiver's SYN (on a segment without SYN).</summary>
    AckOfSyn,

    /// <summary>An ACK that acknowledges the receiver's FIN.</summary>
    AckOfFin,

    /// <summary>The sender's first FIN.</summary>
    Fin,

    /// <summary>An acceptable RST.</summary>
    Rst,
}

/// <summary>Which end of a segment an endpoint is.</summary>
internal enum RfcDirection : byte
{
    /// <summary>It sent the segment: the segment shows what it had done and received.</summary>
    Sent,

    /// <summary>The segment was sent to it.</summary>
    Received,
}

/// <summary>
/// The RFC 9293 state machine (section 3.3.2, figure 5; the event processing of 3.10.7) as a table: an endpoint's
/// next state by the direction of the segment, the segment's class and the endpoint's state, as Linux conntrack
/// writes <c>tcp_conntracks</c>. Every cell is commented below its row. Two cells depend on more than the three
/// indexes; they hold a split value that <see cref="Move"/> resolves in one switch. The exceptions that depend on
/// the segment and the capture (a SYN sent before the capture began, SYNs that crossed) are in
/// <see cref="RfcTransitions"/>; a 4-tuple reused after TIME_WAIT is a new flow (TcpTracker.IsReuse).
/// Tests: TransitionTableTests checks each cell against the arcs of figure 5 and against Golden/rfc-table.tsv,
/// which is generated from this table.
/// </summary>
internal static class RfcTable
{
    private const TcpState CL = TcpState.Closed, LI = TcpState.Listen, SS = TcpState.SynSent, SR = TcpState.SynReceived,
        ES = TcpState.Established, F1 = TcpState.FinWait1, F2 = TcpState.FinWait2, CW = TcpState.CloseWait,
        CG = TcpState.Closing, LA = TcpState.LastAck, TW = TcpState.TimeWait;

    /// <summary>Split cell: SYN_RECEIVED, or ESTABLISHED when the endpoint's own SYN has been acknowledged (3.10.7.3: "if SND.UNA &gt; ISS").</summary>
    private const TcpState SRorES = (TcpState)0xF0;

    /// <summary>Split cell: LAST_ACK, or CLOSING when the FIN's ACK shows the peer's FIN had not yet reached its sender (a simultaneous close).</summary>
    private const TcpState LAorCG = (TcpState)0xF1;

    public const int States = (int)TcpState.TimeWait + 1;
    public const int Segments = (int)RfcSegment.Rst + 1;

    // The Listen column is never read: the wire cannot show LISTEN (an endpoint is CLOSED until it answers), so no
    // endpoint holds it; each row keeps it where it is.

    private static readonly TcpState[] s_sent =
    {
        //            CLOSED LISTEN SYN_SENT SYN_RCVD ESTAB FIN_WAIT1 FIN_WAIT2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT
        /* Syn      */ SS,   LI,    SS,      SR,      ES,   F1,       F2,       CW,        CG,     LA,      TW,
        // CLOSED -> SYN_SENT       an active OPEN sends its SYN (3.10.1)
        // SYN_SENT -> SYN_SENT     its SYN retransmitted
        // SYN_RCVD -> SYN_RCVD     its SYN again after the peer's crossed it (simultaneous open, figure 8)
        // ESTAB .. TIME_WAIT       no move: a SYN in a synchronized state is an anomaly (SynAfterClose, PortsReused)

        /* SynAck   */ SR,   LI,    SRorES,  SR,      ES,   F1,       F2,       CW,        CG,     LA,      TW,
        // CLOSED -> SYN_RCVD       LISTEN received a SYN and answers it (3.10.7.2); the capture sees it only now
        // SYN_SENT -> SYN_RCVD     simultaneous open: it received the peer's SYN in SYN_SENT and answers (3.10.7.3);
        //                          ESTABLISHED instead if the peer had already acknowledged its SYN
        // SYN_RCVD -> SYN_RCVD     its SYN-ACK retransmitted
        // ESTAB .. TIME_WAIT       no move: a late or retransmitted SYN-ACK

        /* AckOfSyn */ SR,   LI,    SRorES,  SR,      ES,   F1,       F2,       CW,        CG,     LA,      TW,
        // CLOSED -> SYN_RCVD       its ACK shows it received the peer's SYN, which only LISTEN answers (with a SYN-ACK
        //                          the capture did not show): LISTEN + SYN -> SYN_RECEIVED (3.10.7.2)
        // SYN_SENT -> ESTAB        its ACK shows it received the peer's SYN-ACK (3.10.7.3; what moves the client
        //                          under -StateEvidence Answer); SYN_RCVD if its own SYN is not acknowledged yet
        // SYN_RCVD .. TIME_WAIT    no move: it had received the SYN already

        /* AckOfFin */ CW,   LI,    CW,      CW,      CW,   CG,       TW,       CW,        CG,     LA,      TW,
        // ESTAB -> CLOSE_WAIT      its ACK shows it received the peer's FIN (3.10.7.4, eighth)
        // FIN_WAIT1 -> CLOSING     it received the peer's FIN before its own was acknowledged
        // FIN_WAIT2 -> TIME_WAIT   it received the peer's FIN after its own was acknowledged
        // CLOSED, SYN_SENT, SYN_RCVD -> CLOSE_WAIT  it has received a FIN, so it was synchronized: the capture
        //                          missed how (a mid-capture loss of the handshake's last segments)
        // CLOSE_WAIT, CLOSING, TIME_WAIT -> same   it moved on receipt of the FIN already (or acknowledges it again)
        // LAST_ACK -> LAST_ACK     it had received the peer's FIN before it sent its own

        /* Fin      */ F1,   LI,    F1,      F1,      F1,   F1,       F2,       LAorCG,    CG,     LA,      TW,
        // ESTAB -> FIN_WAIT1       CLOSE before the peer's FIN: the active closer (3.10.4)
        // SYN_RCVD -> FIN_WAIT1    CLOSE in SYN_RECEIVED (3.10.4)
        // CLOSED, SYN_SENT -> FIN_WAIT1  a FIN from an endpoint whose handshake the capture missed: it was synchronized
        // CLOSE_WAIT -> LAST_ACK   CLOSE after the peer's FIN: the passive closer (3.10.4); CLOSING instead when
        //                          this FIN's ACK does not cover the peer's FIN: the FINs crossed and it was in
        //                          FIN_WAIT_1 when the peer's arrived (figure 13, simultaneous close)
        // FIN_WAIT1 .. TIME_WAIT   not reached: only the first FIN is classed Fin

        /* Rst      */ CL,   CL,    CL,      CL,      CL,   CL,       CL,       CL,        CL,     CL,      CL,
        // any -> CLOSED            it sent an acceptable RST: the connection is aborted (3.10.5)
    };

    private static readonly TcpState[] s_received =
    {
        //            CLOSED LISTEN SYN_SENT SYN_RCVD ESTAB FIN_WAIT1 FIN_WAIT2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT
        /* Syn      */ CL,   LI,    SRorES,  SR,      ES,   F1,       F2,       CW,        CG,     LA,      TW,
        // CLOSED -> CLOSED         a SYN to a port: the capture cannot tell LISTEN from CLOSED; its answer shows it
        // SYN_SENT -> SYN_RCVD     SYNs crossed (simultaneous open, 3.10.7.3); ESTABLISHED if its SYN was acknowledged
        // SYN_RCVD .. TIME_WAIT    no move: a duplicate SYN (RFC 5961 answers it with a challenge ACK)

        /* SynAck   */ CL,   LI,    ES,      ES,      ES,   F1,       F2,       CW,        CG,     LA,      TW,
        // CLOSED -> CLOSED         not reached: a SYN-ACK acknowledges a SYN this endpoint sent (RfcTransitions puts
        //                          an endpoint never heard from in SYN_SENT first)
        // SYN_SENT -> ESTAB        the SYN-ACK acknowledges its SYN (3.10.7.3)
        // SYN_RCVD -> ESTAB        simultaneous open: the peer's SYN-ACK acknowledges its SYN (3.10.7.4, fifth)
        // ESTAB .. TIME_WAIT       no move: a retransmitted SYN-ACK

        /* AckOfSyn */ CL,   LI,    SS,      ES,      ES,   F1,       F2,       CW,        CG,     LA,      TW,
        // SYN_SENT -> SYN_SENT     its SYN acknowledged but the peer's SYN not received (SND.UNA advances, 3.10.7.3;
        //                          the SynAck row moves it when the SYN comes with the ACK)
        // SYN_RCVD -> ESTAB        the ACK of its SYN-ACK (3.10.7.4, fifth)
        // CLOSED, ESTAB .. TIME_WAIT  no move: nothing of its SYN was pending

        /* AckOfFin */ CL,   LI,    SS,      SR,      ES,   F2,       F2,       CW,        TW,     CL,      TW,
        // FIN_WAIT1 -> FIN_WAIT2   its FIN acknowledged (3.10.7.4, fifth)
        // CLOSING -> TIME_WAIT     its FIN acknowledged after the FINs crossed
        // LAST_ACK -> CLOSED       its FIN acknowledged: the passive closer is done
        // others                   no move: no FIN of its own pending (FIN_WAIT2, TIME_WAIT: acknowledged again)

        /* Fin      */ CL,   LI,    SS,      SR,      CW,   CG,       TW,       CW,        CG,     LA,      TW,
        // ESTAB -> CLOSE_WAIT      the peer's FIN (3.10.7.4, eighth)
        // FIN_WAIT1 -> CLOSING     the peer's FIN before its own was acknowledged (the row AckOfFin runs first, so a
        //                          FIN that also acknowledges its FIN ends in TIME_WAIT)
        // FIN_WAIT2 -> TIME_WAIT   the peer's FIN after its own was acknowledged
        // CLOSED, SYN_SENT -> same a FIN is not processed before synchronization (3.10.7.3)
        // SYN_RCVD -> SYN_RCVD     not reached: the FIN's acceptable ACK moved it to ESTABLISHED first
        // CLOSE_WAIT .. TIME_WAIT  no move: the FIN received already (a retransmission)

        /* Rst      */ CL,   CL,    CL,      CL,      CL,   CL,       CL,       CL,        CL,     CL,      CL,
        // any -> CLOSED            an acceptable RST (3.10.7: SYN_SENT if it acknowledges the SYN, otherwise at
        //                          exactly RCV.NXT, RFC 5961)
    };

    /// <summary>
    /// Moves <paramref name="ep"/> by one segment class. <paramref name="peerFinReceived"/> is read for a FIN from
    /// CLOSE_WAIT: whether this FIN's ACK (or an earlier one) covers the peer's FIN. A Final endpoint stays where it is.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // called on the rare segments that move a state: kept out of the per-segment code
    public static void Move(ref RfcEndpoint ep, RfcDirection direction, RfcSegment segment, bool peerFinReceived = true)
    {
        if ((ep.Marks & RfcMarks.Final) != 0)
        {
            return;
        }
        TcpState from = ep.State;
        TcpState next = Cell(direction, segment, from);
        switch (next)
        {
            case SRorES:
                next = (ep.Marks & RfcMarks.SynAcked) != 0 ? ES : SR;
                break;
            case LAorCG:
                next = peerFinReceived ? LA : CG;
                break;
            case CL when segment == RfcSegment.Rst:
                ep.Marks |= RfcMarks.Final | RfcMarks.Reset;
                break;
            case CL when from != CL:
                ep.Marks |= RfcMarks.Final;
                break;
        }
        ep.State = next;
    }

    /// <summary>Ends an endpoint's connection without a segment: TIME_WAIT's 2 × MSL ran out, or the flow timed out.</summary>
    public static void Expire(ref RfcEndpoint ep)
    {
        ep.State = CL;
        ep.Marks |= RfcMarks.Final;
    }

    /// <summary>The raw cell, split values unresolved (for the tests and the golden table).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TcpState Cell(RfcDirection direction, RfcSegment segment, TcpState state) =>
        (direction == RfcDirection.Sent ? s_sent : s_received)[(int)segment * States + (int)state];

    /// <summary>What a cell holds, in words: a state, or the split value's two states.</summary>
    internal static string Describe(TcpState cell) => cell switch
    {
        SRorES => "SynReceived|Established",
        LAorCG => "LastAck|Closing",
        _ => cell.ToString(),
    };
}
