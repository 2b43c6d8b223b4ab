namespace TcpTools;

/// <summary>
/// When a segment seen in the capture moves the endpoint that receives it (RFC 9293 moves a receiver when it
/// receives: SYN_SENT + SYN-ACK is ESTABLISHED, ESTABLISHED + FIN is CLOSE_WAIT, FIN_WAIT_2 + FIN is TIME_WAIT).
/// </summary>
public enum TcpStateEvidence
{
    /// <summary>
    /// On receipt: a segment moves its receiver when the capture shows it and the receiver would accept it (a SYN-ACK
    /// acknowledging exactly its SYN; a FIN with no gap in the sender's data before it, to a synchronized receiver).
    /// Right wherever what the capture sees also arrives: on the receiving host, on a bridge, tap or router of a
    /// path that does not lose it. States then match the kernel's (ss) even when the receiver's answer is not in
    /// the capture, because it was dropped before the capture point or the capture ended first.
    /// </summary>
    Receipt,

    /// <summary>
    /// On the receiver's answer: a SYN or FIN moves its receiver only once the receiver acknowledges it in the
    /// capture. Never ahead of the kernel, even when segments are lost after the capture point (a capture on the
    /// sending host of a lossy path), but behind it while an answer is missing.
    /// </summary>
    Answer,
}
