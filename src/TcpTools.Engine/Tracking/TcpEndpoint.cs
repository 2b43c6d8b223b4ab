using System.Runtime.InteropServices;

namespace TcpTools.Engine.Tracking;

/// <summary>
/// What the tracker keeps about one side of a connection: 72 bytes, no references. Sequence numbers are raw
/// (absolute) 32-bit values compared with <see cref="SeqNum"/> arithmetic; times are microseconds since the
/// flow's first segment, modulo 2^32, used only for differences of a few seconds. Each field is written by one
/// machine, named in brackets (Zeek: ZeekModel; RFC: RfcTransitions; Wireshark: SequenceAnalysis; tracker:
/// TcpTracker itself); the order they run in is written in <see cref="TcpTracker.Process(long, in Decoding.DecodedTcp, System.ReadOnlySpan{byte})"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct TcpEndpoint
{
    /// <summary>[Zeek; read by RFC, Wireshark] Initial sequence number: the SYN's, or the first seen minus one when picked up mid-stream (Zeek's start_seq).</summary>
    public uint Isn;

    /// <summary>[Zeek; read by RFC] The sequence number the FIN occupies (its seq + payload); valid with <see cref="RfcMarks.SentFin"/>.</summary>
    public uint FinSeq;

    /// <summary>[Wireshark; read by RFC before it advances] Highest seq + length sent, SYN and FIN counting one (Wireshark's nextseq); valid with <see cref="NextSeqKnown"/>.</summary>
    public uint NextSeq;

    /// <summary>[Zeek] Zeek's last_seq: the highest segment end, by Zeek's update rules.</summary>
    public uint ZeekLastSeq;

    /// <summary>[Zeek] End of the data seen in order (Zeek's reassembly point), for content-gap detection.</summary>
    public uint Delivered;

    /// <summary>[Wireshark; read by RFC] The acknowledgment number of the last segment it sent (whatever its flags, as Wireshark keeps it).</summary>
    public uint LastAck;

    /// <summary>When <see cref="NextSeq"/> last advanced (µs since the flow's first segment).</summary>
    public uint NextSeqTimeUs;

    /// <summary>When it last sent a segment (µs since the flow's first segment).</summary>
    public uint LastTimeUs;

    public uint Packets;
    public uint Retransmissions;
    public uint OutOfOrder;
    public uint DuplicateAcks;
    public uint ZeroWindows;

    /// <summary>The raw window field of its last segment.</summary>
    public ushort Window;

    /// <summary>MSS it announced in its SYN (0 when none was seen).</summary>
    public ushort Mss;


    /// <summary>Zeek's retransmission count (history 'T', letters at 1, 10, 100 …; saturates at 65535).</summary>
    public ushort ZeekRetransmits;

    /// <summary>Zeek's content-gap count (history 'G').</summary>
    public ushort ZeekGaps;

    /// <summary>Zeek's zero-window count (history 'W').</summary>
    public ushort ZeekZeroWindows;

    /// <summary>Duplicate ACKs in a row with the current ack value (Wireshark's dupacknum; saturates).</summary>
    public ushort DupAckRun;

    /// <summary>[RFC; the tracker sets it for a flow picked up mid-stream and when it expires] Its RFC 9293 state and marks, moved by <see cref="RfcTable"/>.</summary>
    public RfcEndpoint Rfc;

    /// <summary>Low 8 bits of the relative seq of its last RST: Zeek repeats 'R' only for a RST at another seq.</summary>
    public byte LastRstSeq;

    /// <summary>Segments with a bad TCP checksum (history 'C' at 1, 10, 100; saturates), when checksums are validated.</summary>
    public byte ZeekChecksumErrors;

    /// <summary>Zeek's endpoint state (low 3 bits), previous state (next 3), did_close (bit 6), FIN seen (bit 7).</summary>
    public byte ZeekBits;

    /// <summary>Window scale shift it announced in its SYN, or -1.</summary>
    public sbyte WindowScale;

    /// <summary>Times <see cref="ZeekLastSeq"/> wrapped past 2^32, for byte counts over 4 GiB.</summary>
    public byte SeqWraps;

    public EndpointFlags Flags;

    public readonly bool NextSeqKnown => (Flags & EndpointFlags.NextSeqKnown) != 0;

    public ZeekEndpointState ZeekState
    {
        readonly get => (ZeekEndpointState)(ZeekBits & 7);
        set
        {
            var old = (ZeekEndpointState)(ZeekBits & 7);
            if (old != value)
            {
                ZeekBits = (byte)((ZeekBits & 0xC0) | ((int)old << 3) | (int)value);
            }
        }
    }

    public readonly ZeekEndpointState ZeekPreviousState => (ZeekEndpointState)((ZeekBits >> 3) & 7);

    public bool ZeekDidClose
    {
        readonly get => (ZeekBits & 0x40) != 0;
        set => ZeekBits = (byte)(value ? ZeekBits | 0x40 : ZeekBits & ~0x40);
    }

    public bool ZeekFinSeen
    {
        readonly get => (ZeekBits & 0x80) != 0;
        set => ZeekBits = (byte)(value ? ZeekBits | 0x80 : ZeekBits & ~0x80);
    }

    public readonly TcpState State => Rfc.State;

    /// <summary>Its last advertised window in bytes: shifted by its scale when both sides announced one (RFC 7323).</summary>
    public readonly uint ScaledWindow(in TcpEndpoint peer) =>
        WindowScale >= 0 && peer.WindowScale >= 0 ? (uint)Window << WindowScale : Window;
}

/// <summary>Per-endpoint bookkeeping bits that no machine above owns alone.</summary>
[System.Flags]
internal enum EndpointFlags : byte
{
    None = 0,
    NextSeqKnown = 1 << 0,

    /// <summary>It has sent at least one segment.</summary>
    Seen = 1 << 1,

    /// <summary>Its last segment was a keep-alive (Wireshark): the ACK answering it is not a duplicate.</summary>
    LastWasKeepAlive = 1 << 2,

    /// <summary>Its last segment was a zero-window probe.</summary>
    LastWasWindowProbe = 1 << 3,

    /// <summary>Zeek's reassembler has seen data from it out of order (a hole before <see cref="TcpEndpoint.ZeekLastSeq"/>).</summary>
    HasHole = 1 << 4,

    /// <summary>Its SYN (or SYN-ACK) was captured: <see cref="TcpEndpoint.WindowScale"/> says whether it announced a scale.</summary>
    SynSeen = 1 << 5,
}
