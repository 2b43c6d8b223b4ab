using System.Runtime.CompilerServices;
namespace TcpTools.Engine.Tracking;

/// <summary>
/// Records what one segment proves about both endpoints (<see cref="EndpointFacts"/>), from which
/// <see cref="RfcState"/> derives their RFC 9293 states. An ACK counts only if it acknowledges the right
/// sequence number (the SYN's or the FIN's, not beyond what was sent); a RST only if it is acceptable.
/// Runs before <see cref="SequenceAnalysis"/> advances the sender's sequence state.
/// </summary>
internal static class RfcTransitions
{
    /// <summary>Applies the segment; false when it was a RST the receiver would not accept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static bool Process(ref TcpEndpoint snd, ref TcpEndpoint rcv, in Decoding.DecodedTcp tcp)
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
                return false;
            }
            snd.Facts |= EndpointFacts.Reset;
            rcv.Facts |= EndpointFacts.Reset;
            return true;
        }
        bool syn = (flags & TcpFlags.Syn) != 0;
        if ((flags & TcpFlags.Ack) != 0)
        {
            SeqNum ack = tcp.AcknowledgmentNumber;
            if (syn && (rcv.Facts & EndpointFacts.SentSyn) == 0 && (rcv.Flags & EndpointFlags.Seen) == 0)
            {
                // A SYN-ACK with no SYN seen: the client's SYN was before the capture (its ISN is ack - 1).
                rcv.Facts |= EndpointFacts.SentSyn;
            }
            bool withinSent = !rcv.NextSeqKnown || ack <= (SeqNum)rcv.NextSeq;
            if ((rcv.Facts & EndpointFacts.SentSyn) != 0 && (snd.Facts & EndpointFacts.ReceivedSyn) == 0 && ack >= (SeqNum)rcv.Isn + 1 && withinSent)
            {
                snd.Facts |= EndpointFacts.ReceivedSyn;
                rcv.Facts |= EndpointFacts.SynAcked;
            }
            if ((rcv.Facts & EndpointFacts.SentFin) != 0 && (snd.Facts & EndpointFacts.ReceivedFin) == 0 && ack >= (SeqNum)rcv.FinSeq + 1 && withinSent)
            {
                snd.Facts |= EndpointFacts.ReceivedFin;
                rcv.Facts |= EndpointFacts.FinAcked;
            }
        }
        // A SYN-ACK counts as the sender's SYN only if its ACK is the right one (a stray or spoofed one is ignored).
        if (syn && ((flags & TcpFlags.Ack) == 0 || (snd.Facts & EndpointFacts.ReceivedSyn) != 0))
        {
            snd.Facts |= EndpointFacts.SentSyn;
        }
        if ((flags & TcpFlags.Fin) != 0 && (snd.Facts & EndpointFacts.SentFin) == 0)
        {
            // Sending a FIN before having received the peer's makes this the active closer (-> TIME_WAIT).
            snd.Facts |= EndpointFacts.SentFin | ((snd.Facts & EndpointFacts.ReceivedFin) == 0 ? EndpointFacts.ActiveClose : 0);
        }
        return true;
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
