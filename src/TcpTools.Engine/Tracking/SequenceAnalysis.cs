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
    /// <param name="found">Gains the zero-window probe and window-exceeded anomalies.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static void Process(ref TcpEndpoint f, ref TcpEndpoint r, in Decoding.DecodedTcp tcp, uint nowUs, uint rttUsPlusOne, ref TcpAnomaly found)
    {
        TcpFlags flags = tcp.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0, fin = (flags & TcpFlags.Fin) != 0;
        bool control = (flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0;
        uint len = (uint)tcp.PayloadLength;
        SeqNum seq = tcp.SequenceNumber;
        uint ack = tcp.AcknowledgmentNumber;
        ushort window = tcp.Window;
        bool fSeen = (f.Flags & EndpointFlags.Seen) != 0;
        bool rSeen = (r.Flags & EndpointFlags.Seen) != 0;
        bool known = f.NextSeqKnown;
        SeqNum next = f.NextSeq;
        bool probe = false, keepAlive = false;

        if (len == 1 && known && seq == next && rSeen && r.Window == 0)
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
                f.ZeroWindows++;
            }
            if (len <= 1 && known && seq == next - 1 && !control)
            {
                keepAlive = true;
            }
            bool sameAck = len == 0 && fSeen && known && seq == next && ack == f.LastAck && !control;
            bool answersProbe = sameAck && ((window != 0 && window == f.Window && (r.Flags & EndpointFlags.LastWasKeepAlive) != 0)
                || (window == 0 && f.Window == 0 && (r.Flags & EndpointFlags.LastWasWindowProbe) != 0));
            if (!answersProbe && sameAck && window != 0 && window == f.Window)
            {
                f.DuplicateAcks++;
                if (f.DupAckRun < ushort.MaxValue)
                {
                    f.DupAckRun++;
                }
            }
        }
        if (ack != f.LastAck)
        {
            f.DupAckRun = 0;
        }

        if ((len > 0 || syn || fin) && !keepAlive)
        {
            bool notAdvanced = known && seq < next;
            if (len > 1 && seq == next - 1)
            {
                notAdvanced = false; // data right after a one-byte probe
            }
            uint control1 = syn || fin ? 1u : 0u;
            if (len > 0 && rSeen && r.LastAck != 0 && seq + len <= (SeqNum)r.LastAck)
            {
                f.Retransmissions++; // spurious: the receiver had already acknowledged it
            }
            else if (notAdvanced && r.DupAckRun >= 2 && r.LastAck == seq.Value && unchecked(nowUs - r.LastTimeUs) < FastRetransmitWindowUs)
            {
                f.Retransmissions++; // fast retransmission
            }
            else if (notAdvanced && unchecked(nowUs - f.NextSeqTimeUs) < (rttUsPlusOne != 0 ? rttUsPlusOne - 1 : DefaultOutOfOrderThresholdUs)
                && next != seq + len + control1)
            {
                f.OutOfOrder++;
            }
            else if (notAdvanced)
            {
                f.Retransmissions++;
            }
        }

        SeqNum nextLocal = seq + len + (syn || fin ? 1u : 0u);
        if (!probe && (!known || nextLocal > next))
        {
            f.NextSeq = nextLocal.Value;
            f.NextSeqTimeUs = nowUs;
            f.Flags |= EndpointFlags.NextSeqKnown;
        }
        f.Window = window;
        f.LastAck = ack;
        f.LastTimeUs = nowUs;
        f.Flags = (f.Flags & ~(EndpointFlags.LastWasKeepAlive | EndpointFlags.LastWasWindowProbe))
            | (keepAlive ? EndpointFlags.LastWasKeepAlive : 0) | (probe ? EndpointFlags.LastWasWindowProbe : 0) | EndpointFlags.Seen;
    }

    /// <summary>
    /// Whether data ending at <paramref name="end"/> goes past the right edge of the window the receiver last
    /// advertised (its last ACK plus its window, RFC 9293 3.10.7.4). Judged only when the scale is known (both SYNs
    /// seen, or one without the option, which turns scaling off), the receiver has acknowledged the sender's SYN and
    /// has not reset. A receiver's last window taken from its SYN is unscaled and this scales it: such data is let
    /// through rather than blamed.
    /// </summary>
    private static bool BeyondWindow(ref TcpEndpoint f, ref TcpEndpoint r, SeqNum end)
    {
        bool fSyn = (f.Flags & EndpointFlags.SynSeen) != 0, rSyn = (r.Flags & EndpointFlags.SynSeen) != 0;
        bool scaleKnown = (fSyn && rSyn) || (fSyn && f.WindowScale < 0) || (rSyn && r.WindowScale < 0);
        if (!scaleKnown || !f.Rfc.Has(RfcMarks.SynAcked) || r.Rfc.Has(RfcMarks.Reset))
        {
            return false;
        }
        return end > (SeqNum)r.LastAck + r.ScaledWindow(f);
    }
}
