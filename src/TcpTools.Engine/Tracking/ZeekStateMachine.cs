using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Zeek's endpoint state machine (TCPSessionAdapter::UpdateStateMachine), split as Zeek splits it: one method per
/// state of the sending endpoint, each moving the sender (and the receiver in the cases Zeek names) and naming the
/// weirds Zeek names in that state as <see cref="TcpAnomaly"/> kinds. Each returns Zeek's do_close.
/// </summary>
internal static class ZeekStateMachine
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot path: optimized at first call, no tier-0 phase
    public static bool Update(FlowTable table, int slot, bool fromClient, ref bool isOrig, bool syn, bool fin, bool rst, bool ack, uint len, long now, ref TcpAnomaly found)
    {
        ref FlowRecord flow = ref table[slot];
        ref TcpEndpoint ep = ref flow.Endpoint(fromClient);
        ref TcpEndpoint peer = ref flow.Endpoint(!fromClient);
        switch (ep.Zeek.State)
        {
            case ZeekEndpointState.Inactive:
                return Inactive(table, slot, ref ep, ref peer, ref isOrig, syn, fin, rst, ack, len);
            case ZeekEndpointState.SynSent:
            case ZeekEndpointState.SynAckSent:
                return SynSent(ref ep, fin, rst, len, ref found);
            case ZeekEndpointState.Established:
            case ZeekEndpointState.Partial:
                return Established(ref ep, ref peer, syn, fin, rst, ack);
            case ZeekEndpointState.Closed:
                return Closed(ref flow, ref ep, ref peer, syn, rst, now, ref found);
            default:
                Reset(syn, fin, rst, len, ref found);
                return false;
        }
    }

    /// <summary>UpdateInactiveState: the endpoint's first segment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static bool Inactive(FlowTable table, int slot, ref TcpEndpoint ep, ref TcpEndpoint peer, ref bool isOrig, bool syn, bool fin, bool rst, bool ack, uint len)
    {
        ref FlowRecord flow = ref table[slot];
        if (syn)
        {
            if (isOrig)
            {
                ep.Zeek.State = ack ? ZeekEndpointState.SynAckSent : ZeekEndpointState.SynSent;
                flow.Flags |= FlowFlags.ZeekAttempt;
            }
            else
            {
                if (!ack && peer.Zeek.State == ZeekEndpointState.SynAckSent)
                {
                    // The SYN of a SYN-ACK seen first: the roles were wrong, flip them.
                    flow.Flags ^= FlowFlags.ZeekFlipped;
                    isOrig = true;
                    ZeekModel.Append(table, slot, '^', true);
                    peer.Zeek.State = ZeekEndpointState.Established;
                }
                if (peer.Zeek.State == ZeekEndpointState.SynSent)
                {
                    peer.Zeek.State = ZeekEndpointState.Established;
                }
                ep.Zeek.State = ZeekEndpointState.Established;
            }
        }
        bool doClose = FinOrReset(ref ep, fin, rst);
        if (ep.Zeek.State == ZeekEndpointState.Inactive)
        {
            ref TcpEndpoint orig = ref ZeekModel.Originator(ref flow);
            if (!isOrig && len == 0 && orig.Zeek.State == ZeekEndpointState.SynSent)
            {
                // "eccentric TCP" acknowledging the SYN before its SYN-ACK: stays inactive
            }
            else if (ack && peer.Zeek.State == ZeekEndpointState.Established)
            {
                ep.Zeek.State = ZeekEndpointState.Established; // the SYN was missed
            }
            else
            {
                ep.Zeek.State = ZeekEndpointState.Partial;
            }
        }
        return doClose;
    }

    /// <summary>UpdateSYN_SentState: it has sent its SYN (or SYN-ACK as originator) and the handshake is not complete.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)] // per segment: inlined into Update
    private static bool SynSent(ref TcpEndpoint ep, bool fin, bool rst, uint len, ref TcpAnomaly found)
    {
        if (!rst && len > 0)
        {
            found |= TcpAnomaly.DataBeforeHandshake; // data_before_established
        }
        return FinOrReset(ref ep, fin, rst);
    }

    /// <summary>A FIN closes the sender, a RST resets it (the RST wins when both are set); either is do_close.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FinOrReset(ref TcpEndpoint ep, bool fin, bool rst)
    {
        if (rst)
        {
            ep.Zeek.State = ZeekEndpointState.Reset;
        }
        else if (fin)
        {
            ep.Zeek.State = ZeekEndpointState.Closed;
        }
        return fin || rst;
    }

    /// <summary>UpdateEstablishedState: established, or partial (picked up mid-stream).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)] // per segment: inlined into Update
    private static bool Established(ref TcpEndpoint ep, ref TcpEndpoint peer, bool syn, bool fin, bool rst, bool ack)
    {
        bool doClose = false;
        if (syn && ep.Zeek.State == ZeekEndpointState.Partial && peer.Zeek.State == ZeekEndpointState.Inactive && !ack)
        {
            ep.Zeek.State = ZeekEndpointState.SynSent;
        }
        if (fin && !rst)
        {
            ep.Zeek.State = ZeekEndpointState.Closed;
            if (peer.Zeek.State == ZeekEndpointState.Reset && peer.Zeek.PreviousState == ZeekEndpointState.Closed)
            {
                peer.Zeek.State = ZeekEndpointState.Closed; // a FIN after the peer's FIN-then-RST: a normal close
            }
            doClose = true;
        }
        if (rst)
        {
            ep.Zeek.State = ZeekEndpointState.Reset;
            doClose = true;
        }
        return doClose;
    }

    /// <summary>UpdateClosedState: it has sent its FIN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per segment or per flow: optimized at first call (see TcpTracker.Process)
    private static bool Closed(ref FlowRecord flow, ref TcpEndpoint ep, ref TcpEndpoint peer, bool syn, bool rst, long now, ref TcpAnomaly found)
    {
        if (syn)
        {
            found |= TcpAnomaly.SynAfterClose; // SYN_after_close
        }
        if (rst && peer.Zeek.State != ZeekEndpointState.Closed)
        {
            ep.Zeek.State = ZeekEndpointState.Reset;
            ZeekModel.ScheduleRemoval(ref flow, now); // the reset timer
            return !ep.Zeek.DidClose;
        }
        return false;
    }

    /// <summary>UpdateResetState: it has sent a RST; nothing moves it any more, and whatever it sends is a weird.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)] // per segment: inlined into Update
    private static void Reset(bool syn, bool fin, bool rst, uint len, ref TcpAnomaly found)
    {
        if (syn)
        {
            found |= TcpAnomaly.SynAfterReset; // SYN_after_reset
        }
        if (fin)
        {
            found |= TcpAnomaly.FinAfterReset; // FIN_after_reset
        }
        if (len > 0 && !rst)
        {
            found |= TcpAnomaly.DataAfterReset; // data_after_reset
        }
    }
}
