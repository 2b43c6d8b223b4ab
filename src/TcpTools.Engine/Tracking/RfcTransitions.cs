using System.Runtime.CompilerServices;
namespace TcpTools.Engine.Tracking;

/// <summary>
/// Records what one segment proves about both endpoints (<see cref="EndpointFacts"/>), from which
/// <see cref="RfcState"/> derives their RFC 9293 states. An ACK counts only if it acknowledges the right
/// sequence number (the SYN's or the FIN's, not beyond what was sent); a RST only if it is acceptable. With
/// <see cref="TcpStateEvidence.Receipt"/> a SYN or FIN also moves its receiver when it is one the receiver would
/// accept; with <see cref="TcpStateEvidence.Answer"/> only the receiver's acknowledgment of it does.
/// Runs after ZeekModel and before <see cref="SequenceAnalysis"/> advances the sender's sequence state (so
/// <c>snd.NextSeq</c> is still what it had sent before this segment).
/// </summary>
internal static class RfcTransitions
{
    /// <summary>
    /// Applies the segment, adding to <paramref name="found"/> the anomalies the RFC rules see in it; false when it was
    /// a RST the receiver would not accept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static bool Process(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp, bool onReceipt, ref TcpAnomaly found)
    {
        TcpFlags flags = tcp.Flags;
        if ((flags & TcpFlags.Rst) != 0)
        {
            if (!ResetAcceptable(ref snd, ref rcv, tcp))
            {
                if (AbandonsOwnSyn(ref snd, ref rcv, tcp))
                {
                    // Its own attempt given up: the connection is over. (A receiver in SYN-RECEIVED would drop this
                    // RST and time out later, but it has shown nothing: on the wire it is Closed all along.)
                    snd.Facts |= EndpointFacts.Reset;
                    rcv.Facts |= EndpointFacts.Reset;
                    return true;
                }
                found |= ResetInWindow(ref snd, ref rcv, tcp) ? TcpAnomaly.RstInWindow : TcpAnomaly.RstOutsideWindow;
                return false;
            }
            snd.Facts |= EndpointFacts.Reset;
            rcv.Facts |= EndpointFacts.Reset;
            return true;
        }
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        if (syn ? fin : !hasAck)
        {
            // SYN+FIN, or no SYN, ACK or RST at all (null, FIN and Xmas scans): conntrack's invalid combinations.
            found |= syn ? TcpAnomaly.SynAndFin : TcpAnomaly.NoAck;
        }
        if (syn && !hasAck && (rcv.Facts & (EndpointFacts.SentSyn | EndpointFacts.ReceivedSyn)) == EndpointFacts.SentSyn
            && (snd.Facts & EndpointFacts.SentSyn) == 0)
        {
            found |= TcpAnomaly.SimultaneousOpen; // its SYN crossed the peer's (RFC 9293 figure 7)
        }
        // For the receiver's side (on receipt): the ACK is one it would accept (SEG.ACK ≤ SND.NXT), and this ACK
        // acknowledges its SYN.
        bool ackAcceptable = false, acksRcvSyn = false;
        if (hasAck)
        {
            SeqNum ack = tcp.AcknowledgmentNumber;
            if (syn && (rcv.Facts & EndpointFacts.SentSyn) == 0 && (rcv.Flags & EndpointFlags.Seen) == 0)
            {
                // A SYN-ACK with no SYN seen: the client's SYN was before the capture (its ISN is ack - 1).
                rcv.Facts |= EndpointFacts.SentSyn;
            }
            bool withinSent = !rcv.NextSeqKnown || ack <= (SeqNum)rcv.NextSeq;
            ackAcceptable = withinSent;
            acksRcvSyn = (rcv.Facts & EndpointFacts.SentSyn) != 0 && ack >= (SeqNum)rcv.Isn + 1 && withinSent;
            if (!withinSent)
            {
                found |= TcpAnomaly.AckOfUnseenData;
            }
            if (syn && !acksRcvSyn && (rcv.Facts & EndpointFacts.SentSyn) != 0)
            {
                found |= TcpAnomaly.BadSynAck;
            }
            if (acksRcvSyn && (rcv.Facts & EndpointFacts.SynAcked) == 0)
            {
                snd.Facts |= EndpointFacts.ReceivedSyn;
                rcv.Facts |= EndpointFacts.SynAcked;
            }
            // This segment acknowledges the receiver's FIN: its sender has received that FIN.
            bool acksPeerFin = (rcv.Facts & EndpointFacts.SentFin) != 0 && ack >= (SeqNum)rcv.FinSeq + 1 && withinSent;
            if (acksPeerFin && (rcv.Facts & EndpointFacts.FinAcked) == 0)
            {
                snd.Facts |= EndpointFacts.ReceivedFin;
                rcv.Facts |= EndpointFacts.FinAcked;
            }
        }
        // A SYN-ACK counts as the sender's SYN only if its ACK is the right one (a stray or spoofed one is ignored).
        if (syn && (!hasAck || (snd.Facts & EndpointFacts.ReceivedSyn) != 0))
        {
            snd.Facts |= EndpointFacts.SentSyn;
        }
        if (fin && (snd.Facts & EndpointFacts.SentFin) == 0)
        {
            // Sending a FIN before having received the peer's makes this the active closer (-> TIME_WAIT). What
            // decides is whether this endpoint has acknowledged the peer's FIN, in this segment or before: on receipt
            // the peer's FIN may count as received while this FIN's ACK shows it had not arrived when this FIN left
            // (FINs that crossed). A FIN without ACK shows nothing of the kind: what was received stands. On the answer
            // the two are the same fact (ReceivedFin is set with the peer's FinAcked).
            bool passive = hasAck ? (rcv.Facts & EndpointFacts.FinAcked) != 0 : (snd.Facts & EndpointFacts.ReceivedFin) != 0;
            snd.Facts |= EndpointFacts.SentFin | (passive ? 0 : EndpointFacts.ActiveClose);
        }
        if (onReceipt)
        {
            Receive(ref snd, ref rcv, tcp, syn, hasAck, fin, ackAcceptable, acksRcvSyn);
        }
        return true;
    }

    /// <summary>
    /// RFC 9293 3.10.7, the receiver's side of a SYN or FIN, taken when the capture shows the segment. The receiver
    /// moves only on a segment it would accept in its state:
    /// <list type="bullet">
    /// <item>SYN_SENT + SYN-ACK acknowledging its SYN (SND.UNA &lt; SEG.ACK ≤ SND.NXT, which the ACK rules above
    /// checked: its SYN is acknowledged) → ESTABLISHED; SYN_SENT + SYN without ACK (simultaneous open) →
    /// SYN_RECEIVED.</item>
    /// <item>A FIN to a synchronized receiver (ESTABLISHED → CLOSE_WAIT, FIN_WAIT_1 → CLOSING or, when the FIN
    /// also acknowledges its own, TIME_WAIT, FIN_WAIT_2 → TIME_WAIT), with an acceptable ACK (a synchronized
    /// receiver drops a segment without ACK, or with SEG.ACK > SND.NXT), and in order, since a receiver holds an
    /// out-of-order FIN until the gap is filled: not beyond the sender's highest sequence number so far, and no
    /// hole in its data before it (as the reassembly of the Zeek model sees it, or the receiver has acknowledged
    /// up to the FIN, which covers holes that are only snap-length cuts).</item>
    /// </list>
    /// A receiver that is CLOSED or LISTEN (a SYN to a port) does not move: the capture cannot tell a listening
    /// port from a closed one, and the SYN-ACK, when it comes, shows it.
    /// </summary>
    private static void Receive(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp, bool syn, bool hasAck, bool fin, bool ackAcceptable, bool acksRcvSyn)
    {
        EndpointFacts r = rcv.Facts;
        if ((r & EndpointFacts.Reset) != 0)
        {
            return;
        }
        if (syn && (r & (EndpointFacts.SentSyn | EndpointFacts.ReceivedSyn)) == EndpointFacts.SentSyn
            && (snd.Facts & EndpointFacts.SentSyn) != 0 && (!hasAck || acksRcvSyn))
        {
            rcv.Facts |= EndpointFacts.ReceivedSyn;
            if (!hasAck && (snd.Facts & EndpointFacts.ReceivedSyn) == 0)
            {
                // Simultaneous open: a plain SYN shows its sender had not yet received the SYN captured earlier; that
                // SYN reaches it in SYN_SENT too, and both are SYN_RECEIVED.
                snd.Facts |= EndpointFacts.ReceivedSyn;
            }
        }
        const EndpointFacts synchronized = EndpointFacts.SentSyn | EndpointFacts.SynAcked | EndpointFacts.ReceivedSyn;
        SeqNum seq = tcp.SequenceNumber;
        if (fin && ackAcceptable && (rcv.Facts & (synchronized | EndpointFacts.ReceivedFin)) == synchronized
            && (!snd.NextSeqKnown || seq <= (SeqNum)snd.NextSeq)
            && ((snd.Flags & EndpointFlags.HasHole) == 0 || ((rcv.Flags & EndpointFlags.Seen) != 0 && (SeqNum)rcv.LastAck >= seq)))
        {
            rcv.Facts |= EndpointFacts.ReceivedFin;
        }
    }

    /// <summary>
    /// A RST at the sequence number of the sender's own unanswered SYN (some stacks and scanners abort an attempt
    /// that way; Zeek calls it RSTOS0): the receiver never answered, so no one but the sender can have sent it.
    /// </summary>
    private static bool AbandonsOwnSyn(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp) =>
        (snd.Facts & (EndpointFacts.SentSyn | EndpointFacts.ReceivedSyn)) == EndpointFacts.SentSyn
        && (rcv.Flags & EndpointFlags.Seen) == 0
        && tcp.SequenceNumber == snd.Isn;

    /// <summary>
    /// Whether an unacceptable RST fell inside its receiver's window (RCV.NXT ≤ SEG.SEQ &lt; RCV.NXT + RCV.WND: RFC 5961
    /// answers it with a challenge ACK) rather than outside it. RCV.NXT is the receiver's last ACK and RCV.WND its last
    /// window, scaled when both SYNs announced a scale; a receiver the capture has not heard from is taken to expect
    /// the sender's next sequence number with the largest unscaled window. A RST to an endpoint in SYN_SENT that does
    /// not acknowledge its SYN is outside.
    /// </summary>
    private static bool ResetInWindow(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp)
    {
        if ((rcv.Facts & (EndpointFacts.SentSyn | EndpointFacts.ReceivedSyn)) == EndpointFacts.SentSyn)
        {
            return false;
        }
        bool rcvSeen = (rcv.Flags & EndpointFlags.Seen) != 0;
        uint next = rcvSeen ? rcv.LastAck : snd.NextSeq;
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
        bool rcvSynSent = (rcv.Facts & (EndpointFacts.SentSyn | EndpointFacts.ReceivedSyn)) == EndpointFacts.SentSyn;
        if (rcvSynSent)
        {
            return (tcp.Flags & TcpFlags.Ack) != 0 && tcp.AcknowledgmentNumber == unchecked(rcv.Isn + 1);
        }
        if (!snd.NextSeqKnown)
        {
            return true;
        }
        uint seq = tcp.SequenceNumber;
        return seq == snd.NextSeq || ((rcv.Flags & EndpointFlags.Seen) != 0 && seq == rcv.LastAck);
    }
}
