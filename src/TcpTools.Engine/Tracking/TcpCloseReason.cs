namespace TcpTools;

/// <summary>How a tracked connection ended, or that it has not.</summary>
public enum TcpCloseReason : byte
{
    /// <summary>Still open at the end of the input.</summary>
    Open,

    /// <summary>Closed by FINs: the four-way (or simultaneous) close, TIME_WAIT included.</summary>
    Fin,

    /// <summary>Aborted by an acceptable RST.</summary>
    Reset,

    /// <summary>Idle longer than the timeout for its state (see <c>TcpTimeouts</c>).</summary>
    Timeout,

    /// <summary>Dropped from a full flow table to make room (<c>-MaxFlows</c>).</summary>
    Evicted,
}
