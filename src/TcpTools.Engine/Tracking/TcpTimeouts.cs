using System.Runtime.CompilerServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// Every timeout the tracker applies, for both <see cref="TcpTimeoutPolicy"/> values, in nanoseconds of capture time.
/// TIME_WAIT is not here: it lasts 2 × <see cref="TcpTrackerOptions.Msl"/>.
/// </summary>
internal static class TcpTimeouts
{
    private const long S = 1_000_000_000;

    // Linux conntrack (nf_conntrack_proto_tcp.c, tcp_timeouts[]), by the connection's State: the endpoint furthest
    // through the close, mapped to the conntrack state the same segments produce. One FIN unacknowledged is
    // conntrack's FIN_WAIT; that FIN acknowledged (its sender FinWait2, the peer CloseWait) is CLOSE_WAIT; FINs
    // both ways with one unacknowledged (LastAck, or Closing after a simultaneous close) is LAST_ACK. Not listed:
    // Closed (both endpoints closed: ConntrackClose), TimeWait (2 × MSL) and Listen (never a tracked state).

    /// <summary>TCP_CONNTRACK_CLOSE: a closed or reset flow lingers this long to absorb stray segments.</summary>
    public const long ConntrackClose = 10 * S;

    // Worked out once: the per-segment lookup is one load.
    private static readonly long[] s_conntrack = BuildConntrack();

    /// <summary>Conntrack's timeout for a connection in this State (one that is not closed nor in TIME_WAIT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Conntrack(TcpState connection) => s_conntrack[(int)connection];

    private static long[] BuildConntrack()
    {
        var table = new long[(int)TcpState.TimeWait + 1];
        for (int s = 0; s < table.Length; s++)
        {
            table[s] = ConntrackTimeout((TcpState)s);
        }
        return table;
    }

    private static long ConntrackTimeout(TcpState connection) => connection switch
    {
        TcpState.SynSent => 120 * S,            // TCP_CONNTRACK_SYN_SENT: a SYN unanswered
        TcpState.SynReceived => 60 * S,         // TCP_CONNTRACK_SYN_RECV: a SYN-ACK unacknowledged
        TcpState.Established => 5 * 24 * 3600 * S, // TCP_CONNTRACK_ESTABLISHED: 5 days
        TcpState.FinWait1 => 120 * S,           // TCP_CONNTRACK_FIN_WAIT
        TcpState.FinWait2 => 60 * S,            // TCP_CONNTRACK_CLOSE_WAIT (the FIN acknowledged)
        TcpState.CloseWait => 60 * S,           // TCP_CONNTRACK_CLOSE_WAIT
        TcpState.Closing => 30 * S,             // TCP_CONNTRACK_LAST_ACK (FINs both ways, one unacknowledged)
        TcpState.LastAck => 30 * S,             // TCP_CONNTRACK_LAST_ACK
        _ => ConntrackClose,                    // Closed: not reached (DueTime handles closed flows first)
    };

    /// <summary>Zeek's tcp_close_delay and tcp_reset_delay: a closed or reset connection is removed this long after.</summary>
    public const long ZeekCloseDelay = 5 * S;

    /// <summary>Zeek's tcp_attempt_delay: a SYN left unanswered this long is an attempt (S0) and is removed.</summary>
    public const long ZeekAttemptDelay = 5 * S;

    /// <summary>Zeek's tcp_inactivity_timeout.</summary>
    public const long ZeekInactivity = 300 * S;

    /// <summary>The hour that Zeek's inactivity.zeek gives the interactive ports 21, 22, 23 and 513.</summary>
    public const long ZeekLongInactivity = 3600 * S;

    /// <summary>Zeek's inactivity timeout for a responder port.</summary>
    public static long ZeekInactivityFor(ushort responderPort) => responderPort is 21 or 22 or 23 or 513 ? ZeekLongInactivity : ZeekInactivity;
}
