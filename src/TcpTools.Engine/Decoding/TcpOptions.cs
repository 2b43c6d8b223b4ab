using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace TcpTools;

/// <summary>
/// The options of one TCP header: the common ones as properties, every option's kind in order in
/// <see cref="Kinds"/>. Prints as tcpdump does: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7".
/// </summary>
public sealed class TcpOptions
{
    private static readonly TcpSackBlock[] s_noBlocks = Array.Empty<TcpSackBlock>();

    internal static readonly TcpOptions Empty = new(Array.Empty<TcpOptionKind>(), null, null, false, s_noBlocks, null, null, false, false);

    private TcpOptions(TcpOptionKind[] kinds, ushort? mss, byte? windowScale, bool sackPermitted, TcpSackBlock[] sack, uint? tsVal, uint? tsEcr, bool malformed, bool truncated)
    {
        Kinds = kinds;
        MaximumSegmentSize = mss;
        WindowScale = windowScale;
        SackPermitted = sackPermitted;
        SackBlocks = sack;
        TimestampValue = tsVal;
        TimestampEchoReply = tsEcr;
        IsMalformed = malformed;
        IsTruncated = truncated;
    }

    /// <summary>Every option in header order, NOPs and end-of-list included.</summary>
    public IReadOnlyList<TcpOptionKind> Kinds { get; }

    /// <summary>MSS (kind 2), or null.</summary>
    public ushort? MaximumSegmentSize { get; }

    /// <summary>Window scale shift count (kind 3), or null.</summary>
    public byte? WindowScale { get; }

    /// <summary>SACK permitted (kind 4).</summary>
    public bool SackPermitted { get; }

    /// <summary>SACK blocks (kind 5) with absolute sequence numbers; empty when none.</summary>
    public IReadOnlyList<TcpSackBlock> SackBlocks { get; }

    /// <summary>TSval of the timestamps option (kind 8), or null.</summary>
    public uint? TimestampValue { get; }

    /// <summary>TSecr of the timestamps option (kind 8), or null.</summary>
    public uint? TimestampEchoReply { get; }

    /// <summary>An option's length byte was impossible; options after it were not read.</summary>
    public bool IsMalformed { get; }

    /// <summary>The snap length cut the options; those after the cut are unknown.</summary>
    public bool IsTruncated { get; }

    /// <summary>Parses the option bytes of a TCP header (the bytes between the 20-byte fixed header and the payload).</summary>
    public static TcpOptions Parse(ReadOnlySpan<byte> options, bool truncated = false)
    {
        if (options.IsEmpty)
        {
            return truncated ? new TcpOptions(Array.Empty<TcpOptionKind>(), null, null, false, s_noBlocks, null, null, false, true) : Empty;
        }
        var kinds = new List<TcpOptionKind>(8);
        ushort? mss = null;
        byte? wscale = null;
        bool sackOk = false;
        TcpSackBlock[] sack = s_noBlocks;
        uint? tsVal = null;
        uint? tsEcr = null;
        bool malformed = false;
        int i = 0;
        while (i < options.Length)
        {
            var kind = (TcpOptionKind)options[i];
            if (kind == TcpOptionKind.EndOfOptionList || kind == TcpOptionKind.NoOperation)
            {
                kinds.Add(kind);
                i++;
                if (kind == TcpOptionKind.EndOfOptionList)
                {
                    break;
                }
                continue;
            }
            if (i + 1 >= options.Length)
            {
                truncated |= true;
                break;
            }
            int len = options[i + 1];
            if (len < 2)
            {
                malformed = true;
                break;
            }
            if (i + len > options.Length)
            {
                truncated = true;
                break;
            }
            var value = options.Slice(i + 2, len - 2);
            kinds.Add(kind);
            switch (kind)
            {
                case TcpOptionKind.MaximumSegmentSize when value.Length == 2:
                    mss = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case TcpOptionKind.WindowScale when value.Length == 1:
                    wscale = value[0];
                    break;
                case TcpOptionKind.SackPermitted when value.Length == 0:
                    sackOk = true;
                    break;
                case TcpOptionKind.Sack when value.Length % 8 == 0:
                    sack = new TcpSackBlock[value.Length / 8];
                    for (int b = 0; b < sack.Length; b++)
                    {
                        sack[b] = new TcpSackBlock(BinaryPrimitives.ReadUInt32BigEndian(value[(b * 8)..]), BinaryPrimitives.ReadUInt32BigEndian(value[(b * 8 + 4)..]));
                    }
                    break;
                case TcpOptionKind.Timestamp when value.Length == 8:
                    tsVal = BinaryPrimitives.ReadUInt32BigEndian(value);
                    tsEcr = BinaryPrimitives.ReadUInt32BigEndian(value[4..]);
                    break;
                case TcpOptionKind.MaximumSegmentSize:
                case TcpOptionKind.WindowScale:
                case TcpOptionKind.SackPermitted:
                case TcpOptionKind.Sack:
                case TcpOptionKind.Timestamp:
                    malformed = true; // a known option with the wrong length
                    break;
            }
            i += len;
        }
        return new TcpOptions(kinds.ToArray(), mss, wscale, sackOk, sack, tsVal, tsEcr, malformed, truncated);
    }

    /// <summary>tcpdump's rendering of the option list.</summary>
    public override string ToString()
    {
        if (Kinds.Count == 0)
        {
            return IsTruncated ? "[|tcp]" : "";
        }
        var sb = new StringBuilder();
        foreach (var kind in Kinds)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }
            switch (kind)
            {
                case TcpOptionKind.NoOperation: sb.Append("nop"); break;
                case TcpOptionKind.EndOfOptionList: sb.Append("eol"); break;
                case TcpOptionKind.MaximumSegmentSize: sb.Append("mss ").Append(MaximumSegmentSize); break;
                case TcpOptionKind.WindowScale: sb.Append("wscale ").Append(WindowScale); break;
                case TcpOptionKind.SackPermitted: sb.Append("sackOK"); break;
                case TcpOptionKind.Sack:
                    sb.Append("sack ").Append(SackBlocks.Count);
                    foreach (var b in SackBlocks)
                    {
                        sb.Append(" {").Append(b.Left).Append(':').Append(b.Right).Append('}');
                    }
                    break;
                case TcpOptionKind.Timestamp: sb.Append("TS val ").Append(TimestampValue).Append(" ecr ").Append(TimestampEchoReply); break;
                default: sb.Append("opt-").Append((byte)kind); break;
            }
        }
        if (IsTruncated)
        {
            sb.Append(",[|tcp]");
        }
        return sb.ToString();
    }
}
