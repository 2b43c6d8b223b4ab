using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Derives an endpoint's RFC 9293 state from what the wire has shown (<see cref="EndpointFacts"/>). A sender moves
/// when it shows the move (a server is SYN_RECEIVED once its SYN-ACK is seen); a receiver when it receives what
/// moves it, taken as the capture shows it (<see cref="TcpStateEvidence.Receipt"/>: a client is ESTABLISHED once the
/// SYN-ACK is seen, an endpoint CLOSE_WAIT once the peer's FIN is) or as its answer shows it
/// (<see cref="TcpStateEvidence.Answer"/>: once it acknowledges them).
/// </summary>
internal static class RfcState
{
    // Every combination of the nine facts, worked out once: Of is one load on the per-segment path.
    private const int FactCombinations = 1 << 9;
    private static readonly TcpState[] s_states = BuildStates();
    private static readonly byte[] s_ranks = BuildRanks();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TcpState Of(EndpointFacts f) => s_states[(int)f & (FactCombinations - 1)];

    private static TcpState[] BuildStates()
    {
        System.Diagnostics.Debug.Assert((int)EndpointFacts.Expired < FactCombinations);
        var states = new TcpState[FactCombinations];
        for (int f = 0; f < states.Length; f++)
        {
            states[f] = Derive((EndpointFacts)f);
        }
        return states;
    }

    private static TcpState Derive(EndpointFacts f)
    {
        if ((f & (EndpointFacts.Reset | EndpointFacts.Expired)) != 0)
        {
            return TcpState.Closed;
        }
        bool sentFin = (f & EndpointFacts.SentFin) != 0;
        bool receivedFin = (f & EndpointFacts.ReceivedFin) != 0;
        if (sentFin || receivedFin)
        {
            bool active = (f & EndpointFacts.ActiveClose) != 0;
            bool finAcked = (f & EndpointFacts.FinAcked) != 0;
            if (sentFin && receivedFin)
            {
                // Active: FIN_WAIT_1 + FIN -> CLOSING, then its ACK -> TIME_WAIT (or FIN_WAIT_2 + FIN -> TIME_WAIT).
                // Passive: CLOSE_WAIT + close -> LAST_ACK, then the ACK -> CLOSED.
                return finAcked ? (active ? TcpState.TimeWait : TcpState.Closed) : (active ? TcpState.Closing : TcpState.LastAck);
            }
            return sentFin ? (finAcked ? TcpState.FinWait2 : TcpState.FinWait1) : TcpState.CloseWait;
        }
        if ((f & EndpointFacts.SentSyn) == 0)
        {
            return TcpState.Closed;
        }
        if ((f & EndpointFacts.ReceivedSyn) == 0)
        {
            return TcpState.SynSent;
        }
        return (f & EndpointFacts.SynAcked) != 0 ? TcpState.Established : TcpState.SynReceived;
    }

    /// <summary>
    /// One state for the connection: the state of the endpoint further through the close, so that
    /// <c>State -eq TimeWait</c> means "an endpoint is in TIME_WAIT", and an opening connection shows the
    /// endpoint that has moved further (SYN_RECEIVED over SYN_SENT).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TcpState Connection(TcpState client, TcpState server) => s_ranks[(int)client] >= s_ranks[(int)server] ? client : server;

    private static byte[] BuildRanks()
    {
        var ranks = new byte[(int)TcpState.TimeWait + 1];
        for (int s = 0; s < ranks.Length; s++)
        {
            ranks[s] = (byte)Rank((TcpState)s);
        }
        return ranks;
    }

    private static int Rank(TcpState s) => s switch
    {
        TcpState.TimeWait => 10,
        TcpState.Closing => 9,
        TcpState.LastAck => 8,
        TcpState.FinWait2 => 7,
        TcpState.FinWait1 => 6,
        TcpState.CloseWait => 5,
        TcpState.Established => 4,
        TcpState.SynReceived => 3,
        TcpState.SynSent => 2,
        TcpState.Listen => 1,
        _ => 0,
    };
}
