using System;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// What the wire has shown about one endpoint. Each fact is set once and never cleared, so the RFC 9293 state
/// derived from them (<see cref="RfcState.Of"/>) cannot go backwards, whatever order segments arrive in.
/// </summary>
[Flags]
internal enum EndpointFacts : ushort
{
    None = 0,

    /// <summary>It sent a SYN (or was already connected when the capture picked the flow up).</summary>
    SentSyn = 1 << 0,

    /// <summary>The peer acknowledged its SYN (an ACK of Isn + 1 or later).</summary>
    SynAcked = 1 << 1,

    /// <summary>It has received the peer's SYN: it acknowledged it, or (<see cref="TcpStateEvidence.Receipt"/>) the capture showed a SYN it would accept.</summary>
    ReceivedSyn = 1 << 2,

    /// <summary>It sent a FIN.</summary>
    SentFin = 1 << 3,

    /// <summary>The peer acknowledged its FIN.</summary>
    FinAcked = 1 << 4,

    /// <summary>It has received the peer's FIN: it acknowledged it, or (<see cref="TcpStateEvidence.Receipt"/>) the capture showed the FIN in order.</summary>
    ReceivedFin = 1 << 5,

    /// <summary>It sent its FIN before it had received the peer's: the active closer, which ends in TIME_WAIT.</summary>
    ActiveClose = 1 << 6,

    /// <summary>An acceptable RST ended the connection.</summary>
    Reset = 1 << 7,

    /// <summary>Its TIME_WAIT ran out (2 × MSL), or the flow timed out.</summary>
    Expired = 1 << 8,
}
