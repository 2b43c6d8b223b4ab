using System;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// The RFC 9293 machine's part of an endpoint record (2 bytes): its state, moved only through
/// <see cref="RfcTable"/>, and the few facts about it that the states do not hold but the rules read.
/// </summary>
internal struct RfcEndpoint
{
    public TcpState State;

    public RfcMarks Marks;

    public readonly bool Has(RfcMarks mark) => (Marks & mark) != 0;
}

/// <summary>What the RFC rules need to know about an endpoint beyond its state. Each mark is set once, never cleared.</summary>
[Flags]
internal enum RfcMarks : byte
{
    None = 0,

    /// <summary>
    /// The peer acknowledged its SYN (SND.UNA &gt; ISS). Decides where SYN_SENT goes on the peer's SYN (RFC 9293
    /// 3.10.7.3: ESTABLISHED when its SYN is acknowledged, otherwise SYN_RECEIVED); under
    /// <see cref="TcpStateEvidence.Answer"/> a client's SYN-ACK leaves it in SYN_SENT with this mark until its ACK shows.
    /// </summary>
    SynAcked = 1 << 0,

    /// <summary>It sent a FIN: <see cref="ZeekEndpoint.FinSeq"/> is valid.</summary>
    SentFin = 1 << 1,

    /// <summary>
    /// The peer acknowledged its FIN. On receipt an endpoint can be CLOSE_WAIT before it acknowledges the FIN, so
    /// whether its own FIN later crossed the peer's is read from the peer's mark, not from its state.
    /// </summary>
    FinAcked = 1 << 2,

    /// <summary>An acceptable RST closed it.</summary>
    Reset = 1 << 3,

    /// <summary>CLOSED for good (a RST, the ACK of LAST_ACK's FIN, the end of TIME_WAIT or a timeout): nothing moves it again.</summary>
    Final = 1 << 4,
}
