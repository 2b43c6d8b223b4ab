namespace TcpTools;

/// <summary>Zeek's conn.log <c>conn_state</c> summary of a connection (scripts/base/protocols/conn/main.zeek).</summary>
public enum ZeekConnState : byte
{
    /// <summary>Connection attempt seen, no reply.</summary>
    S0,

    /// <summary>Connection established, not terminated.</summary>
    S1,

    /// <summary>Normal establishment and termination.</summary>
    SF,

    /// <summary>Connection attempt rejected.</summary>
    REJ,

    /// <summary>Established; close attempt by the originator seen, but no reply from the responder.</summary>
    S2,

    /// <summary>Established; close attempt by the responder seen, but no reply from the originator.</summary>
    S3,

    /// <summary>Established; the originator aborted (sent a RST).</summary>
    RSTO,

    /// <summary>The responder sent a RST.</summary>
    RSTR,

    /// <summary>The originator sent a SYN followed by a RST; no SYN-ACK from the responder.</summary>
    RSTOS0,

    /// <summary>The responder sent a SYN-ACK followed by a RST; no SYN from the (purported) originator.</summary>
    RSTRH,

    /// <summary>The originator sent a SYN followed by a FIN; no SYN-ACK from the responder (half-open).</summary>
    SH,

    /// <summary>The responder sent a SYN-ACK followed by a FIN; no SYN from the originator.</summary>
    SHR,

    /// <summary>No SYN seen, just midstream traffic.</summary>
    OTH,
}
