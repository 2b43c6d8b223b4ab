namespace TcpTools;

/// <summary>
/// An endpoint's connection state in the RFC 9293 state machine (section 3.3.2), as the wire shows it.
/// <see cref="Listen"/> is part of the machine but never shown by the wire: a listener's state appears only
/// once it answers, as <see cref="SynReceived"/>.
/// </summary>
public enum TcpState : byte
{
    /// <summary>No connection at this endpoint: not yet heard from, or finished (after TIME_WAIT, LAST_ACK, a reset or a timeout).</summary>
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}
