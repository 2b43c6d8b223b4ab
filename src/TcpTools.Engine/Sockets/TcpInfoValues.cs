using System;
using System.Buffers.Binary;

namespace TcpTools.Engine.Sockets;

/// <summary>
/// The fields of the kernel's struct tcp_info (include/uapi/linux/tcp.h) that ss -i shows, read from an
/// INET_DIAG_INFO attribute. The struct grew over kernel versions; a field the running kernel does not send
/// (its offset past the attribute's length) reads as null.
/// </summary>
internal sealed class TcpInfoValues
{
    // Offsets in struct tcp_info: 8 bytes of u8 fields, then u32s from tcpi_rto, then u64/u32 groups added later.
    private const int CaStateOffset = 1;
    private const int OptionsOffset = 5;
    private const int WindowScaleOffset = 6;
    private const int RtoOffset = 8;
    private const int AtoOffset = 12;
    private const int SendMssOffset = 16;
    private const int ReceiveMssOffset = 20;
    private const int UnackedOffset = 24;
    private const int LostOffset = 32;
    private const int RetransOffset = 36;
    private const int LastDataSentOffset = 44;
    private const int LastDataReceivedOffset = 52;
    private const int LastAckReceivedOffset = 56;
    private const int PmtuOffset = 60;
    private const int RttOffset = 68;
    private const int RttVarOffset = 72;
    private const int SendSsthreshOffset = 76;
    private const int SendCwndOffset = 80;
    private const int AdvMssOffset = 84;
    private const int ReceiveRttOffset = 92;
    private const int ReceiveSpaceOffset = 96;
    private const int TotalRetransOffset = 100;
    private const int PacingRateOffset = 104;
    private const int BytesAckedOffset = 120;
    private const int BytesReceivedOffset = 128;
    private const int SegmentsOutOffset = 136;
    private const int SegmentsInOffset = 140;
    private const int NotSentOffset = 144;
    private const int MinRttOffset = 148;
    private const int DeliveryRateOffset = 160;
    private const int BytesSentOffset = 200;
    private const int BytesRetransOffset = 208;
    private const int SendWindowOffset = 228;
    private const byte WindowScaleOption = 4; // TCPI_OPT_WSCALE
    private const uint InfiniteSsthresh = 0x7FFF_FFFF; // TCP_INFINITE_SSTHRESH: no slow start threshold yet

    public byte CaState;
    public int? SendWindowScale;
    public int? ReceiveWindowScale;
    public uint RtoUs;
    public uint AtoUs;
    public uint SendMss;
    public uint ReceiveMss;
    public uint Unacked;
    public uint Lost;
    public uint Retrans;
    public uint LastDataSentMs;
    public uint LastDataReceivedMs;
    public uint LastAckReceivedMs;
    public uint Pmtu;
    public uint RttUs;
    public uint RttVarUs;
    public uint? SendSsthresh;
    public uint SendCwnd;
    public uint AdvMss;
    public uint ReceiveRttUs;
    public uint ReceiveSpace;
    public uint TotalRetrans;
    public ulong? PacingRate;
    public ulong? BytesAcked;
    public ulong? BytesReceived;
    public uint? SegmentsOut;
    public uint? SegmentsIn;
    public uint? NotSentBytes;
    public uint? MinRttUs;
    public ulong? DeliveryRate;
    public ulong? BytesSent;
    public ulong? BytesRetransmitted;
    public uint? SendWindow;

    /// <summary>Reads the attribute's payload; null when it is shorter than the original (2.6) struct.</summary>
    public static TcpInfoValues? Read(ReadOnlySpan<byte> info)
    {
        if (info.Length < TotalRetransOffset + 4)
        {
            return null;
        }
        var v = new TcpInfoValues
        {
            CaState = info[CaStateOffset],
            RtoUs = U32(info, RtoOffset),
            AtoUs = U32(info, AtoOffset),
            SendMss = U32(info, SendMssOffset),
            ReceiveMss = U32(info, ReceiveMssOffset),
            Unacked = U32(info, UnackedOffset),
            Lost = U32(info, LostOffset),
            Retrans = U32(info, RetransOffset),
            LastDataSentMs = U32(info, LastDataSentOffset),
            LastDataReceivedMs = U32(info, LastDataReceivedOffset),
            LastAckReceivedMs = U32(info, LastAckReceivedOffset),
            Pmtu = U32(info, PmtuOffset),
            RttUs = U32(info, RttOffset),
            RttVarUs = U32(info, RttVarOffset),
            SendCwnd = U32(info, SendCwndOffset),
            AdvMss = U32(info, AdvMssOffset),
            ReceiveRttUs = U32(info, ReceiveRttOffset),
            ReceiveSpace = U32(info, ReceiveSpaceOffset),
            TotalRetrans = U32(info, TotalRetransOffset),
        };
        uint ssthresh = U32(info, SendSsthreshOffset);
        v.SendSsthresh = ssthresh >= InfiniteSsthresh ? null : ssthresh;
        if ((info[OptionsOffset] & WindowScaleOption) != 0)
        {
            // snd_wscale is the low nibble, rcv_wscale the high one (bitfields on little-endian; Linux's ABI).
            v.SendWindowScale = info[WindowScaleOffset] & 0xF;
            v.ReceiveWindowScale = info[WindowScaleOffset] >> 4;
        }
        v.PacingRate = U64OrNull(info, PacingRateOffset);
        v.BytesAcked = U64OrNull(info, BytesAckedOffset);
        v.BytesReceived = U64OrNull(info, BytesReceivedOffset);
        v.SegmentsOut = U32OrNull(info, SegmentsOutOffset);
        v.SegmentsIn = U32OrNull(info, SegmentsInOffset);
        v.NotSentBytes = U32OrNull(info, NotSentOffset);
        v.MinRttUs = U32OrNull(info, MinRttOffset);
        v.DeliveryRate = U64OrNull(info, DeliveryRateOffset);
        v.BytesSent = U64OrNull(info, BytesSentOffset);
        v.BytesRetransmitted = U64OrNull(info, BytesRetransOffset);
        v.SendWindow = U32OrNull(info, SendWindowOffset);
        return v;
    }

    // Native byte order: the struct is the kernel's, not a wire format.
    private static uint U32(ReadOnlySpan<byte> s, int offset) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(s[offset..]);

    private static uint? U32OrNull(ReadOnlySpan<byte> s, int offset) => s.Length >= offset + 4 ? U32(s, offset) : null;

    private static ulong? U64OrNull(ReadOnlySpan<byte> s, int offset) =>
        s.Length < offset + 8 ? null
        : BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s[offset..]) : BinaryPrimitives.ReadUInt64BigEndian(s[offset..]);
}
