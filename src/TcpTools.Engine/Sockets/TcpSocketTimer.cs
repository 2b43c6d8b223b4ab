namespace TcpTools;

/// <summary>
/// Which kernel timer a socket has running (inet_diag's idiag_timer, /proc/net/tcp's "tr" column, ss -o's timer name).
/// </summary>
public enum TcpSocketTimer : byte
{
    /// <summary>No timer pending ("off" in ss -o).</summary>
    None = 0,

    /// <summary>Retransmission timer: unacknowledged data, a SYN or a SYN-ACK waits for its ACK ("on" in ss -o).</summary>
    Retransmit = 1,

    /// <summary>Keepalive timer (or, on a FIN_WAIT_2 orphan, tcp_fin_timeout) ("keepalive").</summary>
    KeepAlive = 2,

    /// <summary>TIME_WAIT: the socket leaves the table when it expires ("timewait").</summary>
    TimeWait = 3,

    /// <summary>Zero window probe: the peer advertised a zero window ("persist").</summary>
    ZeroWindowProbe = 4,
}
