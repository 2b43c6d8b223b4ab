using System.Runtime.CompilerServices;
namespace TcpTools.Engine.Tracking;

/// <summary>
/// The RFC 9293 machine's per-segment step: classifies what a segment shows about each endpoint
/// (<see cref="RfcSegment"/>) and moves both through <see cref="RfcTable"/>, sender first, each in the order
/// RFC 9293 3.10.7 processes a segment's parts (RST, then the ACK, then SYN, then FIN). An ACK counts only if it
/// acknowledges the right sequence number (the SYN's or the FIN's, not beyond what was sent); a RST only if it is
/// acceptable. With <see cref="TcpStateEvidence.Receipt"/> a SYN or FIN also moves its receiver when it is one the
/// receiver would accept; with <see cref="TcpStateEvidence.Answer"/> the receiver moves on what it is sent only
/// through acknowledgments of its own SYN and FIN, and on SYNs and FINs when its own answer shows them.
/// Runs after ZeekModel (whose Isn, FinSeq and reassembly hole it reads) and before <see cref="SequenceAnalysis"/>
/// advances the sender's sequence state (so <c>snd.NextSeq</c> is still what it had sent before this segment).
/// </summary>
internal static class RfcTransitions
{
    /// <summary>The anomalies <see cref="Process"/> returns for a RST it did not take.</summary>
    public const TcpAnomaly IgnoredReset = TcpAnomaly.RstInWindow | TcpAnomaly.RstOutsideWindow;

    /// <summary>
    /// Applies the segment and returns the anomalies the RFC rules see in it; a RST the receiver would not accept moves
    /// nothing and is <see cref="TcpAnomaly.RstInWindow"/> or <see cref="TcpAnomaly.RstOutsideWindow"/> (<see cref="IgnoredReset"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static TcpAnomaly Process(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp, bool onReceipt)
    {
        TcpFlags flags = tcp.Flags;
        if ((flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst | TcpFlags.Ack)) == TcpFlags.Ack
            && (rcv.Rfc.Marks & (RfcMarks.SynAcked | RfcMarks.SentFin | RfcMarks.FinAcked)) is RfcMarks.SynAcked or (RfcMarks.SynAcked | RfcMarks.SentFin | RfcMarks.FinAcked))
        {
            // Most segments: an ACK without SYN, FIN or RST to a receiver whose SYN was acknowledged already and whose
            // FIN, if it sent one, was too. It can be no segment class (below, every class it could be needs the
            // first ACK of the receiver's SYN or FIN), so nothing moves: only the ACK's acceptability is judged.
            return rcv.Analysis.NextSeqKnown && (SeqNum)tcp.AcknowledgmentNumber > (SeqNum)rcv.Analysis.NextSeq
                ? TcpAnomaly.AckOfUnseenData : TcpAnomaly.None;
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            // A RST at the sequence number of the sender's own unanswered SYN ends the attempt too (an exception:
            // not acceptable to the receiver, but no one else can have sent it).
            if (!ResetAcceptable(ref snd, ref rcv, tcp) && !AbandonsOwnSyn(ref snd, ref rcv, tcp))
            {
                return ResetInWindow(ref snd, ref rcv, tcp) ? TcpAnomaly.RstInWindow : TcpAnomaly.RstOutsideWindow;
            }
            RfcTable.Move(ref snd.Rfc, RfcDirection.Sent, RfcSegment.Rst);
            RfcTable.Move(ref rcv.Rfc, RfcDirection.Received, RfcSegment.Rst);
            return TcpAnomaly.None;
        }
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        TcpAnomaly found = TcpAnomaly.None;
        if (syn ? fin : !hasAck)
        {
            // SYN+FIN, or no SYN, ACK or RST at all (null, FIN and Xmas scans): conntrack's invalid combinations.
            found |= syn ? TcpAnomaly.SynAndFin : TcpAnomaly.NoAck;
        }
        if (syn && !hasAck && rcv.Rfc.State == TcpState.SynSent && snd.Rfc.State == TcpState.Closed)
        {
            found |= TcpAnomaly.SimultaneousOpen; // its SYN crossed the peer's (RFC 9293 figure 8)
        }

        // The ACK: whether it is one the receiver would accept (SEG.ACK ≤ SND.NXT), and what of the receiver's it
        // acknowledges: its SYN (SEG.ACK > ISS), its FIN (SEG.ACK > the FIN's sequence number).
        bool ackAcceptable = false, acksRcvSyn = false, acksRcvFin = false;
        if (hasAck)
        {
            SeqNum ack = tcp.AcknowledgmentNumber;
            if (syn && rcv.Rfc.State == TcpState.Closed && !rcv.Analysis.Seen && !rcv.Rfc.Has(RfcMarks.Final))
            {
                // Exception: a SYN-ACK to an endpoint the capture has never heard from. Its SYN went before the
                // capture began (its ISN is ack - 1): it is in SYN_SENT.
                rcv.Rfc.State = TcpState.SynSent;
            }
            bool rcvSentSyn = rcv.Rfc.State != TcpState.Closed;
            ackAcceptable = !rcv.Analysis.NextSeqKnown || ack <= (SeqNum)rcv.Analysis.NextSeq;
            acksRcvSyn = rcvSentSyn && ack >= (SeqNum)rcv.Zeek.Isn + 1 && ackAcceptable;
            acksRcvFin = rcv.Rfc.Has(RfcMarks.SentFin) && ack >= (SeqNum)rcv.Zeek.FinSeq + 1 && ackAcceptable;
            if (!ackAcceptable)
            {
                found |= TcpAnomaly.AckOfUnseenData;
            }
            if (syn && !acksRcvSyn && rcvSentSyn)
            {
                found |= TcpAnomaly.BadSynAck;
            }
        }

        // The sender, by what the segment shows it had sent and received. A SYN-ACK counts as its SYN only if its ACK
        // is the right one (a stray or spoofed one is ignored).
        if (syn)
        {
            if (!hasAck)
            {
                RfcTable.Move(ref snd.Rfc, RfcDirection.Sent, RfcSegment.Syn);
            }
            else if (acksRcvSyn)
            {
                RfcTable.Move(ref snd.Rfc, RfcDirection.Sent, RfcSegment.SynAck);
            }
        }
        else if (acksRcvSyn && !rcv.Rfc.Has(RfcMarks.SynAcked))
        {
            // (Only the first ACK of the SYN is the class: every later segment acknowledges it too, and the per-segment
            // path stays a few tests of flags.)
            RfcTable.Move(ref snd.Rfc, RfcDirection.Sent, RfcSegment.AckOfSyn);
        }
        bool firstAckOfFin = acksRcvFin && !rcv.Rfc.Has(RfcMarks.FinAcked);
        if (firstAckOfFin)
        {
            RfcTable.Move(ref snd.Rfc, RfcDirection.Sent, RfcSegment.AckOfFin);
        }
        if (fin && !snd.Rfc.Has(RfcMarks.SentFin))
        {
            // From CLOSE_WAIT (reached on receipt of the peer's FIN) this FIN's ACK tells whether the peer's FIN had
            // arrived when it left: an ACK short of it means the FINs crossed. A FIN without ACK shows nothing of
            // the kind: what was received stands.
            bool peerFinReceived = !hasAck || acksRcvFin || rcv.Rfc.Has(RfcMarks.FinAcked);
            RfcTable.Move(ref snd.Rfc, RfcDirection.Sent, RfcSegment.Fin, peerFinReceived);
            snd.Rfc.Marks |= RfcMarks.SentFin;
        }

        // The receiver. Its SYN or FIN acknowledged moves it under either evidence; the peer's SYN or FIN only on
        // receipt, and only one it would accept in its state.
        if (acksRcvSyn && (syn || !rcv.Rfc.Has(RfcMarks.SynAcked)))
        {
            rcv.Rfc.Marks |= RfcMarks.SynAcked;
            RfcTable.Move(ref rcv.Rfc, RfcDirection.Received, syn && onReceipt ? RfcSegment.SynAck : RfcSegment.AckOfSyn);
        }
        else if (syn && !hasAck && onReceipt && snd.Rfc.State != TcpState.Closed)
        {
            bool crossed = rcv.Rfc.State == TcpState.SynSent && snd.Rfc.State == TcpState.SynSent;
            RfcTable.Move(ref rcv.Rfc, RfcDirection.Received, RfcSegment.Syn);
            if (crossed)
            {
                // Exception: SYNs that crossed (simultaneous open). This plain SYN shows its sender had not yet
                // received the SYN captured earlier; that SYN reaches it in SYN_SENT too, and both are SYN_RECEIVED.
                RfcTable.Move(ref snd.Rfc, RfcDirection.Received, RfcSegment.Syn);
            }
        }
        if (firstAckOfFin)
        {
            rcv.Rfc.Marks |= RfcMarks.FinAcked;
            RfcTable.Move(ref rcv.Rfc, RfcDirection.Received, RfcSegment.AckOfFin);
        }
        if (fin && onReceipt && ackAcceptable && FinInOrder(ref snd, ref rcv, tcp))
        {
            RfcTable.Move(ref rcv.Rfc, RfcDirection.Received, RfcSegment.Fin);
        }
        return found;
    }

    /// <summary>
    /// Whether a FIN would be processed now by its receiver, which holds an out-of-order FIN until the gap is filled:
    /// not beyond the sender's highest sequence number so far, and no hole in its data before it (as the reassembly
    /// of the Zeek model sees it, or the receiver has acknowledged up to the FIN, which covers holes that are only
    /// snap-length cuts). (A FIN without an acceptable ACK is dropped by a synchronized receiver: the caller checks.)
    /// </summary>
    private static bool FinInOrder(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp)
    {
        SeqNum seq = tcp.SequenceNumber;
        return (!snd.Analysis.NextSeqKnown || seq <= (SeqNum)snd.Analysis.NextSeq)
            && (!snd.Zeek.HasHole || (rcv.Analysis.Seen && (SeqNum)rcv.Analysis.LastAck >= seq));
    }

    /// <summary>
    /// A RST at the sequence number of the sender's own unanswered SYN (some stacks and scanners abort an attempt
    /// that way; Zeek calls it RSTOS0): the receiver never answered, so no one but the sender can have sent it.
    /// </summary>
    private static bool AbandonsOwnSyn(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp) =>
        snd.Rfc.State == TcpState.SynSent
        && !rcv.Analysis.Seen
        && tcp.SequenceNumber == snd.Zeek.Isn;

    /// <summary>
    /// Whether an unacceptable RST fell inside its receiver's window (RCV.NXT ≤ SEG.SEQ &lt; RCV.NXT + RCV.WND: RFC 5961
    /// answers it with a challenge ACK) rather than outside it. RCV.NXT is the receiver's last ACK and RCV.WND its last
    /// window, scaled when both SYNs announced a scale; a receiver the capture has not heard from is taken to expect
    /// the sender's next sequence number with the largest unscaled window. A RST to an endpoint in SYN_SENT that does
    /// not acknowledge its SYN is outside.
    /// </summary>
    private static bool ResetInWindow(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp)
    {
        if (rcv.Rfc.State == TcpState.SynSent)
        {
            return false;
        }
        bool rcvSeen = rcv.Analysis.Seen;
        uint next = rcvSeen ? rcv.Analysis.LastAck : snd.Analysis.NextSeq;
        uint window = rcvSeen ? rcv.ScaledWindow(snd) : ushort.MaxValue;
        return unchecked(tcp.SequenceNumber - next) < window;
    }

    /// <summary>
    /// RFC 9293 3.10.7 with RFC 5961: a RST answering a SYN is acceptable if it acknowledges the SYN; otherwise only
    /// a RST at exactly the sequence number the receiver expects. One merely inside the window earns a challenge ACK,
    /// not a reset. When the capture has not seen the sender's sequence numbers, the RST is taken.
    /// </summary>
    private static bool ResetAcceptable(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp)
    {
        bool rcvSynSent = rcv.Rfc.State == TcpState.SynSent;
        if (rcvSynSent)
        {
            return (tcp.Flags & TcpFlags.Ack) != 0 && tcp.AcknowledgmentNumber == unchecked(rcv.Zeek.Isn + 1);
        }
        if (!snd.Analysis.NextSeqKnown)
        {
            return true;
        }
        uint seq = tcp.SequenceNumber;
        return seq == snd.Analysis.NextSeq || (rcv.Analysis.Seen && seq == rcv.Analysis.LastAck);
    }
}
