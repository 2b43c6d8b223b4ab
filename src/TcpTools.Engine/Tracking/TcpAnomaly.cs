using System;

namespace TcpTools;

/// <summary>
/// Something a connection's segments did that a correct, undisturbed TCP exchange does not do, named as Zeek's weirds
/// and Wireshark's expert infos name them (about_TcpStates lists each with its peer's name). Flags: a flow's
/// <see cref="TcpConnectionState.Anomalies"/> holds every kind it showed, and <see cref="TcpConnectionState.AnomalyCounts"/>
/// how many segments showed each.
/// </summary>
[Flags]
public enum TcpAnomaly : uint
{
    None = 0,

    /// <summary>A SYN that carries payload (Zeek SYN_with_data; TCP Fast Open does it on purpose).</summary>
    SynWithData = 1 << 0,

    /// <summary>SYN and FIN in one segment: no TCP sends it; scanners and OS fingerprinting do (Zeek's history letter Q; conntrack drops it as an invalid flag combination).</summary>
    SynAndFin = 1 << 1,

    /// <summary>SYN and RST in one segment (Zeek TCP_christmas).</summary>
    SynAndRst = 1 << 2,

    /// <summary>A segment with none of SYN, ACK and RST (a null, FIN or Xmas scan): a synchronized receiver drops it (RFC 9293 3.10.7.4).</summary>
    NoAck = 1 << 3,

    /// <summary>A SYN-ACK whose ACK does not acknowledge the SYN it answers (Zeek bad_SYN_ack).</summary>
    BadSynAck = 1 << 4,

    /// <summary>Both sides sent a SYN without ACK: a simultaneous open (Zeek simultaneous_open).</summary>
    SimultaneousOpen = 1 << 5,

    /// <summary>Payload from an endpoint that had sent its SYN and not yet completed the handshake (Zeek data_before_established).</summary>
    DataBeforeHandshake = 1 << 6,

    /// <summary>A SYN from an endpoint that had sent a RST, on the same connection (Zeek SYN_after_reset).</summary>
    SynAfterReset = 1 << 7,

    /// <summary>A FIN from an endpoint that had sent a RST (Zeek FIN_after_reset).</summary>
    FinAfterReset = 1 << 8,

    /// <summary>Payload from an endpoint that had sent a RST (Zeek data_after_reset): the mark of a RST someone else injected in its name.</summary>
    DataAfterReset = 1 << 9,

    /// <summary>A SYN from an endpoint that had already sent its FIN, on the same connection (Zeek SYN_after_close).</summary>
    SynAfterClose = 1 << 10,

    /// <summary>An ACK beyond anything the capture saw its receiver send (Wireshark tcp.analysis.ack_lost_segment): a segment the capture missed, or an ACK of data never sent.</summary>
    AckOfUnseenData = 1 << 11,

    /// <summary>A RST its receiver would not take, outside its receive window (or, to an endpoint in SYN_SENT, one that does not acknowledge its SYN): RFC 9293 discards it.</summary>
    RstOutsideWindow = 1 << 12,

    /// <summary>A RST inside the receive window but not at the sequence number expected next: RFC 5961 answers it with a challenge ACK instead of a reset.</summary>
    RstInWindow = 1 << 13,

    /// <summary>Payload beyond the right edge of the receive window its receiver last advertised (conntrack's "SEQ is over the upper bound").</summary>
    WindowExceeded = 1 << 14,

    /// <summary>One byte sent into a zero window to learn when it opens (Wireshark tcp.analysis.zero_window_probe).</summary>
    ZeroWindowProbe = 1 << 15,

    /// <summary>A segment whose TCP checksum is wrong, with -ValidateChecksum (Zeek bad_TCP_checksum, Wireshark tcp.checksum_bad.expert): dropped, history C.</summary>
    BadChecksum = 1 << 16,

    /// <summary>A packet whose IPv4 header checksum is wrong, with -ValidateChecksum (Zeek bad_IP_checksum, Wireshark ip.checksum_bad.expert): dropped at the IP layer, no history letter.</summary>
    BadIPChecksum = 1 << 17,

    /// <summary>A new connection started on the 4-tuple of one still held (in TIME_WAIT, reset, or closed): Wireshark tcp.analysis.reused_ports.</summary>
    PortsReused = 1 << 18,
}
