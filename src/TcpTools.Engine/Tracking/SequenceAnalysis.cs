using System.Runtime.CompilerServices;
namespace TcpTools.Engine.Tracking;

/// <summary>
/// Wireshark's per-segment TCP analysis (packet-tcp.c, tcp_analyze_sequence_number, as tshark 4.0 runs it),
/// reduced to the counters a flow keeps: retransmissions (tcp.analysis.retransmission, which covers fast and
/// spurious ones), out-of-order segments, duplicate ACKs and zero-window advertisements. Runs on the state
/// before the segment and then advances it; allocates nothing.
/// </summary>
internal static class SequenceAnalysis
{
    /// <summary>Wireshark's fast-retransmission window: the receiver must have sent something within 20 ms.</summary>
    private const uint FastRetransmitWindowUs = 20_000;

    /// <summary>Out-of-order threshold without a measured handshake RTT: 3 ms.</summary>
    private const uint DefaultOutOfOrderThresholdUs = 3_000;

    /// <param name="f">The sending endpoint (Wireshark's fwd).</param>
    /// <param name="r">The receiving endpoint (rev).</param>
    /// <param name="tcp">The segment's headers.</param>
    /// <param name="nowUs">The segment's time, µs since the flow's first segment.</param>
    /// <param name="rttUsPlusOne">The handshake RTT plus one, or 0 when not measured.</param>
    /// <returns>The zero-window probe and window-exceeded anomalies it saw.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static TcpAnomaly Process(ref TcpEndpoint f, ref TcpEndpoint r, in Decoding.DecodedTcp tcp, uint nowUs, uint rttUsPlusOne)
    {
        TcpAnomaly found = TcpAnomaly.None;
        TcpFlags flags = tcp.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0, fin = (flags & TcpFlags.Fin) != 0;
        bool control = (flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0;
        uint len = (uint)tcp.PayloadLength;
        SeqNum seq = tcp.SequenceNumber;
        uint ack = tcp.AcknowledgmentNumber;
        ushort window = tcp.Window;
        bool fSeen = f.Analysis.Seen;
        bool rSeen = r.Analysis.Seen;
        bool known = f.Analysis.NextSeqKnown;
        SeqNum next = f.Analysis.NextSeq;
        bool probe = false, keepAlive = false;

        if (len == 1 && known && seq == next && rSeen && r.Analysis.Window == 0)
        {
            probe = true; // zero-window probe: not a retransmission, and no ACK checks
            found |= TcpAnomaly.ZeroWindowProbe;
        }
        else
        {
            if (len > 0 && rSeen && (flags & TcpFlags.Rst) == 0 && BeyondWindow(ref f, ref r, seq + len))
            {
                found |= TcpAnomaly.WindowExceeded;
            }
            if (window == 0 && !control)
            {
                f.Analysis.ZeroWindows++;
            }
            if (len <= 1 && known && seq == next - 1 && !control)
            {
                keepAlive = true;
            }
            bool sameAck = len == 0 && fSeen && known && seq == next && ack == f.Analysis.LastAck && !control;
            bool answersProbe = sameAck && ((window != 0 && window == f.Analysis.Window && (r.Analysis.Flags & AnalysisFlags.LastWasKeepAlive) != 0)
                || (window == 0 && f.Analysis.Window == 0 && (r.Analysis.Flags & AnalysisFlags.LastWasWindowProbe) != 0));
            if (!answersProbe && sameAck && window != 0 && window == f.Analysis.Window)
            {
                f.Analysis.DuplicateAcks++;
                if (f.Analysis.DupAckRun < ushort.MaxValue)
                {
                    f.Analysis.DupAckRun++;
                }
            }
        }
        if (ack != f.Analysis.LastAck)
        {
            f.Analysis.DupAckRun = 0;
        }

        if ((len > 0 || syn || fin) && !keepAlive)
        {
            bool notAdvanced = known && seq < next;
            if (len > 1 && seq == next - 1)
            {
                notAdvanced = false; // data right after a one-byte probe
            }
            uint control1 = syn || fin ? 1u : 0u;
            if (len > 0 && rSeen && r.Analysis.LastAck != 0 && seq + len <= (SeqNum)r.Analysis.LastAck)
            {
                f.Analysis.Retransmissions++; // spurious: the receiver had already acknowledged it
            }
            else if (notAdvanced && r.Analysis.DupAckRun >= 2 && r.Analysis.LastAck == seq.Value && unchecked(nowUs - r.Analysis.LastTimeUs) < FastRetransmitWindowUs)
            {
                f.Analysis.Retransmissions++; // fast retransmission
            }
            else if (notAdvanced && unchecked(nowUs - f.Analysis.NextSeqTimeUs) < (rttUsPlusOne != 0 ? rttUsPlusOne - 1 : DefaultOutOfOrderThresholdUs)
                && next != seq + len + control1)
            {
                f.Analysis.OutOfOrder++;
            }
            else if (notAdvanced)
            {
                f.Analysis.Retransmissions++;
            }
        }

        SeqNum nextLocal = seq + len + (syn || fin ? 1u : 0u);
        if (!probe && (!known || nextLocal > next))
        {
            f.Analysis.NextSeq = nextLocal.Value;
            f.Analysis.NextSeqTimeUs = nowUs;
            f.Analysis.Flags |= AnalysisFlags.NextSeqKnown;
        }
        f.Analysis.Window = window;
        f.Analysis.LastAck = ack;
        f.Analysis.LastTimeUs = nowUs;
        f.Analysis.Flags = (f.Analysis.Flags & ~(AnalysisFlags.LastWasKeepAlive | AnalysisFlags.LastWasWindowProbe))
            | (keepAlive ? AnalysisFlags.LastWasKeepAlive : 0) | (probe ? AnalysisFlags.LastWasWindowProbe : 0) | AnalysisFlags.Seen;
        return found;
    }

    /// <summary>
    /// Whether data ending at <paramref name="end"/> goes past the right edge of the window the receiver last
    /// advertised (its last ACK plus its window, RFC 9293 3.10.7.4). Judged only when the scale is known (both SYNs
    /// seen, or one without the option, which turns scaling off), the receiver has acknowledged the sender's SYN and
    /// has not reset. A receiver's last window taken from its SYN is unscaled and this scales it: such data is let
    /// through rather than blamed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool BeyondWindow(ref TcpEndpoint f, ref TcpEndpoint r, SeqNum end)
    {
        if (end <= (SeqNum)r.Analysis.LastAck + r.ScaledWindow(f))
        {
            return false; // nearly every segment: inside the window, whatever the conditions below
        }
        bool fSyn = f.Handshake.SynSeen, rSyn = r.Handshake.SynSeen;
        bool scaleKnown = (fSyn && rSyn) || (fSyn && f.Handshake.WindowScale == HandshakeEndpoint.NoScale) || (rSyn && r.Handshake.WindowScale == HandshakeEndpoint.NoScale);
        return scaleKnown && f.Rfc.Has(RfcMarks.SynAcked) && !r.Rfc.Has(RfcMarks.Reset);
    }
}
