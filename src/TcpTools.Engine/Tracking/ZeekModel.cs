using System;
using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Zeek's view of a TCP connection, kept beside the RFC states so that <c>ConnState</c> and <c>History</c> equal
/// what Zeek writes to conn.log: its seven endpoint states (TCPSessionAdapter::UpdateStateMachine, in <see cref="ZeekStateMachine"/>), its history
/// letters in its order (update_history, update_window, update_last_seq, the reassembler's gaps), its role flips
/// and the timers that end a connection. Rules are named after Zeek's functions; the comments say where this
/// model is simpler than Zeek (no payload reassembly: the gap check keeps one in-order pointer per side).
/// </summary>
internal static class ZeekModel
{
    // hist_seen masks (Session.h); the responder's are shifted left by 16.
    private const uint HistSyn = 0x1;
    private const uint HistFin = 0x2;
    private const uint HistRst = 0x4;
    private const uint HistFinRst = 0x8;
    private const uint HistData = 0x10;
    private const uint HistAck = 0x20;
    private const uint HistMultiFlag = 0x40;

    // TOO_LARGE_SEQ_DELTA: a SYN or RST this far from the last sequence number does not move it.
    private const int TooLargeSeqDelta = 1_048_576;

    /// <summary>Zeek's originator endpoint of the flow (our server when the flow is Zeek-flipped).</summary>
    public static ref TcpEndpoint Originator(ref FlowRecord flow) => ref flow.Endpoint(!flow.ZeekFlipped);

    public static ref TcpEndpoint Responder(ref FlowRecord flow) => ref flow.Endpoint(flow.ZeekFlipped);

    /// <summary>
    /// NewConn's orientation: a first segment that is not a pure SYN comes from the responder when its source
    /// port is a likely server port and its destination port is not (or both are and the source port is lower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static bool FlipAtCreation(in Decoding.DecodedTcp tcp, ServerPorts ports)
    {
        bool syn = (tcp.Flags & TcpFlags.Syn) != 0;
        bool pureSyn = syn && (tcp.Flags & TcpFlags.Ack) == 0;
        if (pureSyn || !ports.Contains(tcp.SourcePort))
        {
            return false;
        }
        return !ports.Contains(tcp.DestinationPort) || (!syn && tcp.SourcePort < tcp.DestinationPort);
    }

    /// <summary>TCPSessionAdapter::IsReuse: does this SYN start a new connection on the 4-tuple?</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static bool IsReuse(ref FlowRecord flow, in Decoding.DecodedTcp tcp)
    {
        if ((tcp.Flags & TcpFlags.Syn) == 0)
        {
            return false;
        }
        ref TcpEndpoint orig = ref Originator(ref flow);
        ref TcpEndpoint resp = ref Responder(ref flow);
        bool ack = (tcp.Flags & TcpFlags.Ack) != 0;
        ref TcpEndpoint connOrig = ref orig;
        if (ack)
        {
            if (orig.Zeek.State != ZeekEndpointState.Inactive)
            {
                return false;
            }
            connOrig = ref resp;
        }
        if (!(orig.Zeek.DidClose || resp.Zeek.DidClose))
        {
            if (tcp.SequenceNumber == connOrig.Zeek.Isn)
            {
                return false; // a retransmitted SYN or SYN-ACK
            }
            if (!ack && connOrig.Zeek.State == ZeekEndpointState.SynAckSent && resp.Zeek.State == ZeekEndpointState.Inactive && tcp.SequenceNumber == resp.Zeek.Isn)
            {
                return false; // the SYN that belongs to a SYN-ACK seen first
            }
        }
        return true; // a SYN with a new sequence number, or any SYN once a side has closed
    }

    /// <summary>
    /// A segment whose TCP checksum is wrong (checked only when validation is on, as Zeek does by default): Zeek
    /// drops it after noting 'C' for its sender, so it changes nothing else and is not counted.
    /// </summary>
    public static void ChecksumError(FlowTable table, int slot, bool fromClient)
    {
        ref FlowRecord flow = ref table[slot];
        ref TcpEndpoint ep = ref flow.Endpoint(fromClient);
        if (ep.Zeek.ChecksumErrors == 0x7F)
        {
            return;
        }
        ep.Zeek.ChecksumErrors++;
        if (ep.Zeek.ChecksumErrors is 1 or 10 or 100)
        {
            Append(table, slot, 'C', fromClient != flow.ZeekFlipped);
        }
    }

    /// <summary>One segment, in TCPSessionAdapter::Process order; returns the anomalies (Zeek's weirds) it saw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static TcpAnomaly Process(FlowTable table, int slot, bool fromClient, in Decoding.DecodedTcp tcp, long now)
    {
        TcpAnomaly found = TcpAnomaly.None;
        ref FlowRecord flow = ref table[slot];
        if (flow.HistoryLength == 1 && flow.History[0] == 'H' && (tcp.Flags & TcpFlags.Syn) == 0 && flow.ZeekFlipped)
        {
            // A connection that began with a SYN-ACK and nothing else: the next packet that is not a SYN makes Zeek
            // take the SYN-ACK's sender as the responder after all, and its history is rewritten to "^h".
            flow.Flags &= ~FlowFlags.ZeekFlipped;
            flow.History[0] = (byte)'^';
            flow.History[1] = (byte)'h';
            flow.HistoryLength = 2;
            flow.HistorySeen = (flow.HistorySeen & ~HistSyn) | (HistSyn << 16);
        }
        ref TcpEndpoint ep = ref flow.Endpoint(fromClient);
        ref TcpEndpoint peer = ref flow.Endpoint(!fromClient);
        bool isOrig = fromClient != flow.ZeekFlipped;
        TcpFlags flags = tcp.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0, fin = (flags & TcpFlags.Fin) != 0, rst = (flags & TcpFlags.Rst) != 0, ack = (flags & TcpFlags.Ack) != 0;
        uint seq = tcp.SequenceNumber;
        uint len = (uint)tcp.PayloadLength;
        uint segLen = unchecked(len + (syn ? 1u : 0) + (fin ? 1u : 0) - (rst ? len : 0));

        InitEndpoint(ref ep, syn, seq, segLen);
        uint relSeq = unchecked(seq - ep.Zeek.Isn);
        UpdateHistory(table, slot, ref ep, isOrig, syn, fin, rst, ack, seq, relSeq, len);
        if (tcp.Window == 0 && !rst && peer.Zeek.State != ZeekEndpointState.Closed && ep.Zeek.State != ZeekEndpointState.Reset)
        {
            Scaled(table, slot, ref ep.Zeek.ZeroWindows, 'W', isOrig);
        }
        if (syn)
        {
            // syn_weirds. (Zeek also names a SYN with URG baroque_SYN; not kept as a kind here.)
            found |= (rst ? TcpAnomaly.SynAndRst : 0) | (len > 0 ? TcpAnomaly.SynWithData : 0);
        }
        if (fin)
        {
            ep.Zeek.FinSeen = true;
        }
        if (ack && peer.Zeek.State == ZeekEndpointState.Inactive)
        {
            // init_peer: what the peer will send starts at the acknowledged number.
            uint start = unchecked(tcp.AcknowledgmentNumber - 1);
            peer.Zeek.Isn = start;
            peer.Zeek.LastSeq = start;
            peer.Zeek.Delivered = tcp.AcknowledgmentNumber;
        }
        UpdateLastSeq(table, slot, ref ep, isOrig, syn, fin, rst, seq, segLen, len);
        bool doClose = ZeekStateMachine.Update(table, slot, fromClient, ref isOrig, syn, fin, rst, ack, len, now, ref found);
        ref FlowRecord f = ref table[slot];
        if (ack)
        {
            AckReceived(table, slot, ref peer, !isOrig, tcp.AcknowledgmentNumber, (f.Flags & FlowFlags.Midstream) != 0);
        }
        if (len > 0 && !rst && tcp.CapturedPayloadLength >= tcp.PayloadLength)
        {
            // Only payload the capture holds in full reaches the reassembler: snap-length cuts become gaps once acked.
            Deliver(ref ep, syn ? unchecked(seq + 1) : seq, len);
        }
        if (doClose)
        {
            ConnectionClosed(ref f, ref ep, ref peer, now);
        }
        return found;
    }

    /// <summary>Zeek's conn_state() (base/protocols/conn/main.zeek), from the endpoint states at removal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static ZeekConnState ConnState(ref FlowRecord flow, string history)
    {
        ref TcpEndpoint orig = ref Originator(ref flow);
        ref TcpEndpoint resp = ref Responder(ref flow);
        var os = orig.Zeek.State;
        var rs = resp.Zeek.State;
        bool oInactive = os is ZeekEndpointState.Inactive or ZeekEndpointState.Partial;
        bool rInactive = rs is ZeekEndpointState.Inactive or ZeekEndpointState.Partial;
        if (rs == ZeekEndpointState.Reset)
        {
            if (os is ZeekEndpointState.SynSent or ZeekEndpointState.SynAckSent || (os == ZeekEndpointState.Reset && Size(ref orig, ref resp) == 0 && Size(ref resp, ref orig) == 0))
            {
                return ZeekConnState.REJ;
            }
            return oInactive ? ZeekConnState.RSTRH : ZeekConnState.RSTR;
        }
        if (os == ZeekEndpointState.Reset)
        {
            return rInactive ? (IsSynThenReset(history) ? ZeekConnState.RSTOS0 : ZeekConnState.OTH) : ZeekConnState.RSTO;
        }
        if (rs == ZeekEndpointState.Closed && os == ZeekEndpointState.Closed)
        {
            return ZeekConnState.SF;
        }
        if (os == ZeekEndpointState.Closed)
        {
            return rInactive ? ZeekConnState.SH : ZeekConnState.S2;
        }
        if (rs == ZeekEndpointState.Closed)
        {
            return oInactive ? ZeekConnState.SHR : ZeekConnState.S3;
        }
        if (os == ZeekEndpointState.SynSent && rs == ZeekEndpointState.Inactive)
        {
            return ZeekConnState.S0;
        }
        return os == ZeekEndpointState.Established && rs == ZeekEndpointState.Established ? ZeekConnState.S1 : ZeekConnState.OTH;
    }

    /// <summary>TCP_Endpoint::Size: the sequence space the endpoint used, less its SYN and FIN (Zeek's orig_bytes/resp_bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static ulong Size(ref TcpEndpoint ep, ref TcpEndpoint peer)
    {
        if (ep.Zeek.State == ZeekEndpointState.Inactive)
        {
            return 0;
        }
        long extent = ((long)ep.Zeek.SeqWraps << 32) + ep.Zeek.LastSeq - ep.Zeek.Isn;
        if (extent <= 0)
        {
            return 0;
        }
        ulong size = (ulong)extent - 1; // its SYN, or the virtual SYN of a mid-stream start
        if (ep.Zeek.FinSeen && size != 0)
        {
            size--;
        }
        return size;
    }

    /// <summary>When Zeek's timers would remove the flow (ns), given the current network time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static long RemovalTime(ref FlowRecord flow)
    {
        long last = ZeekLastTime(ref flow);
        long due = long.MaxValue;
        if (flow.ZeekRemoveAtMsPlusOne != 0)
        {
            due = flow.FirstNs + (flow.ZeekRemoveAtMsPlusOne - 1) * 1_000_000L;
        }
        ref TcpEndpoint orig = ref Originator(ref flow);
        ref TcpEndpoint resp = ref Responder(ref flow);
        if ((flow.Flags & FlowFlags.ZeekAttempt) != 0 && orig.Zeek.State is ZeekEndpointState.SynSent or ZeekEndpointState.SynAckSent && resp.Zeek.State == ZeekEndpointState.Inactive)
        {
            due = Math.Min(due, flow.FirstNs + TcpTimeouts.ZeekAttemptDelay);
        }
        ushort respPort = flow.ZeekFlipped ? flow.Key.PortA : flow.Key.PortB;
        return Math.Min(due, last + TcpTimeouts.ZeekInactivityFor(respPort));
    }

    private static long ZeekLastTime(ref FlowRecord flow) =>
        (flow.Flags & FlowFlags.ZeekFrozen) != 0 ? flow.FirstNs + flow.ZeekFrozenMs * 1_000_000L : flow.LastNs;

    // The RSTOS0 pattern /\^?S[^HAFGIQ]*R.*/ matched against the whole history.
    private static bool IsSynThenReset(string history)
    {
        int i = history.Length > 0 && history[0] == '^' ? 1 : 0;
        if (i >= history.Length || history[i] != 'S')
        {
            return false;
        }
        for (i++; i < history.Length; i++)
        {
            char c = history[i];
            if (c == 'R')
            {
                return true;
            }
            if (c is 'H' or 'A' or 'F' or 'G' or 'I' or 'Q')
            {
                return false;
            }
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void InitEndpoint(ref TcpEndpoint ep, bool syn, uint seq, uint segLen)
    {
        switch (ep.Zeek.State)
        {
            case ZeekEndpointState.Inactive:
                if (syn)
                {
                    Reinit(ref ep, seq, segLen);
                }
                else
                {
                    ep.Zeek.Isn = unchecked(seq - 1);
                    ep.Zeek.LastSeq = seq; // the first packet of a partial side is never a retransmission
                    ep.Zeek.Delivered = seq;
                    ep.Zeek.SeqWraps = 0;
                }
                break;
            case ZeekEndpointState.SynSent:
            case ZeekEndpointState.SynAckSent:
                if (syn && seq != ep.Zeek.Isn)
                {
                    Reinit(ref ep, seq, segLen);
                }
                break;
            case ZeekEndpointState.Established:
            case ZeekEndpointState.Partial:
                if (syn)
                {
                    Reinit(ref ep, seq, segLen);
                }
                break;
            case ZeekEndpointState.Reset:
                if (syn && ep.Zeek.PreviousState == ZeekEndpointState.Inactive)
                {
                    Reinit(ref ep, seq, segLen);
                }
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void Reinit(ref TcpEndpoint ep, uint seq, uint segLen)
    {
        ep.Zeek.Isn = seq;
        ep.Zeek.LastSeq = unchecked(seq + segLen);
        ep.Zeek.Delivered = unchecked(seq + 1);
        ep.Zeek.SeqWraps = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void UpdateHistory(FlowTable table, int slot, ref TcpEndpoint ep, bool isOrig, bool syn, bool fin, bool rst, bool ack, uint seq, uint relSeq, uint len)
    {
        int bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
        if (bits > 1)
        {
            Check(table, slot, fin && rst ? HistFinRst : HistMultiFlag, fin && rst ? 'I' : 'Q', isOrig);
        }
        else if (syn)
        {
            // S and H share one bit. A later SYN adds its letter again only at another relative seq, which
            // happens only where init_endpoint does not re-base the ISN (CLOSED, RESET).
            char code = ack ? 'H' : 'S';
            bool repeat = relSeq != 0 && ep.Zeek.State is ZeekEndpointState.Closed or ZeekEndpointState.Reset;
            if (Check(table, slot, HistSyn, code, isOrig) && repeat)
            {
                Append(table, slot, code, isOrig);
            }
        }
        else if (fin)
        {
            uint end = unchecked(seq + len);
            if (Check(table, slot, HistFin, 'F', isOrig) && end != ep.Zeek.FinSeq)
            {
                Append(table, slot, 'F', isOrig);
            }
            ep.Zeek.FinSeq = end;
        }
        else if (rst)
        {
            byte low = (byte)relSeq;
            if (Check(table, slot, HistRst, 'R', isOrig) && low != ep.Zeek.LastRstSeq)
            {
                Append(table, slot, 'R', isOrig);
            }
            ep.Zeek.LastRstSeq = low;
        }
        else if (len > 0)
        {
            Check(table, slot, HistData, 'D', isOrig);
        }
        else if (ack)
        {
            Check(table, slot, HistAck, 'A', isOrig);
        }
        if (fin && bits > 1)
        {
            ep.Zeek.FinSeq = unchecked(seq + len);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void UpdateLastSeq(FlowTable table, int slot, ref TcpEndpoint ep, bool isOrig, bool syn, bool fin, bool rst, uint seq, uint segLen, uint len)
    {
        uint end = unchecked(seq + segLen);
        int delta = unchecked((int)(end - ep.Zeek.LastSeq));
        if ((syn || rst) && (delta > TooLargeSeqDelta || delta < -TooLargeSeqDelta))
        {
            return;
        }
        if ((fin && ep.Zeek.LastSeq == unchecked(ep.Zeek.Isn + 1)) || (ep.Zeek.State != ZeekEndpointState.Reset && delta > 0))
        {
            if (end < ep.Zeek.LastSeq && ep.Zeek.SeqWraps < byte.MaxValue)
            {
                ep.Zeek.SeqWraps++;
            }
            ep.Zeek.LastSeq = end;
        }
        else if (ep.Zeek.State != ZeekEndpointState.Reset && len > 0)
        {
            Scaled(table, slot, ref ep.Zeek.Retransmits, 'T', isOrig);
        }
    }

    /// <summary>ConnectionClosed: did_close, and the delete timer once the close is complete.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void ConnectionClosed(ref FlowRecord flow, ref TcpEndpoint ep, ref TcpEndpoint peer, long now)
    {
        if (ep.Zeek.DidClose)
        {
            return;
        }
        ep.Zeek.DidClose = true;
        if (peer.Zeek.DidClose && (flow.Flags & FlowFlags.ZeekFrozen) == 0)
        {
            // From now on Zeek's last_time (duration, removal) stays at this packet.
            flow.Flags |= FlowFlags.ZeekFrozen;
            flow.ZeekFrozenMs = (uint)((now - flow.FirstNs) / 1_000_000);
        }
        if (ep.Zeek.State == ZeekEndpointState.Reset || peer.Zeek.DidClose || peer.Zeek.State == ZeekEndpointState.Inactive)
        {
            flow.Flags &= ~FlowFlags.ZeekAttempt; // CancelTimers
            ScheduleRemoval(ref flow, ZeekLastTime(ref flow));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    internal static void ScheduleRemoval(ref FlowRecord flow, long from)
    {
        uint at = (uint)((from + TcpTimeouts.ZeekCloseDelay - flow.FirstNs) / 1_000_000) + 1;
        if (flow.ZeekRemoveAtMsPlusOne == 0 || at < flow.ZeekRemoveAtMsPlusOne)
        {
            flow.ZeekRemoveAtMsPlusOne = at;
        }
    }

    /// <summary>
    /// The peer's data was acknowledged up to <paramref name="ack"/>: bytes acknowledged that were never seen are a
    /// content gap ('G' for the side whose data is missing), counted only while both sides are cleanly established.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void AckReceived(FlowTable table, int slot, ref TcpEndpoint peer, bool peerIsOrig, uint ack, bool midstream)
    {
        ref FlowRecord flow = ref table[slot];
        if (!Clean(ref flow.Client) || !Clean(ref flow.Server))
        {
            return;
        }
        SeqNum target = ack;
        if (peer.Zeek.FinSeen && target >= (SeqNum)peer.Zeek.FinSeq)
        {
            target = peer.Zeek.FinSeq;
        }
        if (target <= (SeqNum)peer.Zeek.Delivered || (midstream && target - (SeqNum)peer.Zeek.Isn <= 2))
        {
            return;
        }
        Scaled(table, slot, ref peer.Zeek.Gaps, 'G', peerIsOrig);
        // Data seen beyond the gap is taken as one buffered block, delivered once the gap is declared.
        peer.Zeek.Delivered = peer.Zeek.HasHole ? SeqNum.Max(target, DataEnd(ref peer)).Value : target.Value;
        peer.Zeek.HasHole = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void Deliver(ref TcpEndpoint ep, uint start, uint len)
    {
        SeqNum s = start;
        SeqNum end = s + len;
        if (s <= (SeqNum)ep.Zeek.Delivered)
        {
            if (end > (SeqNum)ep.Zeek.Delivered)
            {
                ep.Zeek.Delivered = end.Value;
            }
            if (ep.Zeek.HasHole)
            {
                // Filling the hole delivers what was buffered after it.
                ep.Zeek.Delivered = SeqNum.Max(ep.Zeek.Delivered, DataEnd(ref ep)).Value;
                ep.Zeek.HasHole = false;
            }
        }
        else
        {
            ep.Zeek.HasHole = true;
        }
    }

    private static SeqNum DataEnd(ref TcpEndpoint ep) => ep.Zeek.FinSeen ? (SeqNum)ep.Zeek.FinSeq : (SeqNum)ep.Zeek.LastSeq;

    private static bool Clean(ref TcpEndpoint ep) =>
        ep.Zeek.State == ZeekEndpointState.Established || (ep.Zeek.State == ZeekEndpointState.Closed && ep.Zeek.PreviousState == ZeekEndpointState.Established);

    /// <summary>CheckHistory: append the letter the first time its bit is seen; true when it had been seen.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static bool Check(FlowTable table, int slot, uint mask, char code, bool isOrig)
    {
        if (!isOrig)
        {
            mask <<= 16;
        }
        ref FlowRecord flow = ref table[slot];
        if ((flow.HistorySeen & mask) == 0)
        {
            flow.HistorySeen |= mask;
            Append(table, slot, code, isOrig);
            return false;
        }
        return true;
    }

    /// <summary>ScaledHistoryEntry: the letter at the 1st, 10th, 100th … occurrence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static void Scaled(FlowTable table, int slot, ref ushort counter, char code, bool isOrig)
    {
        if (counter == ushort.MaxValue)
        {
            return;
        }
        counter++;
        if (counter is 1 or 10 or 100 or 1000 or 10000)
        {
            Append(table, slot, code, isOrig);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    internal static void Append(FlowTable table, int slot, char code, bool isOrig)
    {
        char c = isOrig || code == '^' ? code : char.ToLowerInvariant(code);
        ref FlowRecord flow = ref table[slot];
        if (flow.HistoryLength < HistoryBuffer.Length)
        {
            flow.History[flow.HistoryLength++] = (byte)c;
            return;
        }
        flow.Flags |= FlowFlags.HistoryOverflow;
        if (flow.HistoryLength < byte.MaxValue)
        {
            flow.HistoryLength++;
            table.AppendHistoryOverflow(slot, c);
        }
    }

    /// <summary>The history string of a flow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    public static string History(FlowTable table, int slot)
    {
        ref FlowRecord flow = ref table[slot];
        int inline = Math.Min((int)flow.HistoryLength, HistoryBuffer.Length);
        Span<char> chars = stackalloc char[inline];
        for (int i = 0; i < inline; i++)
        {
            chars[i] = (char)flow.History[i];
        }
        string head = new(chars);
        return (flow.Flags & FlowFlags.HistoryOverflow) != 0 ? head + table.HistoryOverflow(slot) : head;
    }
}
