namespace TcpTools;

/// <summary>Which rules decide when an idle or finished connection leaves the flow table.</summary>
public enum TcpTimeoutPolicy
{
    /// <summary>
    /// Linux conntrack's per-state timeouts (SYN_SENT 120 s, SYN_RECV 60 s, ESTABLISHED 5 days, FIN_WAIT 120 s,
    /// CLOSE_WAIT 60 s, LAST_ACK 30 s, CLOSE 10 s), with TIME_WAIT lasting 2 × MSL.
    /// </summary>
    Conntrack,

    /// <summary>
    /// Zeek's timers (tcp_attempt_delay, tcp_close_delay, tcp_reset_delay 5 s; inactivity 5 min, 1 h on ports
    /// 21, 22, 23, 513), so that connections split into the same rows as Zeek's conn.log.
    /// </summary>
    Zeek,
}
