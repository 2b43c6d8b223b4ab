using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TcpTools.Engine.Decoding;

/// <summary>RFC 1071 ones'-complement sums, and the TCP checksum check built on them.</summary>
public static class InternetChecksum
{
    /// <summary>
    /// Judges a decoded segment's checksum. Unverified when the capture does not hold the whole segment.
    /// </summary>
    public static TcpChecksumStatus VerifyTcp(ReadOnlySpan<byte> frame, in DecodedTcp tcp)
    {
        int segmentLength = tcp.TcpHeaderLength + tcp.PayloadLength;
        if (frame.Length < tcp.TcpOffset + segmentLength)
        {
            return TcpChecksumStatus.Unverified;
        }
        Span<byte> pseudo = stackalloc byte[40];
        int n;
        if (tcp.IPVersion == 4)
        {
            tcp.SourceAddress.WriteBytes(pseudo);
            tcp.DestinationAddress.WriteBytes(pseudo[4..]);
            pseudo[8] = 0;
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)segmentLength);
            n = 12;
        }
        else
        {
            tcp.SourceAddress.WriteBytes(pseudo);
            tcp.DestinationAddress.WriteBytes(pseudo[16..]);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)segmentLength);
            pseudo[36] = pseudo[37] = pseudo[38] = 0;
            pseudo[39] = 6;
            n = 40;
        }
        ulong sum = Add(pseudo[..n], 0);
        sum = Add(frame.Slice(tcp.TcpOffset, segmentLength), sum);
        return Fold(sum) == 0xFFFF ? TcpChecksumStatus.Good : TcpChecksumStatus.Bad;
    }

    /// <summary>
    /// Judges an IPv4 header's checksum (RFC 791): the ones'-complement sum of the header, checksum included, is all
    /// ones. Unverified for IPv6 (it has none) and when the capture does not hold the whole header.
    /// </summary>
    public static TcpChecksumStatus VerifyIPv4Header(ReadOnlySpan<byte> frame, in DecodedTcp tcp)
    {
        if (tcp.IPVersion != 4 || tcp.IPOffset >= frame.Length)
        {
            return TcpChecksumStatus.Unverified;
        }
        int headerLength = (frame[tcp.IPOffset] & 0x0F) * 4;
        if (headerLength < 20 || tcp.IPOffset + headerLength > frame.Length)
        {
            return TcpChecksumStatus.Unverified;
        }
        return Fold(Add(frame.Slice(tcp.IPOffset, headerLength), 0)) == 0xFFFF ? TcpChecksumStatus.Good : TcpChecksumStatus.Bad;
    }

    /// <summary>
    /// Adds <paramref name="data"/> to a running sum in native-order 32-bit words. Ones'-complement addition is
    /// independent of byte order (RFC 1071 §2(B)) and every caller starts at an even offset, so the folded
    /// result of an all-ones check is the same either way.
    /// </summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum)
    {
        var words = MemoryMarshal.Cast<byte, uint>(data);
        foreach (uint w in words)
        {
            sum += w;
        }
        int rest = data.Length - words.Length * 4;
        if (rest > 0)
        {
            Span<byte> tail = stackalloc byte[4];
            tail.Clear();
            data[^rest..].CopyTo(tail);
            sum += MemoryMarshal.Read<uint>(tail);
        }
        return sum;
    }

    /// <summary>Folds a running sum to 16 bits (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }
}
