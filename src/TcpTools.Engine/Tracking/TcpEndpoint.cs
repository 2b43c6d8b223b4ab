using System.Runtime.InteropServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// What the tracker keeps about one side of a connection: 72 bytes, no references, one part per machine. Each
/// machine writes only its own part and reads the others' only where its comment says; they run in this order on
/// every segment (<see cref="TcpTracker.Process(long, in Decoding.DecodedTcp, System.ReadOnlySpan{byte})"/>):
/// <list type="number">
/// <item><see cref="Zeek"/> (ZeekModel, ZeekStateMachine): Zeek's endpoint state, history counters, sequence
/// extent and reassembly point.</item>
/// <item><see cref="Rfc"/> (RfcTransitions through RfcTable): the RFC 9293 state. Reads the Zeek part's Isn, FinSeq
/// and HasHole (so runs after it) and the analysis part's NextSeq and LastAck as they were before this segment
/// (so runs before it).</item>
/// <item><see cref="Analysis"/> (SequenceAnalysis): Wireshark's sequence analysis. Reads the RFC part's marks and
/// the handshake part (window scales).</item>
/// <item><see cref="Handshake"/> (TcpTracker.Handshake): the SYN's options.</item>
/// </list>
/// Sequence numbers are raw (absolute) 32-bit values compared with <see cref="SeqNum"/> arithmetic; times are
/// microseconds since the flow's first segment, modulo 2^32, used only for differences of a few seconds.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)] // 26 + 2 + 4 + 37 + 3: no padding
internal struct TcpEndpoint
{
    public ZeekEndpoint Zeek;

    public RfcEndpoint Rfc;

    /// <summary>[tracker] Segments it sent (counted before the machines run; a segment dropped for its checksum is not).</summary>
    public uint Packets;

    public AnalysisEndpoint Analysis;

    public HandshakeEndpoint Handshake;

    public readonly TcpState State => Rfc.State;

    /// <summary>Its last advertised window in bytes: shifted by its scale when both sides announced one (RFC 7323).</summary>
    public readonly uint ScaledWindow(in TcpEndpoint peer) =>
        Handshake.WindowScale >= 0 && peer.Handshake.WindowScale >= 0 ? (uint)Analysis.Window << Handshake.WindowScale : Analysis.Window;
}

/// <summary>Zeek's part of an endpoint (ZeekModel writes it; RfcTransitions reads Isn, FinSeq and HasHole).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 2)] // 26 bytes
internal struct ZeekEndpoint
{
    /// <summary>Initial sequence number: the SYN's, or the first seen minus one when picked up mid-stream (Zeek's start_seq).</summary>
    public uint Isn;

    /// <summary>The sequence number the FIN occupies (its seq + payload); valid with <see cref="FinSeen"/> (and <see cref="RfcMarks.SentFin"/>).</summary>
    public uint FinSeq;

    /// <summary>Zeek's last_seq: the highest segment end, by Zeek's update rules.</summary>
    public uint LastSeq;

    /// <summary>End of the data seen in order (Zeek's reassembly point), for content-gap detection.</summary>
    public uint Delivered;

    /// <summary>Zeek's retransmission count (history 'T', letters at 1, 10, 100 …; saturates at 65535).</summary>
    public ushort Retransmits;

    /// <summary>Zeek's content-gap count (history 'G').</summary>
    public ushort Gaps;

    /// <summary>Zeek's zero-window count (history 'W').</summary>
    public ushort ZeroWindows;

    /// <summary>Low 8 bits of the relative seq of its last RST: Zeek repeats 'R' only for a RST at another seq.</summary>
    public byte LastRstSeq;

    /// <summary>Bad TCP checksums (low 7 bits, saturating at 127: history 'C' at 1, 10, 100) and the hole bit (bit 7).</summary>
    private byte _checksumsAndHole;

    /// <summary>Zeek's endpoint state (low 3 bits), previous state (next 3), did_close (bit 6), FIN seen (bit 7).</summary>
    private byte _bits;

    /// <summary>Times <see cref="LastSeq"/> wrapped past 2^32, for byte counts over 4 GiB.</summary>
    public byte SeqWraps;

    /// <summary>Segments with a bad TCP checksum, when checksums are validated (saturates at 127).</summary>
    public byte ChecksumErrors
    {
        readonly get => (byte)(_checksumsAndHole & 0x7F);
        set => _checksumsAndHole = (byte)((_checksumsAndHole & 0x80) | (value > 0x7F ? 0x7F : value));
    }

    /// <summary>Zeek's reassembler has seen data from it out of order (a hole before <see cref="LastSeq"/>).</summary>
    public bool HasHole
    {
        readonly get => (_checksumsAndHole & 0x80) != 0;
        set => _checksumsAndHole = (byte)(value ? _checksumsAndHole | 0x80 : _checksumsAndHole & 0x7F);
    }

    public ZeekEndpointState State
    {
        readonly get => (ZeekEndpointState)(_bits & 7);
        set
        {
            var old = (ZeekEndpointState)(_bits & 7);
            if (old != value)
            {
                _bits = (byte)((_bits & 0xC0) | ((int)old << 3) | (int)value);
            }
        }
    }

    public readonly ZeekEndpointState PreviousState => (ZeekEndpointState)((_bits >> 3) & 7);

    public bool DidClose
    {
        readonly get => (_bits & 0x40) != 0;
        set => _bits = (byte)(value ? _bits | 0x40 : _bits & ~0x40);
    }

    public bool FinSeen
    {
        readonly get => (_bits & 0x80) != 0;
        set => _bits = (byte)(value ? _bits | 0x80 : _bits & ~0x80);
    }
}

/// <summary>Wireshark's sequence analysis part (SequenceAnalysis writes it; RfcTransitions reads NextSeq, LastAck and Seen before it runs).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)] // 37 bytes
internal struct AnalysisEndpoint
{
    /// <summary>Highest seq + length sent, SYN and FIN counting one (Wireshark's nextseq); valid with <see cref="NextSeqKnown"/>.</summary>
    public uint NextSeq;

    /// <summary>The acknowledgment number of the last segment it sent (whatever its flags, as Wireshark keeps it).</summary>
    public uint LastAck;

    /// <summary>When <see cref="NextSeq"/> last advanced (µs since the flow's first segment).</summary>
    public uint NextSeqTimeUs;

    /// <summary>When it last sent a segment (µs since the flow's first segment).</summary>
    public uint LastTimeUs;

    public uint Retransmissions;
    public uint OutOfOrder;
    public uint DuplicateAcks;
    public uint ZeroWindows;

    /// <summary>The raw window field of its last segment.</summary>
    public ushort Window;

    /// <summary>Duplicate ACKs in a row with the current ack value (Wireshark's dupacknum; saturates).</summary>
    public ushort DupAckRun;

    public AnalysisFlags Flags;

    public readonly bool NextSeqKnown => (Flags & AnalysisFlags.NextSeqKnown) != 0;

    /// <summary>It has sent a segment the analysis has seen (before the current one, while it is being analysed).</summary>
    public readonly bool Seen => (Flags & AnalysisFlags.Seen) != 0;
}

/// <summary>Bits of the analysis part.</summary>
[System.Flags]
internal enum AnalysisFlags : byte
{
    None = 0,
    NextSeqKnown = 1 << 0,

    /// <summary>It has sent at least one segment.</summary>
    Seen = 1 << 1,

    /// <summary>Its last segment was a keep-alive (Wireshark): the ACK answering it is not a duplicate.</summary>
    LastWasKeepAlive = 1 << 2,

    /// <summary>Its last segment was a zero-window probe.</summary>
    LastWasWindowProbe = 1 << 3,
}

/// <summary>What its SYN announced (TcpTracker.Handshake writes it; SequenceAnalysis and the window rules read it).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)] // 3 bytes
internal struct HandshakeEndpoint
{
    /// <summary><see cref="WindowScale"/> before any SYN of its was captured.</summary>
    public const sbyte NoSynSeen = -2;

    /// <summary><see cref="WindowScale"/> when its SYN announced no scale.</summary>
    public const sbyte NoScale = -1;

    /// <summary>MSS it announced in its SYN (0 when none was seen).</summary>
    public ushort Mss;

    /// <summary>Window scale shift its SYN announced (0–14), <see cref="NoScale"/>, or <see cref="NoSynSeen"/>.</summary>
    public sbyte WindowScale;

    /// <summary>Its SYN (or SYN-ACK) was captured: <see cref="WindowScale"/> says whether it announced a scale.</summary>
    public readonly bool SynSeen => WindowScale != NoSynSeen;
}
